"""The training loop on tiny synthetic data: results with provenance, Table 1 columns, divergence, checkpoints."""

from __future__ import annotations

import json
import os
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import gapbook
from gapbook.train import (
    CheckpointMismatchError,
    RunResult,
    TrainConfig,
    evaluate,
    initial_model,
    resolve_precision,
    result_filename,
    train,
    train_model,
)
from gapbook.train import engine
from train_support import regime, write_dataset


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("data")
    write_dataset(root, "mnist", n_train=256, n_test=100)
    write_dataset(root, "cifar100", n_train=200, n_test=100)
    write_dataset(root, "cifar10", n_train=64, n_test=50)
    return str(root)


def config(data_root: str, **changes: object) -> TrainConfig:
    fields = {"model": "f1", "batch_size": 32, "regime": regime(), "data_root": data_root, "progress": False}
    return TrainConfig(**{**fields, **changes})  # type: ignore[arg-type]


def test_a_short_run_writes_a_complete_result_json(data_root: str, tmp_path: Path) -> None:
    run = config(data_root, regime=regime(epochs=3, drop_at=2), checkpoint_path=str(tmp_path / "run.pt"))
    result = train(run, output_dir=tmp_path / "out", profile="smoke")
    path = tmp_path / "out" / result_filename(run)
    stored = json.loads(path.read_text())
    assert RunResult.load(path) == result
    recorded = {**run.to_dict(), "device": "cpu", "precision": "fp32", "checkpoint_path": "../run.pt"}
    recorded["data_root"] = os.path.relpath(data_root, tmp_path / "out")
    assert stored["config"] == recorded and stored["config_hash"] == run.config_hash()
    assert stored["checkpoint_path"] == "../run.pt" and "/tmp" not in path.read_text()  # no absolute path stored
    assert RunResult.from_json(path.read_text()).train_config.config_hash() == run.config_hash()
    assert result.status == "completed" and result.diverged_at is None
    assert result.steps_per_epoch == 8 and result.iterations == 24
    assert [e.epoch for e in result.epochs] == [1, 2, 3] and [e.iteration for e in result.epochs] == [8, 16, 24]
    assert [e.lr for e in result.epochs] == pytest.approx([0.05, 0.05, 0.005])
    assert all(e.test_acc is not None and e.test_top5 is None for e in result.epochs)  # 10 classes: no top-5
    assert result.final_test_acc == result.epochs[-1].test_acc > 0.3  # chance is 0.1
    assert result.best_test_acc == max(e.test_acc for e in result.epochs if e.test_acc is not None)
    times = [e.wall_time for e in result.epochs]
    assert times == sorted(times) and result.wall_time >= times[-1]
    log = result.distance
    assert log["iterations"][:10] == list(range(1, 11)) and log["iterations"][-1] == 24
    assert {8, 16}.issubset(log["iterations"]) and len(log["distances"]) == len(log["iterations"])
    assert result.epochs[-1].distance == pytest.approx(log["distances"][-1]) and log["distances"][-1] > 0
    assert result.effective_regime == run.effective_regime().to_dict()
    assert (result.train_samples, result.test_samples, result.world_size) == (256, 100, 1)
    assert result.device.startswith("cpu") and result.precision == "fp32" and result.profile == "smoke"
    assert result.versions["torch"] == torch.__version__ and result.versions["gapbook"] == gapbook.__version__
    assert result.git_commit is None or len(result.git_commit.split("+")[0]) == 40
    assert result.checkpoint_path == str((tmp_path / "run.pt").resolve()) and Path(result.checkpoint_path).exists()
    assert "created_at" in stored and "T" in stored["created_at"] and stored["resumed_at_epochs"] == []


