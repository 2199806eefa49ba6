"""Claims on the course of a run, not only its end: metrics read at an epoch or after a number of updates, and
the change between two points of the same runs.

- :func:`accuracy_at_epoch` and :func:`accuracy_at_update`: the test accuracy of one evaluation of a run;
- :func:`distance_at_update` and :func:`distance_growth`: the weight distance ||w_t − w_0|| at an update, and its
  growth per epoch over a stretch of epochs;
- :class:`Within`: one metric minus another on the same runs, seed by seed (e.g. the test accuracy across a drop
  of the learning rate), with the paired t interval of :class:`~gapbook.claims.Paired`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from gapbook.train import RunResult

from .evidence import Metric, Runs, Stores
from .measures import Samples, drop_one, mean_of
from .verdicts import Interval

__all__ = ["Within", "accuracy_at_epoch", "accuracy_at_update", "distance_at_update", "distance_growth"]


def accuracy_at_epoch(epoch: int) -> Metric:
    """The metric: a run's test accuracy in percent at the end of ``epoch`` (``None`` if not evaluated there)."""

    def metric(result: RunResult) -> float | None:
        for entry in result.epochs:
            if entry.epoch == epoch and entry.test_acc is not None:
                return 100 * entry.test_acc
        return None

    return metric


def accuracy_at_update(updates: int, within: float = 0.01) -> Metric:
    """The metric: a run's test accuracy in percent at its first evaluation after ``updates`` updates, to within
    the fraction ``within`` (a large batch's epoch holds only whole batches, so its evaluations fall a little
    short of the small batch's); ``None`` if the run has no evaluation there."""

    def metric(result: RunResult) -> float | None:
        for entry in result.epochs:
            if entry.test_acc is not None and abs(entry.iteration / updates - 1) <= within:
                return 100 * entry.test_acc
        return None

    return metric


def distance_at_update(updates: int) -> Metric:
    """The metric: ||w_t − w_0|| after ``updates`` updates, interpolated linearly in log t between the logged
    points (as the book's curves are); ``None`` outside the run's log."""

    def metric(result: RunResult) -> float | None:
        log = result.distance_log
        t = np.asarray(log.iterations, dtype=float)
        if not len(t) or not t[0] <= updates <= t[-1]:
            return None
        return float(np.interp(math.log(updates), np.log(t), np.asarray(log.distances, dtype=float)))

    return metric


def distance_growth(first: int, last: int) -> Metric:
    """The metric: how much ||w_t − w_0|| grows per epoch from the end of epoch ``first`` to the end of epoch
    ``last`` (``first`` 0: from the initialization, where the distance is 0); ``None`` if either is not logged."""
    if not 0 <= first < last:
        raise ValueError(f"need 0 <= first < last epochs, got {first} and {last}")

    def metric(result: RunResult) -> float | None:
        at = {entry.epoch: entry.distance for entry in result.epochs}
        start = 0.0 if first == 0 else at.get(first)
        end = at.get(last)
        if start is None or end is None:
            return None
        return (end - start) / (last - first)

    return metric


@dataclass(frozen=True)
class Within:
    """``later`` minus ``earlier`` on the same runs of ``runs``, seed by seed, with the paired t interval of the
    mean change (two seeds or more); e.g. the test accuracy after a drop of the learning rate minus before it."""

    runs: Runs
    later: Metric
    earlier: Metric
    quantity: str
    unit: str = "points"

    def describe(self) -> str:
        return f"{self.runs.label}, {self.quantity}, seed by seed"

    def samples(self, stores: Stores, profile: str) -> Samples:
        later = stores.values(self.runs, profile, self.later)
        earlier = stores.values(self.runs, profile, self.earlier)
        return (tuple(later[seed] - earlier[seed] for seed in sorted(later.keys() & earlier.keys())),)

    def interval(self, samples: Samples, confidence: float) -> Interval | None:
        return mean_of(samples[0], confidence, self.unit, "paired t")

    def leave_one_out(self, samples: Samples) -> Iterator[Samples]:
        return drop_one(samples)
