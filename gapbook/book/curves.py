"""Curves of training runs over seeds, for the book's figures.

A :class:`Curve` holds one quantity of several runs of an experiment (its seeds) at the points where every run
measured it: a per-epoch metric of :class:`~gapbook.train.EpochMetrics` against epochs or optimizer updates
(:func:`metric_curve`), or the weight distance ||w_t - w_0|| against updates (:func:`distance_curve`).
:func:`plot_curve` draws every seed, their mean and a band of one standard deviation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from gapbook.train import EpochMetrics, RunResult

__all__ = ["AXES", "METRICS", "Curve", "distance_curve", "error_percent", "metric_curve", "plot_curve"]

AXES: tuple[str, ...] = ("epoch", "iteration")
"""What a metric can be plotted against: epochs, or optimizer updates (iterations)."""
METRICS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(EpochMetrics) if f.name not in AXES)
"""The per-epoch measurements of a run that :func:`metric_curve` accepts."""


@dataclass(frozen=True)
class Curve:
    """One quantity of several runs: ``values[i, j]`` is run ``i`` (seed ``seeds[i]``) at point ``x[j]``."""

    x: np.ndarray
    values: np.ndarray
    seeds: tuple[int, ...]

    @property
    def mean(self) -> np.ndarray:
        """The mean over runs at every point."""
        return self.values.mean(axis=0)

    @property
    def std(self) -> np.ndarray:
        """The sample standard deviation over runs (n - 1 in the denominator) at every point; zeros for one run."""
        if len(self.values) < 2:
            return np.zeros(len(self.x))
        return self.values.std(axis=0, ddof=1)

    def at(self, x: float) -> np.ndarray:
        """The value of every run at the point ``x``, which must be one of the curve's points."""
        index = np.flatnonzero(self.x == x)
        if not len(index):
            raise ValueError(f"the curve has no point at {x}; its points are {self.x.tolist()}")
        return self.values[:, index[0]]

    def interpolate(self, x: float) -> np.ndarray:
        """The value of every run at ``x``, interpolated linearly in log x between the curve's points (the book
        plots runs against updates on a log axis); ``x`` must lie within the curve's range."""
        if not self.x[0] <= x <= self.x[-1]:
            raise ValueError(f"{x} is outside the curve's range [{self.x[0]}, {self.x[-1]}]")
        return np.array([np.interp(np.log(x), np.log(self.x), values) for values in self.values])

    def map(self, func: Callable[[np.ndarray], np.ndarray]) -> Curve:
        """The curve with ``func`` applied to its values, e.g. accuracy to error in percent."""
        return Curve(self.x, np.asarray(func(self.values), dtype=float), self.seeds)


def error_percent(accuracy: np.ndarray | float) -> np.ndarray:
    """Accuracy, a fraction, as error in percent: the book plots errors on a log axis."""
    return 100 * (1 - np.asarray(accuracy, dtype=float))


def _seeds(results: Sequence[RunResult]) -> tuple[int, ...]:
    if not results:
        raise ValueError("a curve needs at least one run")
    return tuple(result.seed for result in results)


def _stack(points: list[tuple[np.ndarray, np.ndarray]], what: str) -> tuple[np.ndarray, np.ndarray]:
    """The shared x of every run and their values stacked; runs measured at different points are refused."""
    x = points[0][0]
    for other, _ in points[1:]:
        if not np.array_equal(other, x):
            raise ValueError(
                f"the runs measured {what} at different points ({x.tolist()} and {other.tolist()}); a curve "
                "averages runs of one experiment, which share their evaluation points"
            )
    return x, np.stack([values for _, values in points])


def metric_curve(results: Sequence[RunResult], metric: str, *, x: str = "epoch") -> Curve:
    """``metric`` (one of :data:`METRICS`) of every run against ``x`` (one of :data:`AXES`).

    Only epochs at which the metric was measured are kept (the test metrics exist only in evaluated epochs).
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; the metrics are {', '.join(METRICS)}")
    if x not in AXES:
        raise ValueError(f"x must be one of {', '.join(AXES)}, got {x!r}")
    seeds = _seeds(results)
    points = []
    for result in results:
        measured = [epoch for epoch in result.epochs if getattr(epoch, metric) is not None]
        points.append(
            (
                np.array([getattr(epoch, x) for epoch in measured]),
                np.array([getattr(epoch, metric) for epoch in measured], dtype=float),
            )
        )
    xs, values = _stack(points, metric)
    return Curve(xs, values, seeds)


def distance_curve(results: Sequence[RunResult]) -> Curve:
    """The weight distance ||w_t - w_0|| of every run against the updates t at which it was logged."""
    seeds = _seeds(results)
    points = [(result.distance_log.iterations, result.distance_log.distances) for result in results]
    xs, values = _stack(points, "the weight distance")
    return Curve(xs, values, seeds)


def plot_curve(
    ax: Axes, curve: Curve, *, label: str, color: str | None = None, marker: str | None = None
) -> Line2D:
    """Draw every run of ``curve`` thin, their mean thick (labelled ``label``) and the mean ± one std as a band.

    Returns the line of the mean.
    """
    (line,) = ax.plot(curve.x, curve.mean, color=color, marker=marker, ms=4, lw=2, label=label)
    for values in curve.values:
        ax.plot(curve.x, values, color=line.get_color(), lw=0.8, alpha=0.45)
    if len(curve.values) > 1:
        ax.fill_between(curve.x, curve.mean - curve.std, curve.mean + curve.std, color=line.get_color(), alpha=0.15)
    return line
