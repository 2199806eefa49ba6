"""Every row trains at smoke; the results store re-uses by hash, resumes checkpoints, refuses foreign files;
several seeds are summarized as mean, standard deviation and n."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from gapbook import Regime
from gapbook.experiments import (
    COLUMN_KEYS,
    ROW_KEYS,
    ResultStore,
    StoreError,
    accuracies,
    by_column,
    compare,
    experiment_config,
    experiment_key,
    reproduce,
    run_config,
    runner,
    stored_or_trained,
    summarize,
    write_synthetic_data,
)
from gapbook.data import SPECS
from gapbook.experiments import row, store as store_module
from gapbook.experiments.synthetic import FOLDER_CLASSES, FOLDER_IMAGES, train_samples
from gapbook.train import RunResult, TrainConfig, train


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(write_synthetic_data(tmp_path_factory.mktemp("synthetic")))


def smoke(data_root: str, key: str = "mnist-f1", col: str = "SB", seed: int = 0) -> TrainConfig:
    return experiment_config(key, col, "smoke", seed=seed, data_root=data_root, progress=False)


@pytest.fixture(scope="module")
def trained_by_hash() -> dict[str, RunResult]:
    """Smoke runs by config hash, so that rows whose smoke configs coincide (the two ImageNet rows) train once."""
    return {}


@pytest.mark.parametrize("key", ROW_KEYS)
def test_every_column_of_every_row_trains_at_smoke(
    data_root: str, key: str, trained_by_hash: dict[str, RunResult]
) -> None:
    # 2 epochs of n samples: n / 2 updates per epoch at SB 2, n / 8 at LB 8; +RA trains 4 times the epochs
    dataset = row(key).dataset
    n = train_samples(dataset) if dataset in SPECS else FOLDER_CLASSES * FOLDER_IMAGES[0]
    updates = {"SB": n, "LB": n // 4, "+LR": n // 4, "+GBN": n // 4, "+RA": n}
    for col in COLUMN_KEYS:
        config = smoke(data_root, key, col)
        if config.config_hash() not in trained_by_hash:
            trained_by_hash[config.config_hash()] = train(config)
        result = trained_by_hash[config.config_hash()]
        assert result.status == "completed" and result.config_hash == config.config_hash(), (key, col)
        assert result.final_test_acc is not None and result.iterations == updates[col], (key, col)


def test_ra_trains_as_many_updates_as_sb(data_root: str) -> None:
    sb, ra = train(smoke(data_root, col="SB")), train(smoke(data_root, col="+RA"))
    assert sb.iterations == ra.iterations == train_samples("mnist") and len(ra.epochs) == 4 * len(sb.epochs)


def test_the_store_re_uses_a_result_by_hash_and_force_recomputes(
    data_root: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ResultStore(tmp_path, "smoke")
    config = smoke(data_root)
    assert store.lookup(config) is None
    result, action = run_config(config, store)
    assert action == "trained" and store.path(config).parent == tmp_path / "smoke"
    assert store.lookup(config) == result and store.lookup(config.replace(progress=True, data_root=None)) == result
    assert store.lookup(smoke(data_root, seed=1)) is None and store.lookup(smoke(data_root, col="LB")) is None
    assert not store.checkpoint_path(config).exists()  # removed once the result is stored

    monkeypatch.setattr(runner, "train_model", lambda *args, **kwargs: pytest.fail("trained again"))
    assert run_config(config, store) == (result, "reused")
    monkeypatch.undo()
    again, action = run_config(config, store, force=True)
    assert action == "trained" and again.created_at >= result.created_at
    assert [e.train_loss for e in again.epochs] == [e.train_loss for e in result.epochs]


def test_stored_or_trained_trains_a_missing_run_only_when_asked(data_root: str, tmp_path: Path) -> None:
    store = ResultStore(tmp_path, "smoke")
    config = smoke(data_root)
    assert stored_or_trained(config, store, train_missing=False) is None and store.lookup(config) is None
    result = stored_or_trained(config, store, train_missing=True)
    assert result is not None and store.lookup(config) == result
    assert stored_or_trained(config, store, train_missing=False) == result


def test_a_run_with_a_checkpoint_resumes_from_it(data_root: str, tmp_path: Path) -> None:
    store = ResultStore(tmp_path, "smoke")
    config = smoke(data_root, col="+GBN")
    checkpoint = store.checkpoint_path(config)
    checkpoint.parent.mkdir(parents=True)
    reference = train(config.replace(checkpoint_path=str(checkpoint)))  # leaves a checkpoint, as a killed run would
    result, action = run_config(config, store)
    assert action == "resumed" and result.resumed_at_epochs == [2] and not checkpoint.exists()
    assert [e.train_loss for e in result.epochs] == [e.train_loss for e in reference.epochs]


def test_the_store_refuses_a_file_of_another_config(data_root: str, tmp_path: Path) -> None:
    store = ResultStore(tmp_path, "smoke")
    sb, lb = smoke(data_root), smoke(data_root, col="LB")
    run_config(sb, store)
    shutil.copy(store.path(sb), store.path(lb))  # SB's result under LB's name
    with pytest.raises(StoreError, match="holds the result of f1-mnist-b2-"):
        store.lookup(lb)
    with pytest.raises(StoreError, match="holds the result of"):
        store.results()

    data = json.loads(store.path(sb).read_text())
    data["config"]["batch_size"] = 8  # the file now claims SB's hash for another config
    store.path(lb).unlink()
    store.path(sb).write_text(json.dumps(data))
    with pytest.raises(StoreError, match="records hash .* but its config hashes to .* edited"):
        store.lookup(sb)
    store.path(sb).write_text("{not json")
    with pytest.raises(StoreError, match="is not a readable result"):
        store.lookup(sb)


def test_a_lookup_checks_the_full_hash_not_only_the_name(
    data_root: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "result_filename", lambda config: "collision.json")  # names agree, hashes not
    store = ResultStore(tmp_path, "smoke")
    run_config(smoke(data_root), store)
    with pytest.raises(StoreError, match="collision.json holds the result of a config with hash .* not of the config"):
        store.lookup(smoke(data_root, col="LB"))


def test_runs_of_one_experiment_group_over_seeds_and_devices(data_root: str, tmp_path: Path) -> None:
    store = ResultStore(tmp_path, "smoke")
    for seed in (0, 1):
        run_config(smoke(data_root, seed=seed), store)
    run_config(smoke(data_root, col="LB"), store)
    groups = store.by_experiment()
    sb_key = experiment_key(smoke(data_root))
    assert sb_key == experiment_key(smoke(data_root, seed=5).replace(device="cpu"))
    assert sb_key != experiment_key(smoke(data_root, col="LB"))
    assert sorted(r.config["seed"] for r in groups[sb_key]) == [0, 1] and len(groups) == 2
    assert store.runs_of(smoke(data_root, seed=7)) == groups[sb_key]
    assert store.runs_of(smoke(data_root, col="+LR")) == []


def test_unknown_profiles_are_refused_by_the_store(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown profile 'tiny'; the profiles are smoke, mini, full"):
        ResultStore(tmp_path, "tiny")


def fake(result: RunResult, seed: int, accuracy: float | None, wall_time: float = 10.0) -> RunResult:
    """``result`` as if run with ``seed`` to ``accuracy`` (``None``: diverged)."""
    status = "completed" if accuracy is not None else "diverged"
    diverged_at = None if accuracy is not None else {"epoch": 1, "iteration": 3, "reason": "loss not finite"}
    return dataclasses.replace(
        result, config={**result.config, "seed": seed}, final_test_acc=accuracy, status=status, wall_time=wall_time,
        diverged_at=diverged_at,
    )  # fmt: skip


def test_seeds_are_summarized_as_mean_std_and_n(data_root: str) -> None:
    base = train(smoke(data_root))
    runs = [fake(base, 0, 0.90), fake(base, 1, 0.92), fake(base, 2, 0.94)]
    summary = summarize(runs)
    assert summary.mean == pytest.approx(92.0) and summary.std == pytest.approx(2.0)
    assert (summary.n, summary.diverged, summary.seeds, summary.wall_time) == (3, 0, (0, 1, 2), 30.0)
    assert str(summary) == "92.00 ± 2.00 (n=3)"

    with_divergence = summarize([*runs, fake(base, 3, None)])
    assert (with_divergence.mean, with_divergence.n, with_divergence.diverged) == (summary.mean, 3, 1)
    assert str(with_divergence) == "92.00 ± 2.00 (n=3), 1 diverged"
    single = summarize([fake(base, 0, 0.975)])
    assert (single.mean, single.std, single.n, str(single)) == (pytest.approx(97.5), None, 1, "97.50 (n=1)")
    diverged = summarize([fake(base, 0, None)])
    assert (diverged.mean, diverged.std, diverged.n, str(diverged)) == (None, None, 0, "diverged (x1)")
    with pytest.raises(ValueError, match="at least one result"):
        summarize([])


def test_a_result_answers_in_types_not_dicts(data_root: str) -> None:
    result = train(smoke(data_root))
    assert result.seed == 0 and result.batch_size == result.config["batch_size"]
    assert result.regime == Regime.from_dict(result.effective_regime)
    assert result.final_test_error == pytest.approx(100 * (1 - result.final_test_acc))
    log = result.distance_log
    assert log.iterations.tolist() == result.distance["iterations"]
    phase = result.high_lr_distances
    assert result.high_lr_updates == round(result.regime.phases[1].start_epoch * result.steps_per_epoch)
    assert phase.iterations.max() <= result.high_lr_updates and len(phase.iterations) < len(log.iterations)


def test_compare_gives_the_welch_interval_of_final_accuracies(data_root: str) -> None:
    base = train(smoke(data_root))
    better = [fake(base, seed, acc) for seed, acc in enumerate((0.95, 0.96, 0.97))]
    worse = [fake(base, seed, acc) for seed, acc in enumerate((0.90, 0.91, 0.92, None))]
    difference = compare(better, worse)
    assert difference.estimate == pytest.approx(5.0) and difference.positive
    assert accuracies(worse) == pytest.approx([90.0, 91.0, 92.0])  # the diverged run has no accuracy
    assert not compare(better, better).shown


def test_by_column_groups_outcomes_in_the_papers_order(data_root: str) -> None:
    store_dir = Path(data_root).parent / "by-column-store"
    outcomes = reproduce("mnist-f1", "smoke", columns=["LB", "SB"], seeds=(1, 0), results_dir=store_dir,
                         data_root=data_root, progress=False, echo=lambda line: None)  # fmt: skip
    grouped = by_column(outcomes)
    assert list(grouped) == ["SB", "LB"] and [r.seed for r in grouped["SB"]] == [0, 1]


def test_reproduce_can_leave_missing_runs_missing(data_root: str, tmp_path: Path) -> None:
    lines: list[str] = []
    outcomes = reproduce("mnist-f1", "smoke", columns=["SB"], seeds=(0,), results_dir=tmp_path, data_root=data_root,
                         progress=False, train_missing=False, echo=lines.append)  # fmt: skip
    assert outcomes == [] and "missing (no stored result" in lines[-1]
    assert not (tmp_path / "smoke").exists() or not list((tmp_path / "smoke").glob("*.json"))