def test_the_result_records_the_commit_of_the_code_that_started_training(
    data_root: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    commits = iter(["a" * 40, "b" * 40 + "+dirty"])  # a commit made while the run trains must not be recorded
    monkeypatch.setattr(engine, "git_commit", lambda: next(commits))
    assert train(config(data_root, regime=regime(epochs=1, drop_at=None))).git_commit == "a" * 40


def test_evaluation_cadence_keeps_the_last_epoch(data_root: str) -> None:
    result = train(config(data_root, regime=regime(epochs=5, drop_at=None), eval_every=2))
    assert [e.test_acc is not None for e in result.epochs] == [False, True, False, True, True]


def test_the_same_config_trains_to_the_same_numbers_on_the_cpu(data_root: str) -> None:
    first, second = train(config(data_root)), train(config(data_root))
    assert first.epochs[-1].train_loss == second.epochs[-1].train_loss
    assert first.distance["distances"] == second.distance["distances"]
    assert train(config(data_root, seed=1)).distance["distances"] != first.distance["distances"]


def test_every_table1_column_trains(data_root: str) -> None:
    sb = config(data_root, batch_size=16, train_size=128, test_size=50)
    lb = sb.replace(batch_size=64)
    plus_lr = lb.replace(base_batch_size=16)
    plus_gbn = plus_lr.replace(ghost_batch_size=16)
    plus_ra = plus_gbn.replace(regime_adaptation=4)
    columns = {"SB": sb, "LB": lb, "+LR": plus_lr, "+GBN": plus_gbn, "+RA": plus_ra}
    results = {name: train(column) for name, column in columns.items()}
    assert all(r.status == "completed" and r.final_test_acc is not None for r in results.values())
    assert results["SB"].train_samples == 128 and results["SB"].test_samples == 50
    # Regime adaptation gives the large batch as many updates as the small batch.
    assert [results[n].iterations for n in results] == [16, 4, 4, 4, 16]
    assert results["+LR"].epochs[0].lr == pytest.approx(2 * results["LB"].epochs[0].lr)
    # Ghost BN normalizes slices of 16 instead of the whole batch of 64, so the training differs.
    assert results["+GBN"].epochs[0].train_loss != results["+LR"].epochs[0].train_loss


def test_channels_last_trains_like_the_default_layout(data_root: str) -> None:
    run = config(data_root, model="c1", dataset="cifar10", batch_size=16, regime=regime(epochs=1, drop_at=None))
    default, channels_last = train(run), train(run.replace(channels_last=True))
    assert channels_last.config_hash != default.config_hash
    assert channels_last.epochs[0].train_loss == pytest.approx(default.epochs[0].train_loss, rel=1e-3)
    assert channels_last.distance["distances"] == pytest.approx(default.distance["distances"], rel=1e-3)


def test_top5_is_measured_for_more_than_ten_classes(data_root: str) -> None:
    result = train(config(data_root, model="c3", batch_size=20, regime=regime(epochs=1, drop_at=None)))
    assert result.final_test_top5 is not None and result.final_test_top5 >= result.final_test_acc


def test_a_diverging_loss_stops_the_run_at_its_first_non_finite_iteration(
    data_root: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = config(data_root, batch_size=8, grad_clip=None, regime=regime(lr=30.0, epochs=5, drop_at=None))
    result = train(run)
    assert result.status == "diverged" and result.final_test_acc is None and result.final_test_top5 is None
    bad = result.diverged_at
    assert bad is not None and bad["epoch"] == result.epochs[-1].epoch
    assert bad["iteration"] <= result.iterations < bad["iteration"] + engine.CHECK_EVERY
    assert result.epochs[-1].train_loss is None and result.epochs[-1].test_acc is None
    json.loads(result.to_json())  # strict JSON: no NaN
    # Checking after every step finds the same first iteration, and stops right there.
    monkeypatch.setattr(engine, "CHECK_EVERY", 1)
    exact = train(run)
    assert exact.diverged_at == bad and exact.iterations == bad["iteration"]
    assert bad["iteration"] > (bad["epoch"] - 1) * result.steps_per_epoch


def test_an_existing_checkpoint_is_resumed_never_overwritten(data_root: str, tmp_path: Path) -> None:
    path = tmp_path / "run.pt"
    run = config(data_root, checkpoint_path=str(path))
    done = train(run)
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="resume the run from it"):
        train(run)
    assert path.read_bytes() == before
    again = train(run, resume=True)  # a finished run resumes to the same result
    assert again.epochs == done.epochs and again.resumed_at_epochs == [2]
    with pytest.raises(CheckpointMismatchError, match="differing fields: seed"):
        train(run.replace(seed=5), resume=True)


def test_resume_without_a_checkpoint_starts_afresh(data_root: str, tmp_path: Path) -> None:
    run = config(data_root, checkpoint_path=str(tmp_path / "new.pt"))
    resumed, fresh = train(run, resume=True), train(run.replace(checkpoint_path=None))
    assert [e.train_loss for e in resumed.epochs] == [e.train_loss for e in fresh.epochs]
    assert resumed.resumed_at_epochs == [] and Path(run.checkpoint_path or "").exists()
    with pytest.raises(ValueError, match="resume needs a checkpoint path"):
        train(run.replace(checkpoint_path=None), resume=True)


def test_checkpoint_cadence(data_root: str, tmp_path: Path) -> None:
    path = tmp_path / "run.pt"
    train(config(data_root, regime=regime(epochs=3, drop_at=None), checkpoint_path=str(path), checkpoint_every=2))
    state = torch.load(path, weights_only=True)
    assert state["epoch"] == 3 and len(state["metrics"]) == 3  # the last epoch is always saved


def test_bad_run_settings_are_refused_clearly(data_root: str) -> None:
    with pytest.raises(ValueError, match="larger than the 256 training samples"):
        train(config(data_root, batch_size=512))
    with pytest.raises(ValueError, match="fp16 needs a CUDA device"):
        train(config(data_root, precision="fp16", device="cpu"))
    with pytest.raises(FileNotFoundError, match="unknown data set 'tinynet'"):
        train(config(data_root, model="alexnet", dataset="tinynet"))
    with pytest.raises(ValueError, match="make no iteration"):
        train(config(data_root, regime=regime(epochs=0.01, drop_at=None)))
    bf16 = train(config(data_root, precision="bf16", regime=regime(epochs=1, drop_at=None)))
    assert bf16.precision == "bf16" and math.isfinite(bf16.epochs[0].train_loss or math.nan)


def test_image_folders_train_through_worker_loaders_with_top5(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for split, per_class in (("train", 2), ("val", 1)):
        for label in range(11):
            folder = tmp_path / "tiny" / split / f"class{label:02d}"
            folder.mkdir(parents=True)
            for index in range(per_class):
                Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(folder / f"{index}.png")
    run = TrainConfig(
        "alexnet", dataset="tiny", batch_size=11, workers=0, data_root=str(tmp_path), progress=False,
        regime=regime(lr=0.01, epochs=1, drop_at=None),
    )  # fmt: skip
    result = train(run)
    assert result.status == "completed" and (result.train_samples, result.test_samples) == (22, 11)
    assert result.iterations == 2 and result.final_test_top5 is not None
    assert result.final_test_acc is not None and result.final_test_top5 >= result.final_test_acc
    with pytest.raises(ValueError, match="image folder data set 'tiny' is used whole"):
        train(run.replace(train_size=11))


def test_evaluation_counts_each_sample_once_up_to_the_limit() -> None:
    model = torch.nn.Linear(2, 3)
    with torch.no_grad():
        model.weight.copy_(torch.eye(3, 2))
        model.bias.zero_()
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    y = torch.tensor([0, 1, 2, 2])  # the last two are wrong; the last one repeats a padded sample
    batches = [(x[:3], y[:3]), (x[3:], y[3:])]
    policy = resolve_precision("fp32", torch.device("cpu"))
    assert evaluate(model, batches, policy, top5=False).acc == pytest.approx(2 / 4)
    limited = evaluate(model, batches, policy, top5=False, limit=3)
    assert limited.acc == pytest.approx(2 / 3) and limited.top5 is None


def test_resetting_momentum_equals_rebuilding_the_optimizer() -> None:
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 3)
    kept = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))

    def step(optimizer: torch.optim.Optimizer) -> None:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    step(kept)
    step(kept)
    snapshot = [p.detach().clone() for p in model.parameters()]
    engine._reset_momentum(kept)
    step(kept)
    after_reset = [p.detach().clone() for p in model.parameters()]
    with torch.no_grad():
        for p, value in zip(model.parameters(), snapshot):
            p.copy_(value)
    step(torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4))
    assert all(torch.equal(a, b) for a, b in zip(after_reset, model.parameters()))


