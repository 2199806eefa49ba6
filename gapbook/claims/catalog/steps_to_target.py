"""The claims of the chapter steps_to_target, and the two measures they need on the sweep's own store.

The sweep (:mod:`gapbook.experiments.steps`) stores its runs under ``<results dir>/steps/<profile>/``, apart from
Table 1's. Its claims are about the updates a run needed to reach a target, on a log2 scale:

- :class:`StepsSlope`: the slope of log2 updates against log2 batch over a range of batches, every seed's run
  pooled (:func:`gapbook.experiments.steps.scaling_slope`); −1 is perfect scaling, 0 no gain from a larger batch;
- :class:`StepsSpeedup`: log2 of how many times fewer updates one point of the sweep needs than another (Welch
  over seeds, as :func:`gapbook.experiments.steps.speedup`).

A run that never reached the target within its budget has no number of updates: a side holding one gets no
interval (the claim is then not made), never an interval on the runs that happened to reach it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gapbook.experiments.steps import STEPS_FOLDER, scaling_slope, steps_config, updates_to_target
from gapbook.train import RunResult

from ..claim import Claim
from ..evidence import Metric, Runs, Stores
from ..measures import Samples, drop_one, welch_of
from ..verdicts import Expect, Interval
from .common import REPORT

__all__ = [
    "ABOUT_PERFECT",
    "CLAIMS",
    "COSTS",
    "DIMINISHING",
    "FEWER",
    "HIGH",
    "LOW",
    "STEEPER",
    "StepsSlope",
    "StepsSpeedup",
    "Target",
    "point",
    "to_target",
]

Target = Literal["test_acc", "train_loss"]
"""The sweep's two targets: its test accuracy, its training loss (their values: ``steps_scale(profile)``)."""

LOW: tuple[int, ...] = (128, 256, 512, 1024)
"""From the base batch to eight times it (the range was chosen after looking at the curve)."""
HIGH: tuple[int, ...] = (1024, 2048, 4096, 8192)
"""From eight times the base batch to the largest batch at mini, the same range for every rule."""
ABOUT_PERFECT = Expect("band", band=(-1.25, -0.75), fixed="after")
""""About perfect scaling": the slope's whole 95% interval within ±0.25 of −1 (a band chosen after seeing the
curve; it makes two-sided the one-sided "steeper than −0.75" the chapter first checked)."""


def to_target(target: Target) -> Metric:
    """The updates a run needed to reach ``target`` (interpolated on the log grid of its evaluations), and
    ``math.inf`` for a run that never reached it: it is kept, so that its side gets no interval."""

    def metric(result: RunResult) -> float:
        goal = getattr(result.train_config, f"stop_at_{target}")
        found = updates_to_target(result, **{target: goal}, interpolate=True)
        return math.inf if found is None else found

    return metric


def point(rule: str, batch: int) -> Runs:
    """The sweep's runs at ``batch`` with learning-rate ``rule``, every seed stored."""
    return Runs(f"{rule} at {batch}", lambda profile: steps_config(batch, rule, profile, progress=False))


def _sweep_stores(stores: Stores) -> Stores:
    """The sweep's stores: the ``steps`` folder of each results folder."""
    return Stores([Path(folder) / STEPS_FOLDER for folder in stores.folders])


def _finite(samples: Samples) -> bool:
    return all(math.isfinite(value) for side in samples for value in side)


@dataclass(frozen=True)
class StepsSlope:
    """The slope of log2 updates to ``target`` against log2 batch for learning-rate ``rule`` over ``batches``, on
    the seeds stored at every batch of the range (one side per batch, in seed order); its leave-one-out variants
    leave one seed out of every batch at once."""

    rule: str
    batches: tuple[int, ...]
    target: Target
    unit: str = ""

    def describe(self) -> str:
        return f"slope of log2 updates to the {self.target} target against log2 batch, {self.rule}, " + (
            f"batches {self.batches[0]} to {self.batches[-1]}"
        )

    def samples(self, stores: Stores, profile: str) -> Samples:
        sweep, metric = _sweep_stores(stores), to_target(self.target)
        found = [sweep.values(point(self.rule, batch), profile, metric) for batch in self.batches]
        seeds = sorted(set.intersection(*(set(values) for values in found)))
        return tuple(tuple(values[seed] for seed in seeds) for values in found)

    def interval(self, samples: Samples, confidence: float) -> Interval | None:
        runs = sum(map(len, samples))
        if not _finite(samples) or min(map(len, samples)) < 1 or runs < 3:
            return None
        fit = scaling_slope(dict(zip(self.batches, samples)), confidence)
        ends = float(fit.estimate), float(fit.low), float(fit.high)
        return Interval(*ends, (runs,), confidence, "least-squares slope", self.unit)

    def leave_one_out(self, samples: Samples) -> Iterator[Samples]:
        seeds = min(map(len, samples))
        if seeds < 3:
            return
        for index in range(seeds):
            yield tuple(side[:index] + side[index + 1 :] for side in samples)


