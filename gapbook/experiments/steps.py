"""Steps to a target against batch size: how many more updates a larger batch needs, measured after the paper.

Shallue et al. (2019) measured the number of updates a network needs to reach a target as its batch grows:
perfect scaling (twice the batch, half the updates) up to a critical batch, diminishing returns beyond it.
McCandlish et al. (2018) tie the bend to the gradient noise scale. This sweep measures that curve for F1 on
MNIST under three learning-rate rules: ``none`` (the small batch's rate at every batch), ``sqrt`` (the paper's)
and ``linear`` (Goyal et al. 2017, with a warm-up where it raises the rate). Every run holds the authors' first F1
learning rate, scaled by its rule, constant; logs the test accuracy and the training loss at log-spaced updates;
and ends at the first evaluation that meets both targets, or at its budget of epochs.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from scipy.stats import linregress
from scipy.stats import t as student_t

from gapbook.regime import Regime
from gapbook.stats import Difference, check_confidence, welch_interval
from gapbook.train import RunResult, TrainConfig, authors_regime

from .profiles import PROFILES
from .store import ResultStore

__all__ = [
    "STEPS_FOLDER",
    "STEP_RULES",
    "ScalingSlope",
    "StepsScale",
    "scaling_slope",
    "speedup",
    "steps_config",
    "steps_configs",
    "steps_scale",
    "steps_store",
    "sweep_results",
    "updates_to_target",
]

STEPS_FOLDER = "steps"
"""The sweep's results live in ``<results dir>/steps/<profile>/``, apart from Table 1's."""

STEP_RULES: tuple[str, ...] = ("none", "sqrt", "linear")
"""The learning-rate rules of the sweep, from the small batch's rate: unscaled, sqrt(B / B_S), B / B_S."""


@dataclass(frozen=True)
class StepsScale:
    """The sweep at one profile: its batches, targets, budget, logging density, seeds and data.

    ``base_batch`` is the batch the authors' learning rate was tuned for (the paper's small batch); a run stops at
    the first evaluation with test accuracy >= ``target_test_acc`` and training loss <= ``target_train_loss``, or
    after ``budget_epochs``. The linear rule warms up over ``warmup_epochs`` where it raises the learning rate.
    """

    profile: str
    batches: tuple[int, ...]
    base_batch: int
    target_test_acc: float
    target_train_loss: float
    budget_epochs: float
    warmup_epochs: float
    points_per_decade: int
    seeds: tuple[int, ...]
    augment: bool
    train_size: int | None
    differences: tuple[str, ...]

    def regime(self) -> Regime:
        """The authors' first F1 phase (learning rate 0.1, momentum 0.9, weight decay 1e-4) for the budget."""
        return authors_regime("f1").first_phase(self.budget_epochs)


_MNIST = "F1 on MNIST (60,000 training images, no augmentation), the network of Table 1's first row."
_SCALES = {
    "smoke": StepsScale(
        "smoke", (2, 4, 8), 4, 0.5, 1.0, 4, 1, 10, (0,), False, None,
        ("Tiny synthetic data: proves the plumbing, measures nothing.",),
    ),
    "mini": StepsScale(
        "mini", tuple(2**k for k in range(5, 14)), 128, 0.975, 0.05, 40, 1, 10, (0, 1, 2), False, None,
        (
            _MNIST,
            "The learning rate held at its first value (0.1 at batch 128, scaled by the rule), no decay: the "
            "updates to a target, not the best accuracy, are what is measured.",
            "Targets: 97.5% test accuracy (at a constant learning rate F1 levels off near 98%, where the first "
            "crossing is decided by noise) and a training loss of 0.05 (on 10,000 training images in evaluation "
            "mode); budget: 40 epochs a run.",
        ),
    ),
    "full": StepsScale(
        "full", tuple(2**k for k in range(5, 15)), 128, 0.975, 0.05, 100, 1, 20, (0, 1, 2, 3, 4), False, None,
        (
            _MNIST,
            "The learning rate held at its first value (0.1 at batch 128, scaled by the rule), no decay.",
            "Targets: 97.5% test accuracy and a training loss of 0.05, as at mini; evaluations twenty a decade; "
            "budget: 100 epochs a run; batches to 16,384; five seeds.",
        ),
    ),
}  # fmt: skip


