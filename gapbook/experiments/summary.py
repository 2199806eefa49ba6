"""Several runs of one experiment (seeds) summarized: mean, standard deviation and count of the final accuracy."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from gapbook.train import RunResult

__all__ = ["Summary", "summarize"]


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
    accuracies = [100 * r.final_test_acc for r in results if r.status == "completed" and r.final_test_acc is not None]
    return Summary(
        mean=statistics.fmean(accuracies) if accuracies else None,
        std=statistics.stdev(accuracies) if len(accuracies) > 1 else None,
        n=len(accuracies),
        diverged=sum(r.status == "diverged" for r in results),
        seeds=tuple(sorted(r.config["seed"] for r in results)),
        wall_time=sum(r.wall_time for r in results),
    )