def test_the_authors_momentum_reset_is_a_separate_run(data_root: str) -> None:
    base = config(data_root, regime=regime(epochs=2))
    with_reset = base.replace(reset_momentum=True)
    assert with_reset.config_hash() != base.config_hash()
    kept, reset = train(base), train(with_reset)
    assert reset.config["reset_momentum"] is True and kept.config["reset_momentum"] is False
    assert kept.epochs[0].distance == reset.epochs[0].distance  # the first epoch starts with empty buffers anyway
    assert kept.epochs[1].distance != reset.epochs[1].distance  # the second starts without the first's momentum


def test_train_model_returns_the_trained_network_and_initial_model_its_start(data_root: str) -> None:
    run = config(data_root, regime=regime(epochs=1, drop_at=None))
    start = initial_model(run)
    result, trained = train_model(run)
    moved = torch.cat([(a - b).detach().flatten() for a, b in zip(trained.parameters(), start.parameters())]).norm()
    assert float(moved) == pytest.approx(result.distance["distances"][-1], rel=1e-4)
    assert train(run).final_test_acc == result.final_test_acc  # train is train_model without the network
    with_ghosts = initial_model(run.replace(batch_size=64, ghost_batch_size=32))
    assert any(type(module).__name__ == "GhostBatchNorm1d" for module in with_ghosts.modules())


