"""The claims of the MNIST row (F1) of Table 1, at ``mini`` and at the paper's scale, ``full``.

The directions are the paper's, fixed before any run: the gap (SB − LB) and regime adaptation (+RA − SB) above
zero. Where the row shows neither direction at its scale the book reports the number with its verdict and claims
nothing (``REPORT``).
"""

from __future__ import annotations

from ..claim import Claim
from ..evidence import Runs
from ..measures import Welch
from .common import ABOVE, REPORT, effect

__all__ = ["CLAIMS"]

F1, CHAPTER = "mnist-f1", "table1_mnist"

CLAIMS: tuple[Claim, ...] = (
    effect("f1_mini_gap", CHAPTER, F1, "mini", "SB", "LB", "F1 at mini: the gap, SB − LB", ABOVE),
    effect("f1_mini_lr", CHAPTER, F1, "mini", "+LR", "LB", "F1 at mini: square-root scaling, +LR − LB", REPORT),
    effect("f1_mini_gbn", CHAPTER, F1, "mini", "+GBN", "+LR", "F1 at mini: Ghost BN, +GBN − +LR", REPORT),
    effect("f1_mini_ra", CHAPTER, F1, "mini", "+RA", "SB", "F1 at mini: regime adaptation, +RA − SB", ABOVE),
    effect("f1_full_gap", CHAPTER, F1, "full", "SB", "LB", "F1 at full: the gap, SB − LB", ABOVE),
    effect("f1_full_lr", CHAPTER, F1, "full", "+LR", "LB", "F1 at full: square-root scaling, +LR − LB", REPORT),
    effect("f1_full_gbn", CHAPTER, F1, "full", "+GBN", "+LR", "F1 at full: Ghost BN, +GBN − +LR", REPORT),
    effect("f1_full_ra", CHAPTER, F1, "full", "+RA", "SB", "F1 at full: regime adaptation, +RA − SB", REPORT),
    Claim(
        "f1_full_lr_base256", CHAPTER, "full", "F1 at full: +LR with the authors' base batch 256 − +LR with base 128",
        Welch(Runs.column(F1, "+LR", "+LR (base 256)", base_batch_size=256), Runs.column(F1, "+LR")), REPORT,
    ),
)
