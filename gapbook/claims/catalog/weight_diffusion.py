"""The claims of the chapter weight_diffusion: how far the weights travel in the high-learning-rate phase of the
MNIST row's Table 1 runs (F1), at ``mini`` and at the paper's scale, ``full``.

Two measures read the runs' logs of ||w_t − w_0||:

- :class:`Between`: a statistic of two experiments' runs at the last update both logged in their phase (a slope of
  d against log t up to it, or the distance at it), as a difference of means (Welch) or as the percentage by which
  the first mean exceeds the second (Welch's interval of the difference of the logs, turned into a percentage);
- :class:`WithinRuns`: a statistic of each run of one experiment (how much better one law fits than another, how
  far the fitted exponent moves with the window), with the t interval of its mean over seeds.

The directions fixed before any run are the paper's: log t fits the whole phase better than sqrt(t), a larger
batch travels less at one learning rate (Figure 1, left), the small batch tests better after the learning rate
drops. What was seen in the runs first says so (``fixed="after"``): sqrt(t) fitting better from t = 50 on (a range
chosen after looking at the curves), the band of "nearly the same slope" with the remedies, the lower training
loss of the large batch at a constant learning rate, the window moving the fitted exponent, and the overshoot of
the matched large batch at ``full``. The rest is reported with its verdict, claiming nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from gapbook.fits import compare_fits, fit_log_power
from gapbook.stats import welch_interval
from gapbook.train import RunResult
from gapbook.train.results import EpochMetrics

from ..claim import Claim
from ..evidence import Runs, Stores
from ..measures import Samples, Welch, drop_one, mean_of, welch_of
from ..verdicts import Expect, Interval
from .common import ABOVE, BELOW, REPORT

__all__ = [
    "Between",
    "WithinRuns",
    "CLAIMS",
    "alpha_shift",
    "distance_at",
    "last_logged",
    "log_slope",
    "phase_epochs",
    "r2_margin",
]


def last_logged(result: RunResult) -> float:
    """The last update logged in ``result``'s high-learning-rate phase."""
    return float(result.high_lr_distances.iterations[-1])


def log_slope(result: RunResult, t_max: float) -> float:
    """The slope b of d = a + b log t fitted to ``result``'s phase over 2 <= t <= ``t_max``."""
    log = result.high_lr_distances
    return compare_fits(log.iterations, log.distances, t_min=2, t_max=t_max)["log"].parameters["b"]


def distance_at(result: RunResult, t: float) -> float:
    """||w_t − w_0|| of ``result`` at update ``t`` (interpolated in log t)."""
    return result.high_lr_distances.at(t)


def r2_margin(better: str, worse: str, t_min: float) -> Callable[[RunResult], float]:
    """R² of law ``better`` minus R² of law ``worse`` (names of :func:`gapbook.fits.compare_fits`), fitted to a
    run's phase from update ``t_min`` on."""

    def margin(result: RunResult) -> float:
        log = result.high_lr_distances
        fits = compare_fits(log.iterations, log.distances, t_min=t_min)
        return fits[better].r2 - fits[worse].r2

    return margin


def alpha_of(result: RunResult, t_min: float) -> float:
    """The model's roughness exponent read from a run, 2 / beta of d = c (log t)^beta fitted from ``t_min`` on."""
    log = result.high_lr_distances
    keep = log.iterations >= t_min
    return 2 / fit_log_power(log.iterations[keep], log.distances[keep]).parameters["beta"]


def alpha_shift(result: RunResult) -> float:
    """How far the estimate of alpha moves when the window starts at t = 50 instead of t = 2."""
    return alpha_of(result, 50) - alpha_of(result, 2)


def phase_epochs(result: RunResult) -> tuple[EpochMetrics, EpochMetrics | None]:
    """The epoch metrics at the end of the high-learning-rate phase (the last epoch ending within it) and of the
    first epoch ending after it (``None`` when there is none)."""
    end = result.high_lr_updates
    inside = [e for e in result.epochs if e.iteration <= end]
    after = [e for e in result.epochs if e.iteration > end]
    return inside[-1], (after[0] if after else None)