def test_a_run_measures_how_well_its_final_weights_fit_the_training_set(data_root: str) -> None:
    run = config(data_root, regime=regime(epochs=2))
    result, trained = train_model(run)
    assert result.final_train_acc is not None and 0.3 < result.final_train_acc <= 1
    from gapbook.data import eval_loader, load_arrays

    data = load_arrays("mnist", root=data_root)
    policy = resolve_precision("fp32", torch.device("cpu"))
    assert evaluate(trained, eval_loader(data, 64, split="train"), policy, top5=False).acc == result.final_train_acc
    older = {k: v for k, v in result.to_dict().items() if k != "final_train_acc"}  # a result made before it existed
    assert RunResult.from_dict(older).final_train_acc is None


def test_log_spaced_evaluations_leave_the_training_untouched(data_root: str) -> None:
    plain = train(config(data_root, regime=regime(epochs=3, drop_at=None)))
    logged = train(config(data_root, regime=regime(epochs=3, drop_at=None), eval_points_per_decade=5))
    assert [e.train_loss for e in logged.epochs] == [e.train_loss for e in plain.epochs]
    assert logged.distance["distances"] == plain.distance["distances"] and logged.final_test_acc == plain.final_test_acc
    assert [point.iteration for point in logged.evaluations] == [1, 2, 3, 4, 6, 10, 16]  # 10**(j/5), 24 updates
    assert plain.evaluations == [] and logged.target_reached is None and logged.iterations == 24
    for point in logged.evaluations:
        assert 0 <= point.test_acc <= 1 and 0 <= point.train_acc <= 1 and point.train_loss is not None
    assert logged.evaluations[-1].test_acc > logged.evaluations[0].test_acc
    assert logged.config_hash != plain.config_hash  # the logged run holds more, so it is another result


