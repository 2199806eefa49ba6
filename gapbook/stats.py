"""Differences between experiments, with their uncertainty: the one way the book states that A beats B.

Every claim of the form "column A tests better than column B" compares two small samples (one accuracy per
seed). The book asserts such a claim on a 95% confidence interval of the difference of the means, never on the
sign of the difference: Welch's interval, which does not assume equal variances (the large-batch columns
scatter differently from the small-batch one). When the interval includes zero the difference is "not shown at
this scale".
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence, Sized
from dataclasses import dataclass

from scipy.stats import t as student_t

__all__ = ["Difference", "Sample", "check_confidence", "enough_for_interval", "welch_interval"]


@dataclass(frozen=True)
class Sample:
    """Values of one experiment (e.g. an accuracy per seed): their mean, sample standard deviation and count."""

    mean: float
    std: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Sample:
        """The sample of ``values``; at least two finite values, so that a standard deviation exists."""
        values = [float(value) for value in values]
        if len(values) < 2:
            raise ValueError(f"a sample needs at least 2 values for a standard deviation, got {len(values)}")
        if not all(math.isfinite(value) for value in values):
            raise ValueError(f"a sample's values must be finite, got {values}")
        return cls(statistics.fmean(values), statistics.stdev(values), len(values))

    def __str__(self) -> str:
        return f"{self.mean:.2f} ± {self.std:.2f} (n={self.n})"


@dataclass(frozen=True)
class Difference:
    """The difference ``a.mean - b.mean`` with its confidence interval [``low``, ``high``] (Welch)."""

    a: Sample
    b: Sample
    confidence: float
    low: float
    high: float
    df: float
    unit: str = "points"

    @property
    def estimate(self) -> float:
        """The difference of the means, a - b."""
        return self.a.mean - self.b.mean

    @property
    def shown(self) -> bool:
        """Whether the interval excludes zero: the difference is shown at this confidence."""
        return self.low > 0 or self.high < 0

    @property
    def positive(self) -> bool:
        """Whether the whole interval lies above zero: a is shown to exceed b."""
        return self.low > 0

    def __str__(self) -> str:
        verdict = "shown" if self.shown else "not shown at this scale"
        return (
            f"{self.estimate:+.2f}{' ' + self.unit if self.unit else ''}, {100 * self.confidence:g}% interval "
            f"[{self.low:+.2f}, {self.high:+.2f}] "
            f"({verdict}; Welch, n = {self.a.n} and {self.b.n})"
        )


def check_confidence(confidence: float) -> None:
    """Refuse a ``confidence`` level outside (0, 1), naming it: 0.95 asks for a 95% interval."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1 (0.95 for 95%), got {confidence!r}")


def welch_interval(
    a: Sequence[float], b: Sequence[float], confidence: float = 0.95, unit: str = "points"
) -> Difference:
    """The ``confidence`` interval of mean(a) - mean(b) by Welch's t method (unequal variances), in ``unit`` (as
    printed; accuracies in points by default, "" for a quantity without one).

    The standard error is sqrt(s_a^2 / n_a + s_b^2 / n_b) and the degrees of freedom those of the
    Welch-Satterthwaite equation; with two constant samples the interval is the difference itself.
    """
    check_confidence(confidence)
    first, second = Sample.of(a), Sample.of(b)
    va, vb = first.std**2 / first.n, second.std**2 / second.n
    error = math.sqrt(va + vb)
    difference = first.mean - second.mean
    if error == 0:
        return Difference(first, second, confidence, difference, difference, math.inf, unit)
    df = (va + vb) ** 2 / (va**2 / (first.n - 1) + vb**2 / (second.n - 1))
    half = float(student_t.ppf(0.5 + confidence / 2, df)) * error
    return Difference(first, second, confidence, difference - half, difference + half, df, unit)


def enough_for_interval(*samples: Sized) -> bool:
    """Whether every one of ``samples`` holds two values or more, so that :func:`welch_interval` can compare them."""
    return all(len(sample) >= 2 for sample in samples)
