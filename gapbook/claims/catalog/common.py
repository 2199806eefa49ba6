"""What several chapters' claims share: the expectations they use most, and a Table 1 effect as a claim."""

from __future__ import annotations

from dataclasses import replace

from ..claim import Claim
from ..evidence import Runs
from ..measures import Welch
from ..verdicts import Expect

__all__ = ["ABOVE", "BELOW", "REPORT", "effect"]

ABOVE = Expect("above")
"""The 95% interval lies above zero; the direction fixed before the data (the paper's, or the obvious one)."""
BELOW = Expect("below")
"""The 95% interval lies below zero; the direction fixed before the data."""
REPORT = Expect("report")
"""A number the book reports with its verdict, claiming nothing."""


def effect(
    key: str,
    chapter: str,
    row: str,
    profile: str,
    a: str,
    b: str,
    says: str,
    expect: Expect,
    a_precision: str | None = "fp32",
    b_precision: str | None = "fp32",
) -> Claim:
    """Column ``a`` minus column ``b`` of Table 1 row ``row`` at ``profile``, on their final test accuracies, each
    read in its precision (``None``: in whichever precision each seed was computed, :class:`Runs`)."""
    first = replace(Runs.column(row, a), precision=a_precision)
    second = replace(Runs.column(row, b), precision=b_precision)
    return Claim(key, chapter, profile, says, Welch(first, second), expect)