def test_a_run_ends_at_the_first_evaluation_that_meets_its_targets(data_root: str, tmp_path: Path) -> None:
    full = train(config(data_root, regime=regime(epochs=3, drop_at=None), eval_points_per_decade=10))
    target = full.evaluations[len(full.evaluations) // 2].test_acc
    first = next(point for point in full.evaluations if point.test_acc >= target)
    run = config(data_root, regime=regime(epochs=3, drop_at=None), eval_points_per_decade=10,
                 stop_at_test_acc=target, checkpoint_path=str(tmp_path / "stop.pt"))  # fmt: skip
    stopped = train(run, output_dir=tmp_path)
    assert stopped.target_reached == first.iteration == stopped.iterations < full.iterations
    measured = [(point.iteration, point.test_acc, point.train_loss) for point in stopped.evaluations]
    assert measured == [(point.iteration, point.test_acc, point.train_loss) for point in full.evaluations][
        : len(measured)
    ]  # the same numbers as the run that went on, up to the stop
    assert stopped.status == "completed" and stopped.final_test_acc == first.test_acc
    assert stopped.epochs[-1].iteration == first.iteration
    assert RunResult.load(tmp_path / result_filename(run)) == stopped
    again = train(run, resume=True)  # resuming a run that met its targets trains no further
    assert again.iterations == stopped.iterations and again.evaluations == stopped.evaluations
    loss = full.evaluations[-3].train_loss or 0.0
    both = train(run.replace(stop_at_train_loss=loss, checkpoint_path=None))
    met = next(p for p in full.evaluations if p.test_acc >= target and (p.train_loss or math.inf) <= loss)
    assert both.target_reached == met.iteration >= stopped.target_reached  # every target, at the same evaluation
    unreachable = train(run.replace(stop_at_test_acc=None, stop_at_train_loss=1e-9, checkpoint_path=None))
    assert unreachable.target_reached is None and unreachable.iterations == full.iterations


def test_stopping_targets_are_checked_when_the_config_is_made(data_root: str) -> None:
    with pytest.raises(ValueError, match="set eval_points_per_decade"):
        config(data_root, stop_at_test_acc=0.9)
    with pytest.raises(ValueError, match=r"stop_at_test_acc must be an accuracy in \(0, 1\]"):
        config(data_root, stop_at_test_acc=98, eval_points_per_decade=10)
    with pytest.raises(ValueError, match="stop_at_train_loss must be a finite number > 0"):
        config(data_root, stop_at_train_loss=-1.0, eval_points_per_decade=10)
    with pytest.raises(ValueError, match="eval_points_per_decade must be an int >= 1"):
        config(data_root, eval_points_per_decade=0)
    assert config(data_root).config_hash() == config(data_root, eval_points_per_decade=None).config_hash()
    assert config(data_root, stop_at_test_acc=0.9, eval_points_per_decade=10).targets == {"test_acc": 0.9}


def test_a_test_loss_that_is_not_finite_is_stored_as_null(data_root: str, monkeypatch: pytest.MonkeyPatch) -> None:
    nan = engine.EvalMetrics(math.nan, 0.1, None)
    monkeypatch.setattr(engine._Run, "_evaluate", lambda self: nan)
    result = train(config(data_root, regime=regime(epochs=1, drop_at=None), eval_points_per_decade=5))
    assert result.epochs[-1].test_loss is None and all(p.test_loss is None for p in result.evaluations)
    assert "NaN" not in result.to_json()  # strict JSON


def test_deterministic_training_skips_the_nan_fill_and_restores_every_setting() -> None:
    fill = torch.utils.deterministic.fill_uninitialized_memory
    assert not torch.are_deterministic_algorithms_enabled()
    with engine._deterministic(True):
        assert torch.are_deterministic_algorithms_enabled()
        assert not torch.utils.deterministic.fill_uninitialized_memory
    assert not torch.are_deterministic_algorithms_enabled()
    assert torch.utils.deterministic.fill_uninitialized_memory == fill