def _phase_accuracy(result: RunResult) -> float:
    return 100 * phase_epochs(result)[0].test_acc


def _phase_loss(result: RunResult) -> float:
    """The training loss at the end of the phase, in thousandths (so that two decimals resolve it)."""
    return 1000 * phase_epochs(result)[0].train_loss


def _after_drop_accuracy(result: RunResult) -> float | None:
    after = phase_epochs(result)[1]
    return None if after is None else 100 * after.test_acc


@dataclass(frozen=True)
class Between:
    """``statistic(run, t)`` of experiment ``a`` against ``b``, ``t`` the last update that every run of both logged
    in its phase. With ``relative``, how many percent a's mean exceeds b's (Welch's interval of mean log a − mean
    log b, as a percentage); otherwise the difference of the means (Welch). Each side needs two runs or more."""

    a: Runs
    b: Runs
    statistic: Callable[[RunResult, float], float]
    quantity: str
    relative: bool = False

    @property
    def unit(self) -> str:
        return "%" if self.relative else ""

    def describe(self) -> str:
        how = "by how many % mean exceeds mean" if self.relative else "difference of the means"
        return f"{self.a.label} against {self.b.label}, {self.quantity} ({how})"

    def samples(self, stores: Stores, profile: str) -> Samples:
        sides = [stores.runs(self.a, profile), stores.runs(self.b, profile)]
        if not all(sides):
            return ((), ())
        t = min(last_logged(result) for side in sides for result in side)
        return tuple(tuple(self.statistic(result, t) for result in side) for side in sides)

    def interval(self, samples: Samples, confidence: float) -> Interval | None:
        a, b = samples
        if len(a) < 2 or len(b) < 2:
            return None
        if not self.relative:
            return welch_of(samples, confidence, "")
        d = welch_interval(np.log(a), np.log(b), confidence, unit="")
        low, mean, high = (100 * (math.exp(v) - 1) for v in (d.low, d.estimate, d.high))
        return Interval(mean, low, high, (len(a), len(b)), confidence, "Welch on logs", "%")

    def leave_one_out(self, samples: Samples) -> Iterator[Samples]:
        return drop_one(samples)


@dataclass(frozen=True)
class WithinRuns:
    """``statistic`` of every run of experiment ``runs``, with the t interval of its mean over the seeds (two or
    more)."""

    runs: Runs
    statistic: Callable[[RunResult], float]
    quantity: str
    unit: str = ""

    def describe(self) -> str:
        return f"{self.runs.label}, {self.quantity}, per seed"

    def samples(self, stores: Stores, profile: str) -> Samples:
        return (tuple(self.statistic(result) for result in stores.runs(self.runs, profile)),)

    def interval(self, samples: Samples, confidence: float) -> Interval | None:
        return mean_of(samples[0], confidence, self.unit)

    def leave_one_out(self, samples: Samples) -> Iterator[Samples]:
        return drop_one(samples)


F1, CHAPTER = "mnist-f1", "weight_diffusion"
SB, LB, LR, GBN = (Runs.column(F1, column) for column in ("SB", "LB", "+LR", "+GBN"))
AFTER_ABOVE, AFTER_BELOW = Expect("above", fixed="after"), Expect("below", fixed="after")
NEAR = Expect("band", band=(-25.0, 25.0), fixed="after")
"""Within 25% either way: "nearly the same", a band chosen after seeing the runs."""

SLOPE = "slope of d against log t up to the last update both logged"
DISTANCE = "||w_t − w_0|| at the last update both logged"
WHOLE = r2_margin("log", "sqrt", 2)
LATE = r2_margin("sqrt", "log", 50)
LOSS = "training loss at the phase's end (thousandths)"


