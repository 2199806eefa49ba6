"""The claims of the chapter table1_summary: the gap of the MNIST row at ``mini`` on runs re-made on another thread
count (SB and LB, stored apart under ``drift/`` in the results folder), and on runs re-made on the fast path,
bfloat16 autocast with channels-last (stored apart under ``bf16/``), with how far each run moved from its float32
twin.

The summary also shows the Table 1 effects and controls registered by the row chapters (table1_mnist,
table1_cifar10, train_longer); the claims here are only its own. The direction of the gap is the paper's, fixed
before any run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from ..claim import Claim
from ..evidence import Runs, Stores
from ..measures import Measure, Paired, Samples, Welch
from ..verdicts import Interval
from .common import ABOVE, REPORT

__all__ = ["BF16", "CLAIMS", "DRIFT", "FAST_ROWS", "InSubfolder", "fast_path"]

F1, CHAPTER = "mnist-f1", "table1_summary"
DRIFT = "drift"
"""The sub-folder of the results folder that holds runs re-made on two CPU threads instead of one."""
BF16 = "bf16"
"""The sub-folder of the results folder that holds runs re-made in bfloat16 with channels-last."""
FAST_ROWS = {"f1": F1, "c1": "cifar10-c1"}
"""The rows whose SB and LB were re-made on the fast path, by the prefix of their claims' keys."""


def fast_path(column: str, row: str = F1) -> Runs:
    """Column ``column`` of Table 1 row ``row`` as the fast path runs it: bfloat16 autocast, channels-last."""
    runs = Runs.column(row, column, f"{column} (bf16)", precision="bf16", channels_last=True)
    return replace(runs, precision="bf16")


@dataclass(frozen=True)
class InSubfolder:
    """``measure`` on the runs stored under the sub-folder ``name`` of every results folder, instead of the
    folders themselves (runs stored apart, such as those re-made on another thread count)."""

    measure: Measure
    name: str
    keep: bool = False
    """Whether the results folders themselves are read too (to compare runs there with runs stored apart)."""

    @property
    def unit(self) -> str:
        """The unit of the wrapped measure."""
        return self.measure.unit

    def describe(self) -> str:
        return f"{self.measure.describe()}, runs under {self.name}/"

    def samples(self, stores: Stores, profile: str) -> Samples:
        apart = [folder / self.name for folder in stores.folders]
        return self.measure.samples(Stores([*stores.folders, *apart] if self.keep else apart), profile)

    def interval(self, samples: Samples, confidence: float) -> Interval | None:
        return self.measure.interval(samples, confidence)

    def leave_one_out(self, samples: Samples) -> Iterator[Samples]:
        return self.measure.leave_one_out(samples)


CLAIMS: tuple[Claim, ...] = (
    Claim(
        "f1_mini_gap_two_threads", CHAPTER, "mini", "F1 at mini, SB and LB re-run on two CPU threads: the gap, SB − LB",
        InSubfolder(Welch(Runs.column(F1, "SB"), Runs.column(F1, "LB")), DRIFT), ABOVE,
    ),
    *(
        Claim(
            f"{name}_mini_gap_bf16", CHAPTER, "mini",
            f"{name.upper()} at mini, SB and LB re-run in bfloat16 with channels-last: the gap, SB − LB",
            InSubfolder(Welch(fast_path("SB", row), fast_path("LB", row)), BF16), ABOVE,
        )
        for name, row in FAST_ROWS.items()
    ),
    *(
        Claim(
            f"{name}_mini_bf16_moves_{column.lower()}", CHAPTER, "mini",
            f"{name.upper()} at mini, {column} in bfloat16 with channels-last − in float32, seed by seed",
            InSubfolder(Paired(fast_path(column, row), Runs.column(row, column)), BF16, keep=True), REPORT,
        )
        for name, row in FAST_ROWS.items()
        for column in ("SB", "LB")
    ),
)  # fmt: skip
