"""The claims of the MNIST row (F1) of Table 1, at ``mini`` and at the paper's scale, ``full``.

The directions are the paper's, fixed before any run: the gap (SB − LB), regime adaptation (+RA − SB, +RA − LB)
above zero; at equal epochs the large batch travels less far from its initialization than the small one, and
square-root scaling carries it further (the distance at the end of the high-learning-rate phase). That the `mini`
gap lies below the paper's was stated after the runs were seen (``fixed="after"``). Where the row shows neither
direction at its scale, and for the departures from the authors' code (the momentum reset, the base batch of the
square-root rule), the book reports the number with its verdict and claims nothing (``REPORT``).
"""

from __future__ import annotations

from gapbook.experiments.table1 import row

from ..claim import Claim
from ..evidence import Runs, phase_end
from ..measures import Welch
from ..verdicts import Expect
from .common import ABOVE, REPORT, effect

__all__ = ["CLAIMS", "PAPER_GAP"]

F1, CHAPTER = "mnist-f1", "table1_mnist"
PAPER_GAP = row(F1).paper_value("SB") - row(F1).paper_value("LB")
"""The paper's gap of the row, SB − LB, in points."""

DISTANCE = "||w − w0|| at the end of the high-LR phase"


def _reset(column: str) -> Claim:
    """Column ``column`` at ``full`` with the momentum reset every epoch (as the authors' code did), minus without."""
    with_reset = Runs.column(F1, column, f"{column} (momentum reset)", reset_momentum=True)
    return Claim(
        f"f1_full_reset_{column.strip('+').lower()}", CHAPTER, "full",
        f"F1 at full: {column} with the momentum reset every epoch − without",
        Welch(with_reset, Runs.column(F1, column)), REPORT,
    )  # fmt: skip


def _distance(profile: str, a: str, b: str, name: str, expect: Expect) -> Claim:
    """Column ``a`` minus column ``b`` at ``profile``: how far the weights travel in the high-learning-rate phase."""
    return Claim(
        f"f1_{profile}_dist_{name}", CHAPTER, profile, f"F1 at {profile}: {DISTANCE}, {a} − {b}",
        Welch(Runs.column(F1, a), Runs.column(F1, b), metric=phase_end, quantity=DISTANCE, unit=""), expect,
    )  # fmt: skip


def _distances(profile: str) -> tuple[Claim, ...]:
    """The distance claims at ``profile``: the paper's two directions, and two reports."""
    return (
        _distance(profile, "SB", "LB", "gap", ABOVE),
        _distance(profile, "+LR", "LB", "lr", ABOVE),
        _distance(profile, "+GBN", "+LR", "gbn", REPORT),
        _distance(profile, "+LR", "SB", "lr_sb", REPORT),
    )


CLAIMS: tuple[Claim, ...] = (
    effect("f1_mini_gap", CHAPTER, F1, "mini", "SB", "LB", "F1 at mini: the gap, SB − LB", ABOVE),
    effect("f1_mini_gap_vs_paper", CHAPTER, F1, "mini", "SB", "LB",
           "F1 at mini: the gap, SB − LB, below the paper's", Expect("below", threshold=PAPER_GAP, fixed="after")),
    effect("f1_mini_lr", CHAPTER, F1, "mini", "+LR", "LB", "F1 at mini: square-root scaling, +LR − LB", REPORT),
    effect("f1_mini_gbn", CHAPTER, F1, "mini", "+GBN", "+LR", "F1 at mini: Ghost BN, +GBN − +LR", REPORT),
    effect("f1_mini_ra", CHAPTER, F1, "mini", "+RA", "SB", "F1 at mini: regime adaptation, +RA − SB", ABOVE),
    effect("f1_mini_ra_lb", CHAPTER, F1, "mini", "+RA", "LB", "F1 at mini: regime adaptation, +RA − LB", ABOVE),
    effect("f1_full_gap", CHAPTER, F1, "full", "SB", "LB", "F1 at full: the gap, SB − LB", ABOVE),
    effect("f1_full_lr", CHAPTER, F1, "full", "+LR", "LB", "F1 at full: square-root scaling, +LR − LB", REPORT),
    effect("f1_full_gbn", CHAPTER, F1, "full", "+GBN", "+LR", "F1 at full: Ghost BN, +GBN − +LR", REPORT),
    effect("f1_full_ra", CHAPTER, F1, "full", "+RA", "SB",
           "F1 at full: regime adaptation, +RA (float32 or bfloat16, as each seed was run) − SB", REPORT,
           a_precision=None),
    Claim(
        "f1_full_lr_base256", CHAPTER, "full", "F1 at full: +LR with the authors' base batch 256 − +LR with base 128",
        Welch(Runs.column(F1, "+LR", "+LR (base 256)", base_batch_size=256), Runs.column(F1, "+LR")), REPORT,
    ),
    Claim(
        "f1_full_lr_base256_lb", CHAPTER, "full", "F1 at full: +LR with the authors' base batch 256 − LB",
        Welch(Runs.column(F1, "+LR", "+LR (base 256)", base_batch_size=256), Runs.column(F1, "LB")), REPORT,
    ),
    *(_reset(column) for column in ("LB", "+LR", "+GBN")),
    *_distances("full"),
    *_distances("mini"),
    _distance("mini", "+RA", "SB", "ra", REPORT),
)
