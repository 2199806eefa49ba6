"""The steps-to-target sweep: its configs per rule and profile, the updates to a target, and ``gapbook steps``."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from gapbook.cli import main
from gapbook.experiments import write_synthetic_data
from gapbook.experiments.profiles import PROFILES
from gapbook.experiments.synthetic import train_samples
from gapbook.experiments.steps import (
    STEP_RULES,
    scaling_slope,
    speedup,
    steps_config,
    steps_configs,
    steps_scale,
    steps_store,
    sweep_results,
    updates_to_target,
)
from gapbook.train import Evaluation, RunResult, train


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(write_synthetic_data(tmp_path_factory.mktemp("synthetic")))


@pytest.mark.parametrize("profile", PROFILES)
def test_each_rule_scales_the_first_f1_learning_rate_and_only_linear_warms_up(profile: str) -> None:
    scale = steps_scale(profile)
    base_lr = scale.regime().phases[0].lr
    for batch in scale.batches:
        ratio = batch / scale.base_batch
        rates = {rule: steps_config(batch, rule, profile).effective_regime() for rule in STEP_RULES}
        assert rates["none"].phases[0].lr == pytest.approx(base_lr, rel=1e-12)
        assert rates["sqrt"].phases[0].lr == pytest.approx(base_lr * ratio**0.5, rel=1e-12)
        assert rates["linear"].phases[0].lr == pytest.approx(base_lr * ratio, rel=1e-12)
        assert all(len(regime.phases) == 1 and regime.epochs == scale.budget_epochs for regime in rates.values())
        warm = scale.warmup_epochs if batch > scale.base_batch else 0
        assert [rates[rule].warmup_epochs for rule in STEP_RULES] == [0, 0, warm]
        if batch == scale.base_batch:  # one run serves every rule
            assert len({steps_config(batch, rule, profile).config_hash() for rule in STEP_RULES}) == 1


def test_every_run_logs_evaluations_and_stops_at_the_profiles_targets() -> None:
    scale = steps_scale("mini")
    config = steps_config(4096, "sqrt", "mini", seed=2)
    assert (config.model, config.dataset, config.augment, config.seed) == ("f1", "mnist", False, 2)
    assert config.eval_points_per_decade == scale.points_per_decade == 10
    assert config.targets == {"test_acc": scale.target_test_acc, "train_loss": scale.target_train_loss}
    assert scale.batches == tuple(2**k for k in range(5, 14)) and scale.seeds == (0, 1, 2)
    configs = steps_configs("mini")
    per_seed = len(STEP_RULES) * (len(scale.batches) - 1) + 1  # the base batch once for all rules
    assert len(configs) == len({c.config_hash() for c in configs}) == per_seed * len(scale.seeds)
    assert len(steps_configs("mini", rules=["sqrt"], seeds=[0])) == len(scale.batches)
    with pytest.raises(ValueError, match="rule must be one of none, sqrt, linear"):
        steps_config(128, "cubic", "mini")
    with pytest.raises(ValueError, match="unknown profile 'huge'"):
        steps_scale("huge")


def result_with(points: list[tuple[int, float, float]]) -> RunResult:
    """A stored-like result whose log-spaced evaluations are (iteration, test accuracy, training loss)."""
    evaluations = [Evaluation(t, 0.1, acc, loss, 0.9, float(t)) for t, acc, loss in points]
    config = steps_config(128, "sqrt", "smoke")
    return RunResult(
        config=config.to_dict(), config_hash=config.config_hash(), status="completed", epochs=[], distance={},
        final_test_acc=points[-1][1], best_test_acc=None, final_test_top5=None, diverged_at=None,
        iterations=points[-1][0], steps_per_epoch=1, train_samples=1, test_samples=1, effective_regime={},
        wall_time=1.0, device="cpu", world_size=1, precision="fp32", versions={}, git_commit=None, profile="smoke",
        checkpoint_path=None, created_at="", evaluations=evaluations,
    )  # fmt: skip


def test_updates_to_target_is_the_first_logged_update_that_reaches_it() -> None:
    result = result_with([(1, 0.2, 2.0), (10, 0.9, 0.5), (100, 0.97, 0.2), (1000, 0.95, 0.04)])
    assert updates_to_target(result, test_acc=0.9) == 10 and updates_to_target(result, test_acc=0.96) == 100
    assert updates_to_target(result, train_loss=0.2) == 100 and updates_to_target(result, train_loss=0.01) is None
    crossing = updates_to_target(result, test_acc=0.935, interpolate=True)
    assert crossing == pytest.approx(10 * 10**0.5, rel=1e-12)  # halfway from 0.9 to 0.97 on a log axis
    assert updates_to_target(result, train_loss=0.35, interpolate=True) == pytest.approx(10 * 10**0.5, rel=1e-12)
    assert updates_to_target(result, test_acc=0.1, interpolate=True) == 1.0  # met at the first evaluation
    with pytest.raises(ValueError, match="exactly one target"):
        updates_to_target(result, test_acc=0.9, train_loss=0.1)
    with pytest.raises(ValueError, match="no log-spaced evaluations"):
        updates_to_target(dataclasses.replace(result, evaluations=[]), test_acc=0.9)


def test_a_sweep_run_ends_when_it_meets_both_targets_or_at_its_budget(data_root: str) -> None:
    config = steps_config(8, "sqrt", "smoke", data_root=data_root, progress=False)
    budget = train(config.replace(stop_at_train_loss=1e-6))  # unreachable: the run uses its whole budget
    steps_per_epoch = train_samples("mnist") // 8
    assert budget.target_reached is None and budget.iterations == steps_scale("smoke").budget_epochs * steps_per_epoch
    reached = updates_to_target(budget, test_acc=config.stop_at_test_acc)
    assert reached is not None and reached < budget.iterations
    early = train(config.replace(stop_at_train_loss=100.0))  # met at once: the test target decides
    assert early.target_reached == early.iterations == reached


def test_gapbook_steps_runs_the_sweep_into_its_own_store(
    data_root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["steps", "--profile", "smoke", "--rules", "none,sqrt", "--batches", "4,8", "--results-dir",
            str(tmp_path), "--data-root", data_root, "--no-progress"]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "3 run(s)" in out and out.count("trained;") == 3 and "test target: " in out
    stored = sorted(steps_store(tmp_path, "smoke").folder.glob("*.json"))
    assert len(stored) == 3 and all(json.loads(p.read_text())["evaluations"] for p in stored)
    assert main(args) == 0 and capsys.readouterr().out.count("reused;") == 3
    assert main([*args[:5], "--batches", "6", *args[7:]]) == 2
    assert "batches [6] are not in the smoke sweep; choose among 2, 4, 8" in capsys.readouterr().err


def test_speedup_is_log2_of_how_many_times_fewer_updates_the_larger_batch_needs() -> None:
    perfect = speedup([400, 400, 400], [200, 200, 200])
    assert (perfect.estimate, perfect.low, perfect.high) == pytest.approx((1, 1, 1), abs=1e-12)  # every seed: half
    spread = speedup([400, 440, 360], [200, 220, 180])
    assert spread.estimate == pytest.approx(1.0) and spread.low < 1 < spread.high and spread.positive
    eightfold = speedup([800, 880, 720], [100, 110, 90])  # 8 times the batch, 8 times fewer updates: 3 doublings
    assert eightfold.estimate == pytest.approx(3.0) and eightfold.low < 3 < eightfold.high
    none = speedup([100, 120, 80], [110, 90, 100])
    assert not none.shown and none.unit == ""


def test_sweep_results_finds_the_stored_runs_of_each_rule_and_batch(data_root: str, tmp_path: Path) -> None:
    store = steps_store(tmp_path, "smoke")
    assert store.folder == tmp_path / "steps" / "smoke"
    assert all(runs == [] for runs in sweep_results(store, "smoke").values())
    for rule in ("none", "sqrt"):
        store.save(train(steps_config(8, rule, "smoke", data_root=data_root, progress=False)))
    found = sweep_results(store, "smoke")
    assert set(found) == {(rule, batch) for rule in STEP_RULES for batch in (2, 4, 8)}
    assert [len(found[rule, 8]) for rule in STEP_RULES] == [1, 1, 0]
    assert found["sqrt", 8][0].config_hash == steps_config(8, "sqrt", "smoke").config_hash()


def test_scaling_slope_recovers_perfect_scaling_and_its_interval_narrows_with_runs() -> None:
    perfect = scaling_slope({128: [800, 800], 256: [400, 400], 512: [200, 200]})
    assert (perfect.estimate, perfect.low, perfect.high) == pytest.approx((-1, -1, -1), abs=1e-9)
    assert perfect.batches == (128, 256, 512) and perfect.runs == 6
    rng = np.random.default_rng(0)

    def noisy(seeds: int) -> dict[int, list[float]]:  # updates = 1e5 / B^0.5, scattered by about 20% a run
        return {b: list(1e5 / b**0.5 * 2 ** rng.normal(0, 0.3, seeds)) for b in (64, 128, 256, 512, 1024)}

    few, many = scaling_slope(noisy(2)), scaling_slope(noisy(40))
    assert few.low < -0.5 < few.high and many.low < -0.5 < many.high
    assert many.high - many.low < (few.high - few.low) / 2


def test_scaling_slope_refuses_what_it_cannot_fit() -> None:
    with pytest.raises(ValueError, match="two batches or more and three runs or more"):
        scaling_slope({128: [100, 120, 90]})
    with pytest.raises(ValueError, match="must be > 0"):
        scaling_slope({128: [100, 0], 256: [50]})
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        scaling_slope({128: [100, 120], 256: [50, 60]}, confidence=95)


def test_speedup_refuses_a_run_without_updates_to_take_the_log_of() -> None:
    with pytest.raises(ValueError, match=r"must be > 0 to take its log, got \[400, 0\]"):
        speedup([400, 0], [200, 210])
