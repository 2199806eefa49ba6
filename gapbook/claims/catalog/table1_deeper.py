"""The claims of the deeper CIFAR-10 rows of Table 1: ResNet44 at ``mini``, run in bfloat16 with channels-last (its
scale's numerics). The directions fixed before any run are the paper's: the gap (SB − LB) and regime adaptation
against the large batch (+RA − LB); the rest the chapter reports with its verdict, claiming nothing. VGG runs only
short runs that measure cost, and makes no claim.
"""

from __future__ import annotations

from ..claim import Claim
from ..verdicts import Expect
from .common import ABOVE, REPORT, effect

__all__ = ["CLAIMS"]

RESNET44, CHAPTER = "cifar10-resnet44", "table1_deeper"


def _resnet44(key: str, a: str, b: str, says: str, expect: Expect) -> Claim:
    """``a`` − ``b`` of the ResNet44 row at ``mini``, both read in bfloat16, the numerics of its scale."""
    return effect(key, CHAPTER, RESNET44, "mini", a, b, f"ResNet44 at mini: {says}", expect, "bf16", "bf16")


CLAIMS: tuple[Claim, ...] = (
    _resnet44("r44_mini_gap", "SB", "LB", "the gap, SB − LB", ABOVE),
    _resnet44("r44_mini_lr", "+LR", "LB", "square-root scaling, +LR − LB", REPORT),
    _resnet44("r44_mini_gbn", "+GBN", "+LR", "Ghost BN, +GBN − +LR", REPORT),
    _resnet44("r44_mini_ra", "+RA", "SB", "regime adaptation, +RA − SB", REPORT),
    _resnet44("r44_mini_ra_vs_lb", "+RA", "LB", "regime adaptation, +RA − LB", ABOVE),
)