@dataclass(frozen=True)
class StepsSpeedup:
    """log2 of how many times fewer updates to ``target`` point ``b`` needs than point ``a`` (each a (rule,
    batch)): mean log2 updates of ``a`` minus that of ``b``, Welch over seeds (as
    :func:`gapbook.experiments.steps.speedup`, at any confidence); above zero, ``b`` needs fewer."""

    a: tuple[str, int]
    b: tuple[str, int]
    target: Target
    unit: str = ""

    def describe(self) -> str:
        a, b = point(*self.a).label, point(*self.b).label
        return f"log2 of how many times fewer updates to the {self.target} target {b} needs than {a}"

    def samples(self, stores: Stores, profile: str) -> Samples:
        sweep, metric = _sweep_stores(stores), to_target(self.target)
        return tuple(tuple(sweep.values(point(*side), profile, metric).values()) for side in (self.a, self.b))

    def interval(self, samples: Samples, confidence: float) -> Interval | None:
        if not _finite(samples):
            return None
        return welch_of(tuple(tuple(math.log2(v) for v in side) for side in samples), confidence, self.unit)

    def leave_one_out(self, samples: Samples) -> Iterator[Samples]:
        return drop_one(samples)


_TARGETS: tuple[tuple[Target, str], ...] = (("test_acc", "test"), ("train_loss", "train"))
STEEPER = Expect("below", threshold=-1.0, fixed="after")
"""Steeper than perfect scaling: the slope's 95% interval below −1 (a direction read off the curve)."""
DIMINISHING = Expect("above", threshold=-1.0)
"""Diminishing returns: the slope's 95% interval above −1, shallower than perfect scaling (Shallue et al.'s
regime, fixed before the sweep)."""
COSTS = Expect("above", fixed="after")
"""The square-root rule needs more updates than the unscaled rate (a direction read off the curve)."""
FEWER = Expect("above")
"""The larger batch needs fewer updates than the base batch: fewer epochs than regime adaptation gives it."""


def _claims() -> tuple[Claim, ...]:
    found: list[Claim] = []
    for target, name in _TARGETS:
        for rule in ("sqrt", "linear"):
            found.append(Claim(f"steps_low_{rule}_{name}", "steps_to_target", "mini",
                               f"{rule} rule, 128 to 1024, {name} target: about perfect scaling",
                               StepsSlope(rule, LOW, target), ABOUT_PERFECT))  # fmt: skip
        found.append(Claim(f"steps_low_none_{name}", "steps_to_target", "mini",
                           f"unscaled rate, 128 to 1024, {name} target: steeper than perfect scaling",
                           StepsSlope("none", LOW, target), STEEPER))  # fmt: skip
        found.append(Claim(f"steps_high_none_{name}", "steps_to_target", "mini",
                           f"unscaled rate, 1024 to 8192, {name} target: diminishing returns",
                           StepsSlope("none", HIGH, target), DIMINISHING))  # fmt: skip
    found.append(Claim("steps_high_sqrt_train", "steps_to_target", "mini",
                       "sqrt rule, 1024 to 8192, train target: the slope",
                       StepsSlope("sqrt", HIGH, "train_loss"), REPORT))  # fmt: skip
    costs: tuple[tuple[int, Target, str], ...] = ((4096, "test_acc", "test"), (4096, "train_loss", "train"),
                                                  (8192, "train_loss", "train"))  # fmt: skip
    for batch, target, name in costs:
        found.append(Claim(f"steps_sqrt_cost_{batch}_{name}", "steps_to_target", "mini",
                           f"at {batch}, {name} target: the unscaled rate needs fewer updates than the sqrt rule",
                           StepsSpeedup(("sqrt", batch), ("none", batch), target), COSTS))  # fmt: skip
    for rule in ("none", "sqrt"):
        found.append(Claim(f"steps_epochs_{rule}", "steps_to_target", "mini",
                           f"{rule} rule, test target: batch 4096 needs fewer updates than batch 128, so fewer epochs "
                           "than regime adaptation gives",
                           StepsSpeedup((rule, 128), (rule, 4096), "test_acc"), FEWER))  # fmt: skip
    return tuple(found)


CLAIMS: tuple[Claim, ...] = _claims()