def steps_store(results_dir: str | os.PathLike[str], profile: str) -> ResultStore:
    """The store of the sweep's results at ``profile`` under ``results_dir``."""
    return ResultStore(Path(results_dir) / STEPS_FOLDER, profile)


def steps_scale(profile: str) -> StepsScale:
    """The sweep at ``profile`` (smoke, mini or full)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; the profiles are {', '.join(PROFILES)}")
    return _SCALES[profile]


def steps_config(
    batch_size: int,
    rule: str,
    profile: str,
    *,
    seed: int = 0,
    device: str = "auto",
    data_root: str | None = None,
    progress: bool = True,
) -> TrainConfig:
    """The run of the sweep at ``batch_size`` with learning-rate ``rule`` (one of :data:`STEP_RULES`).

    At the base batch every rule is the same run (same config, same hash).
    """
    if rule not in STEP_RULES:
        raise ValueError(f"rule must be one of {', '.join(STEP_RULES)}, got {rule!r}")
    chosen = steps_scale(profile)
    regime = chosen.regime()
    if rule == "linear" and batch_size > chosen.base_batch:
        regime = dataclasses.replace(regime, warmup_epochs=chosen.warmup_epochs)
    scaled = rule != "none" and batch_size != chosen.base_batch
    return TrainConfig(
        model="f1",
        dataset="mnist",
        batch_size=batch_size,
        train_size=chosen.train_size,
        regime=regime.to_dict(),
        base_batch_size=chosen.base_batch if scaled else None,
        lr_rule=rule if scaled else "sqrt",
        augment=chosen.augment,
        seed=seed,
        eval_every=max(1, int(chosen.budget_epochs)),
        eval_points_per_decade=chosen.points_per_decade,
        stop_at_test_acc=chosen.target_test_acc,
        stop_at_train_loss=chosen.target_train_loss,
        device=device,
        progress=progress,
        data_root=data_root,
    )


def steps_configs(
    profile: str,
    *,
    rules: Iterable[str] = STEP_RULES,
    seeds: Iterable[int] | None = None,
    **options: object,
) -> list[TrainConfig]:
    """Every run of the sweep at ``profile``, seed by seed, each distinct config once (the base batch is shared
    by the rules); ``options`` go to :func:`steps_config`."""
    chosen = steps_scale(profile)
    configs: dict[str, TrainConfig] = {}
    for seed in chosen.seeds if seeds is None else seeds:
        for rule in rules:
            for batch in chosen.batches:
                config = steps_config(batch, rule, profile, seed=seed, **options)  # type: ignore[arg-type]
                configs.setdefault(config.config_hash(), config)
    return list(configs.values())


def updates_to_target(
    result: RunResult,
    *,
    test_acc: float | None = None,
    train_loss: float | None = None,
    interpolate: bool = False,
) -> float | None:
    """The update at which ``result`` first reached the target given (test accuracy at least ``test_acc``, or
    training loss at most ``train_loss``); ``None`` when it never did within its run.

    Without ``interpolate`` it is the first logged update that meets the target (an upper bound, on the log grid
    of the evaluations); with it, the crossing between that evaluation and the one before, interpolated linearly
    in the metric against log(update), so that seeds landing on one grid point still differ.
    """
    targets = {name: value for name, value in {"test_acc": test_acc, "train_loss": train_loss}.items()
               if value is not None}  # fmt: skip
    if len(targets) != 1:
        raise ValueError("give exactly one target: test_acc=... or train_loss=...")
    if not result.evaluations:
        raise ValueError(
            "this result has no log-spaced evaluations; train it with eval_points_per_decade set (steps_config does)"
        )
    (metric, target), points = next(iter(targets.items())), result.evaluations
    index = next((i for i, point in enumerate(points) if point.meets(targets)), None)
    if index is None:
        return None
    if not interpolate or index == 0:
        return float(points[index].iteration)
    before, after = points[index - 1], points[index]
    start, end = getattr(before, metric), getattr(after, metric)
    if start is None or end is None:  # a loss that was not finite: no line to interpolate on
        return float(after.iteration)
    share = (target - start) / (end - start)
    return float(math.exp(math.log(before.iteration) + share * math.log(after.iteration / before.iteration)))


def sweep_results(
    store: ResultStore, profile: str, *, rules: Iterable[str] = STEP_RULES
) -> dict[tuple[str, int], list[RunResult]]:
    """The stored runs of the sweep at ``profile``, by (rule, batch), over the profile's seeds; a point without a
    stored run has an empty list (the base batch's runs are every rule's)."""
    chosen = steps_scale(profile)
    found: dict[tuple[str, int], list[RunResult]] = {}
    for rule in rules:
        for batch in chosen.batches:
            runs = (store.lookup(steps_config(batch, rule, profile, seed=seed)) for seed in chosen.seeds)
            found[rule, batch] = [run for run in runs if run is not None]
    return found


def speedup(at_small: Sequence[float], at_large: Sequence[float]) -> Difference:
    """How many times fewer updates the larger batch needs, as log2 of the factor: the Welch interval of
    mean(log2 updates at the smaller batch) - mean(log2 updates at the larger) over seeds.

    ``at_small`` and ``at_large`` are the updates each seed needed at the two batches. Perfect scaling is log2 of
    the batch ratio (1 for a doubling, 3 from B to 8B: that many times fewer updates), no gain at all is 0.
    """
    return welch_interval(_log2_updates(at_small), _log2_updates(at_large), unit="")


def _log2_updates(updates: Iterable[float]) -> list[float]:
    """log2 of each number of updates, refusing one that is not > 0 (a run that did not reach its target has none)."""
    updates = list(updates)
    if not all(value > 0 for value in updates):
        raise ValueError(f"every number of updates must be > 0 to take its log, got {updates}")
    return [math.log2(value) for value in updates]


@dataclass(frozen=True)
class ScalingSlope:
    """The slope of log2(updates to target) against log2(batch) over a range of batches, with its interval: -1 is
    perfect scaling (twice the batch, half the updates), 0 no gain from a larger batch, above 0 a loss."""

    estimate: float
    low: float
    high: float
    confidence: float
    batches: tuple[int, ...]
    runs: int

    def __str__(self) -> str:
        span = f"{self.batches[0]} to {self.batches[-1]}"
        return (
            f"slope {self.estimate:+.2f}, {100 * self.confidence:g}% interval [{self.low:+.2f}, {self.high:+.2f}] "
            f"(batches {span}, {self.runs} runs)"
        )


def scaling_slope(updates: Mapping[int, Sequence[float]], confidence: float = 0.95) -> ScalingSlope:
    """The least-squares slope of log2 updates against log2 batch over every seed's run in ``updates`` (batch ->
    the updates each seed needed), with the t interval of a straight-line fit (n - 2 degrees of freedom).

    Pooling the batches of a range states "how the updates fall as the batch grows" on all its runs at once, where
    one doubling moves the updates by about the scatter between seeds.
    """
    check_confidence(confidence)
    runs = sum(len(values) for values in updates.values())
    if len(updates) < 2 or runs < 3:
        raise ValueError(
            f"a slope with an interval needs two batches or more and three runs or more, got {len(updates)} "
            f"batch(es) and {runs} run(s)"
        )
    points = [(math.log2(batch), log_value) for batch, values in updates.items() for log_value in _log2_updates(values)]
    fit = linregress(*zip(*points))
    half = float(student_t.ppf(0.5 + confidence / 2, len(points) - 2)) * fit.stderr
    slope = float(fit.slope)
    return ScalingSlope(slope, slope - half, slope + half, confidence, tuple(sorted(updates)), len(points))
