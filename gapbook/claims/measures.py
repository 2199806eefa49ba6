"""How a claim turns stored runs into an interval.

A measure reads its samples (one value per seed, for each side it compares) from :class:`Stores`, computes an
:class:`Interval` from them, and says how the samples look with one seed left out, so that every verdict also
reports whether it rests on a single seed. Two measures cover the book's comparisons of experiments:

- :class:`Welch`: the difference of the means of two experiments (Welch's interval, unequal variances);
- :class:`Paired`: the mean of per-seed differences between two experiments run with the same seeds (a one-sample
  t interval), e.g. the same configs re-run on another thread count.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from scipy.stats import t as student_t

from gapbook.stats import welch_interval

from .evidence import Metric, Runs, Stores, final_accuracy
from .verdicts import Interval

__all__ = ["Measure", "Paired", "Samples", "Welch", "drop_one", "mean_of", "welch_of"]

Samples = tuple[tuple[float, ...], ...]
"""A measure's samples: one tuple of per-seed values for each side it compares."""


class Measure(Protocol):
    """What a claim measures: its samples from the stores, their interval, and their leave-one-out variants."""

    unit: str

    def describe(self) -> str:
        """The comparison in words, e.g. "SB − LB, final test accuracy (%)"."""

    def samples(self, stores: Stores, profile: str) -> Samples:
        """The per-seed values of each side, read from ``stores`` at ``profile``."""

    def interval(self, samples: Samples, confidence: float) -> Interval | None:
        """The interval of ``samples``, or ``None`` when they are too few for one."""

    def leave_one_out(self, samples: Samples) -> Iterator[Samples]:
        """``samples`` with one value left out, every way that still allows an interval."""


def drop_one(samples: Samples, least: int = 2) -> Iterator[Samples]:
    """Every way of leaving one value out of one side of ``samples`` that keeps ``least`` values on it."""
    for side, values in enumerate(samples):
        if len(values) <= least:
            continue
        for index in range(len(values)):
            kept = values[:index] + values[index + 1 :]
            yield samples[:side] + (kept,) + samples[side + 1 :]


def welch_of(samples: Samples, confidence: float, unit: str, method: str = "Welch") -> Interval | None:
    """Welch's interval of the mean of the first side of ``samples`` minus that of the second; ``None`` with fewer
    than two values on a side."""
    a, b = samples
    if len(a) < 2 or len(b) < 2:
        return None
    d = welch_interval(a, b, confidence)
    return Interval(d.estimate, d.low, d.high, (len(a), len(b)), confidence, method, unit)


def mean_of(values: tuple[float, ...], confidence: float, unit: str, method: str = "one-sample t") -> Interval | None:
    """The t interval of the mean of ``values`` (e.g. per-seed differences); ``None`` with fewer than two."""
    if len(values) < 2:
        return None
    mean, n = statistics.fmean(values), len(values)
    half = float(student_t.ppf(0.5 + confidence / 2, n - 1)) * statistics.stdev(values) / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, (n,), confidence, method, unit)


@dataclass(frozen=True)
class Welch:
    """``metric`` of experiment ``a`` minus that of ``b``: the difference of their means over seeds, with Welch's
    interval; each side needs two runs or more."""

    a: Runs
    b: Runs
    metric: Metric = final_accuracy
    quantity: str = "final test accuracy (%)"
    unit: str = "points"

    def describe(self) -> str:
        return f"{self.a.label} − {self.b.label}, {self.quantity}"

    def samples(self, stores: Stores, profile: str) -> Samples:
        return tuple(tuple(stores.values(side, profile, self.metric).values()) for side in (self.a, self.b))

    def interval(self, samples: Samples, confidence: float) -> Interval | None:
        return welch_of(samples, confidence, self.unit)

    def leave_one_out(self, samples: Samples) -> Iterator[Samples]:
        return drop_one(samples)


@dataclass(frozen=True)
class Paired:
    """``metric`` of experiment ``a`` minus that of ``b`` seed by seed (the seeds both hold), with the t interval
    of the mean difference; two seeds or more."""

    a: Runs
    b: Runs
    metric: Metric = final_accuracy
    quantity: str = "final test accuracy (%)"
    unit: str = "points"

    def describe(self) -> str:
        return f"{self.a.label} − {self.b.label} seed by seed, {self.quantity}"

    def samples(self, stores: Stores, profile: str) -> Samples:
        a = stores.values(self.a, profile, self.metric)
        b = stores.values(self.b, profile, self.metric)
        return (tuple(a[seed] - b[seed] for seed in sorted(a.keys() & b.keys())),)

    def interval(self, samples: Samples, confidence: float) -> Interval | None:
        return mean_of(samples[0], confidence, self.unit, "paired t")

    def leave_one_out(self, samples: Samples) -> Iterator[Samples]:
        return drop_one(samples)

