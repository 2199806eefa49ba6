"""The claims of the C1 row (CIFAR-10) of Table 1 at ``mini``: the columns' final accuracies, +RA against SB along
the way and against the small batch trained on as many images (SB×8, :func:`gapbook.experiments.longer_sb_config`),
and how far the weights travel in the high-learning-rate phase; and the ResNet44 row at ``mini``, run in bfloat16
with channels-last (its scale's numerics), with the directions of the paper for the gap and +RA − LB.

The directions fixed before any run are the paper's: the gap (SB − LB), square-root scaling (+LR − LB, and SB − +LR:
it recovers part of the gap), regime adaptation (+RA − LB, +RA − SB), SB trained longer above SB, and, for the
distance, a run with fewer or less noisy updates ending nearer its initialization. Stated after the runs were seen,
and registered so (``fixed="after"``): +RA above SB at every evaluation the two share, +RA *below* the
sample-matched SB (at the end and at every evaluation after the first drop), and +RA's weights travelling farther
than SB's. The rest the chapter reports with its verdict, claiming nothing.
"""

from __future__ import annotations

from ..claim import Claim
from ..course import distance_at_update, accuracy_at_epoch, accuracy_at_update
from ..evidence import Runs, phase_end
from ..measures import Welch
from ..verdicts import Expect
from .common import ABOVE, REPORT, effect

__all__ = ["CLAIMS", "RA_AFTER_DROP_EPOCHS", "SHARED_UPDATES"]

C1, CHAPTER = "cifar10-c1", "table1_cifar10"
SB, LB, LR, GBN, RA = (Runs.column(C1, key) for key in ("SB", "LB", "+LR", "+GBN", "+RA"))
SB2, SB4, SB8 = (Runs.longer_sb(C1, factor) for factor in (2, 4, 8))
ABOVE_AFTER, BELOW_AFTER = Expect("above", fixed="after"), Expect("below", fixed="after")

SHARED_UPDATES = tuple(range(256, 2049, 256))
"""The updates at which C1's SB and +RA are both evaluated at ``mini`` (every 2 and every 16 epochs)."""
RA_AFTER_DROP_EPOCHS = (80, 96, 112)
"""The evaluations of +RA and SB×8 after their first drop (epoch 64) but before the end (epoch 128, the final
accuracy, :data:`c1_mini_ra_vs_sb8`)."""

DISTANCE = "||w_t − w_0|| at the end of the high-learning-rate phase"


def _distance(key: str, a: Runs, b: Runs, says: str, expect: Expect) -> Claim:
    """``a`` − ``b`` in the weight distance at the end of each one's high-learning-rate phase."""
    return Claim(key, CHAPTER, "mini", f"C1 at mini: {says}", Welch(a, b, phase_end, DISTANCE, ""), expect)


CLAIMS: tuple[Claim, ...] = (
    effect("c1_mini_gap", CHAPTER, C1, "mini", "SB", "LB", "C1 at mini: the gap, SB − LB", ABOVE),
    effect("c1_mini_lr", CHAPTER, C1, "mini", "+LR", "LB", "C1 at mini: square-root scaling, +LR − LB", ABOVE),
    effect("c1_mini_sb_vs_lr", CHAPTER, C1, "mini", "SB", "+LR", "C1 at mini: the gap left after scaling, SB − +LR",
           ABOVE),  # fmt: skip
    effect("c1_mini_gbn", CHAPTER, C1, "mini", "+GBN", "+LR", "C1 at mini: Ghost BN, +GBN − +LR", REPORT),
    effect("c1_mini_ra", CHAPTER, C1, "mini", "+RA", "SB", "C1 at mini: regime adaptation, +RA − SB", ABOVE),
    effect("c1_mini_ra_vs_lb", CHAPTER, C1, "mini", "+RA", "LB", "C1 at mini: regime adaptation, +RA − LB", ABOVE),
    *(
        Claim(f"c1_mini_ra_vs_sb_t{t}", CHAPTER, "mini", f"C1 at mini: +RA − SB after {t:,} updates",
              Welch(RA, SB, accuracy_at_update(t), f"test accuracy after {t:,} updates (%)"), ABOVE_AFTER)
        for t in SHARED_UPDATES
    ),  # fmt: skip
    Claim("c1_mini_ra_vs_sb8", CHAPTER, "mini", "C1 at mini: +RA − SB×8 (as many images)",
          Welch(RA, SB8), BELOW_AFTER),  # fmt: skip
    *(
        Claim(f"c1_mini_ra_vs_sb8_e{e}", CHAPTER, "mini", f"C1 at mini: +RA − SB×8 at epoch {e}",
              Welch(RA, SB8, accuracy_at_epoch(e), f"test accuracy at epoch {e} (%)"), BELOW_AFTER)
        for e in RA_AFTER_DROP_EPOCHS
    ),  # fmt: skip
    Claim("c1_mini_sb8_vs_sb", CHAPTER, "mini", "C1 at mini: SB×8 − SB (SB trained longer)", Welch(SB8, SB), ABOVE),
    Claim("c1_mini_sb2_vs_sb", CHAPTER, "mini", "C1 at mini: SB×2 − SB (a first doubling)", Welch(SB2, SB), REPORT),
    Claim("c1_mini_sb4_vs_sb2", CHAPTER, "mini", "C1 at mini: SB×4 − SB×2 (a second doubling)", Welch(SB4, SB2),
          REPORT),  # fmt: skip
    Claim("c1_mini_sb8_vs_sb4", CHAPTER, "mini", "C1 at mini: SB×8 − SB×4 (a third doubling)", Welch(SB8, SB4),
          REPORT),  # fmt: skip
    Claim("c1_mini_ra_vs_sb4", CHAPTER, "mini", "C1 at mini: +RA − SB×4 (half +RA's images)", Welch(RA, SB4), REPORT),
    _distance("c1_mini_dist_gap", SB, LB, "SB − LB in the distance, each at its phase's end", ABOVE),
    Claim("c1_mini_dist_gap_t128", CHAPTER, "mini", "C1 at mini: SB − LB in the distance after 128 updates",
          Welch(SB, LB, distance_at_update(128), "||w_t − w_0|| after 128 updates", ""), ABOVE),  # fmt: skip
    _distance("c1_mini_dist_lr", LR, LB, "+LR − LB in the distance, each at its phase's end", ABOVE),
    _distance("c1_mini_dist_gbn", GBN, LR, "+GBN − +LR in the distance, each at its phase's end", REPORT),
    _distance("c1_mini_dist_ra", RA, SB, "+RA − SB in the distance, each at its phase's end", ABOVE_AFTER),
)
