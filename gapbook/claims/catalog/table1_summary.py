"""The claims of the chapter table1_summary: the gap of the MNIST row at ``mini`` on runs re-made on another thread
count (SB and LB, stored apart under ``drift/`` in the results folder).

The summary also shows the Table 1 effects and controls registered by the row chapters (table1_mnist,
table1_cifar10, train_longer); the claims here are only its own. The direction of the gap is the paper's, fixed
before any run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..claim import Claim
from ..evidence import Runs, Stores
from ..measures import Measure, Samples, Welch
from ..verdicts import Interval
from .common import ABOVE

__all__ = ["CLAIMS", "DRIFT", "InSubfolder"]

F1, CHAPTER = "mnist-f1", "table1_summary"
DRIFT = "drift"
"""The sub-folder of the results folder that holds runs re-made on two CPU threads instead of one."""


@dataclass(frozen=True)
class InSubfolder:
    """``measure`` on the runs stored under the sub-folder ``name`` of every results folder, instead of the
    folders themselves (runs stored apart, such as those re-made on another thread count)."""

    measure: Measure
    name: str

    @property
    def unit(self) -> str:
        """The unit of the wrapped measure."""
        return self.measure.unit

    def describe(self) -> str:
        return f"{self.measure.describe()}, runs under {self.name}/"

    def samples(self, stores: Stores, profile: str) -> Samples:
        return self.measure.samples(Stores([folder / self.name for folder in stores.folders]), profile)

    def interval(self, samples: Samples, confidence: float) -> Interval | None:
        return self.measure.interval(samples, confidence)

    def leave_one_out(self, samples: Samples) -> Iterator[Samples]:
        return self.measure.leave_one_out(samples)


CLAIMS: tuple[Claim, ...] = (
    Claim(
        "f1_mini_gap_two_threads", CHAPTER, "mini", "F1 at mini, SB and LB re-run on two CPU threads: the gap, SB − LB",
        InSubfolder(Welch(Runs.column(F1, "SB"), Runs.column(F1, "LB")), DRIFT), ABOVE,
    ),
)  # fmt: skip
