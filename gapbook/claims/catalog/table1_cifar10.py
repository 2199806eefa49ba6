"""The claims of the C1 row (CIFAR-10) of Table 1 at ``mini``, and +RA against the small batch trained on as many
images (SB×8, :func:`gapbook.experiments.longer_sb_config`).

The directions are the paper's, fixed before any run: the gap (SB − LB), square-root scaling (+LR − LB) and
regime adaptation (+RA − SB) above zero; SB trained longer above SB. That +RA tests *below* the sample-matched SB
was stated after its first seed was seen, and says so (``fixed="after"``).
"""

from __future__ import annotations

from ..claim import Claim
from ..evidence import Runs
from ..measures import Welch
from ..verdicts import Expect
from .common import ABOVE, REPORT, effect

__all__ = ["CLAIMS"]

C1, CHAPTER = "cifar10-c1", "table1_cifar10"
SB8 = Runs.longer_sb(C1, 8)

CLAIMS: tuple[Claim, ...] = (
    effect("c1_mini_gap", CHAPTER, C1, "mini", "SB", "LB", "C1 at mini: the gap, SB − LB", ABOVE),
    effect("c1_mini_lr", CHAPTER, C1, "mini", "+LR", "LB", "C1 at mini: square-root scaling, +LR − LB", ABOVE),
    effect("c1_mini_gbn", CHAPTER, C1, "mini", "+GBN", "+LR", "C1 at mini: Ghost BN, +GBN − +LR", REPORT),
    effect("c1_mini_ra", CHAPTER, C1, "mini", "+RA", "SB", "C1 at mini: regime adaptation, +RA − SB", ABOVE),
    Claim("c1_mini_ra_vs_sb8", CHAPTER, "mini", "C1 at mini: +RA − SB×8 (as many images)",
          Welch(Runs.column(C1, "+RA"), SB8), Expect("below", fixed="after")),  # fmt: skip
    Claim("c1_mini_sb8_vs_sb", CHAPTER, "mini", "C1 at mini: SB×8 − SB (SB trained longer)",
          Welch(SB8, Runs.column(C1, "SB")), ABOVE),  # fmt: skip
)