def _claim(key: str, profile: str, says: str, measure: object, expect: Expect) -> Claim:
    return Claim(key, CHAPTER, profile, f"F1 at {profile}: {says}", measure, expect)  # type: ignore[arg-type]


CLAIMS: tuple[Claim, ...] = (
    _claim("wd_mini_r2_whole", "mini", "SB, R² of log t minus R² of sqrt t over the whole phase",
           WithinRuns(SB, WHOLE, "R² of log t − R² of sqrt t, t ≥ 2"), ABOVE),
    _claim("wd_mini_r2_late", "mini", "SB, R² of sqrt t minus R² of log t from t = 50 on",
           WithinRuns(SB, LATE, "R² of sqrt t − R² of log t, t ≥ 50"), AFTER_ABOVE),
    _claim("wd_mini_slope_lb", "mini", "the slope against log t, SB over LB (% above)",
           Between(SB, LB, log_slope, SLOPE, relative=True), ABOVE),
    _claim("wd_mini_slope_gbn", "mini", "the slope against log t, +GBN over SB (% above)",
           Between(GBN, SB, log_slope, SLOPE, relative=True), NEAR),
    _claim("wd_mini_slope_gbn_lr", "mini", "the slope against log t, +GBN − +LR",
           Between(GBN, LR, log_slope, SLOPE), REPORT),
    _claim("wd_mini_acc_phase", "mini", "LB − SB, test accuracy at the end of the high-learning-rate phase",
           Welch(LB, SB, _phase_accuracy, "test accuracy (%) at the phase's end"), REPORT),
    _claim("wd_mini_loss_phase", "mini", "LB − SB, training loss at the end of the high-learning-rate phase",
           Welch(LB, SB, _phase_loss, LOSS, "× 10⁻³"), AFTER_BELOW),
    _claim("wd_mini_loss_phase_gbn", "mini", "+GBN − SB, training loss at the end of the high-learning-rate phase",
           Welch(GBN, SB, _phase_loss, LOSS, "× 10⁻³"), REPORT),
    _claim("wd_mini_acc_drop", "mini", "LB − SB, test accuracy one epoch after the learning rate drops",
           Welch(LB, SB, _after_drop_accuracy, "test accuracy (%) after the drop"), BELOW),
    _claim("wd_mini_alpha_window", "mini", "SB, alpha from t = 50 on minus alpha from t = 2 on",
           WithinRuns(SB, alpha_shift, "2 / beta from t ≥ 50 − 2 / beta from t ≥ 2"), AFTER_ABOVE),
    _claim("wd_full_r2_sb", "full", "SB, R² of log t minus R² of sqrt t over the whole phase",
           WithinRuns(SB, WHOLE, "R² of log t − R² of sqrt t, t ≥ 2"), ABOVE),
    _claim("wd_full_r2_sb_late", "full", "SB, R² of sqrt t minus R² of log t from t = 50 on",
           WithinRuns(SB, LATE, "R² of sqrt t − R² of log t, t ≥ 50"), AFTER_ABOVE),
    _claim("wd_full_r2_lb", "full", "LB, R² of log t minus R² of sqrt t over the whole phase",
           WithinRuns(LB, WHOLE, "R² of log t − R² of sqrt t, t ≥ 2"), ABOVE),
    _claim("wd_full_d_lb", "full", "the distance at the large batch's last update, LB over SB (% above)",
           Between(LB, SB, distance_at, DISTANCE, relative=True), BELOW),
    _claim("wd_full_d_lr", "full", "the distance at the large batch's last update, +LR over SB (% above)",
           Between(LR, SB, distance_at, DISTANCE, relative=True), AFTER_ABOVE),
    _claim("wd_full_d_gbn", "full", "the distance at the large batch's last update, +GBN over SB (% above)",
           Between(GBN, SB, distance_at, DISTANCE, relative=True), AFTER_ABOVE),
    _claim("wd_full_d_gbn_lr", "full", "the distance at the large batch's last update, +GBN − +LR",
           Between(GBN, LR, distance_at, DISTANCE), REPORT),
)
