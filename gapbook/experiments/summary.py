"""Several runs of one experiment (seeds) summarized: mean, standard deviation and count of the final accuracy."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from gapbook.stats import Difference, welch_interval
from gapbook.train import RunResult

__all__ = ["Summary", "accuracies", "compare", "summarize"]


@dataclass(frozen=True)
class Summary:
    """Final test accuracy (%) over the completed runs of one experiment.

    ``mean`` and ``std`` (the sample standard deviation, n - 1 in the denominator) are ``None`` when too few
    runs completed to give them (none for the mean, fewer than two for the std); ``n`` counts completed runs,
    ``diverged`` the runs whose loss stopped being finite; ``seeds`` lists every run's seed; ``wall_time`` adds up
    the runs' seconds of training.
    """

    mean: float | None
    std: float | None
    n: int
    diverged: int
    seeds: tuple[int, ...]
    wall_time: float

    def __str__(self) -> str:
        if self.mean is None:
            return f"diverged (x{self.diverged})"
        text = f"{self.mean:.2f}" if self.std is None else f"{self.mean:.2f} ± {self.std:.2f}"
        text += f" (n={self.n})"
        return text + (f", {self.diverged} diverged" if self.diverged else "")


def summarize(results: Sequence[RunResult]) -> Summary:
    """Summarize the runs ``results`` of one experiment; there must be at least one."""
    if not results:
        raise ValueError("nothing to summarize: give at least one result")
    values = accuracies(results)
    return Summary(
        mean=statistics.fmean(values) if values else None,
        std=statistics.stdev(values) if len(values) > 1 else None,
        n=len(values),
        diverged=sum(r.status == "diverged" for r in results),
        seeds=tuple(sorted(r.seed for r in results)),
        wall_time=sum(r.wall_time for r in results),
    )


def accuracies(results: Sequence[RunResult]) -> list[float]:
    """The final test accuracy (%) of every completed run of ``results``, in order."""
    return [100 * r.final_test_acc for r in results if r.status == "completed" and r.final_test_acc is not None]


def compare(a: Sequence[RunResult], b: Sequence[RunResult], confidence: float = 0.95) -> Difference:
    """How much the runs ``a`` test better than the runs ``b``: the difference of their mean final test accuracies
    (points) with its Welch interval (:func:`gapbook.stats.welch_interval`); each needs two completed runs."""
    return welch_interval(accuracies(a), accuracies(b), confidence)
