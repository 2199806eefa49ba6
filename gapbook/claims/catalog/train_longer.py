"""The claims of "Train longer", on the MNIST row (F1) at ``mini`` and at ``full``: +RA against the other columns,
against SB along the way and against the small batch trained on as many samples (SB×16,
:func:`gapbook.experiments.longer_sb_config`); what training SB longer gains; the test accuracy on +RA's plateau
and across its drop; dropping SB's learning rate early (:func:`gapbook.experiments.first_drop_halved`); and how
fast +RA's weights travel before and after the drop.

The directions fixed before any run are the paper's: regime adaptation above LB and +GBN, SB trained longer above
SB (the table's SB is not converged), a step up across the drop of the learning rate, keeping the high learning
rate beats dropping it early, and the weights travelling more slowly once it drops. Stated after the runs were
seen, and registered so (``fixed="after"``): +RA above SB at their first shared evaluation, the distance growing
faster late in the phase than in its second quarter, and faster before the early drop's epoch than between the
drops. What +RA − SB×16, SB×16 − SB×8 (whether SB has levelled off), Ghost BN and the plateau show is reported
with its verdict, claiming nothing: no margin for an equivalence was fixed before the runs.
"""

from __future__ import annotations

from gapbook.experiments import experiment_config, first_drop_halved

from ..claim import Claim
from ..course import Within, distance_growth, accuracy_at_epoch, accuracy_at_update
from ..evidence import Runs
from ..measures import Welch
from ..verdicts import Expect
from .common import ABOVE, REPORT, effect

__all__ = ["CLAIMS", "ra_schedule"]

F1, CHAPTER = "mnist-f1", "train_longer"
SB, LB, GBN, RA = (Runs.column(F1, key) for key in ("SB", "LB", "+GBN", "+RA"))
SB2, SB4, SB8, SB16 = (Runs.longer_sb(F1, factor) for factor in (2, 4, 8, 16))
SB_EARLY = Runs(
    "SB, early drop", lambda profile: first_drop_halved(experiment_config(F1, "SB", profile, progress=False))
)
ABOVE_AFTER = Expect("above", fixed="after")
GROWTH = "growth of ||w_t − w_0|| per epoch"


def ra_schedule(profile: str = "mini") -> tuple[int, int, int]:
    """F1's +RA at ``profile``: the epochs of its first and second drop of the learning rate, and how many epochs
    apart it is evaluated (40, 60 and 16 at mini)."""
    config = experiment_config(F1, "+RA", profile, progress=False)
    first, second = config.effective_regime().phases[1:3]
    return round(first.start_epoch), round(second.start_epoch), config.eval_every


DROP, SECOND, EVERY = ra_schedule()
QUARTER = DROP // 4
BEFORE_DROP = DROP // EVERY * EVERY
"""+RA's last evaluation before its first drop (epoch 32 at mini)."""


def _growth(key: str, later: tuple[int, int], earlier: tuple[int, int], says: str, expect: Expect) -> Claim:
    """+RA's growth of the distance per epoch over epochs ``later`` minus over ``earlier``, seed by seed."""
    measure = Within(RA, distance_growth(*later), distance_growth(*earlier), f"{GROWTH}, {says}", "")
    return Claim(key, CHAPTER, "mini", f"F1 at mini: {GROWTH}, {says}", measure, expect)


def _accuracy_step(key: str, later: int, earlier: int, says: str, expect: Expect) -> Claim:
    """+RA's test accuracy at epoch ``later`` minus at epoch ``earlier``, seed by seed."""
    measure = Within(RA, accuracy_at_epoch(later), accuracy_at_epoch(earlier), f"test accuracy (%), {says}")
    return Claim(key, CHAPTER, "mini", f"F1 at mini: +RA's test accuracy, {says}", measure, expect)


CLAIMS: tuple[Claim, ...] = (
    Claim("f1_mini_ra_vs_sb_first", CHAPTER, "mini", "F1 at mini: +RA − SB at their first shared evaluation",
          Welch(RA, SB, accuracy_at_update(468), "test accuracy after about 468 updates (%)"),
          ABOVE_AFTER),  # fmt: skip
    effect("f1_mini_ra_vs_lb", CHAPTER, F1, "mini", "+RA", "LB", "F1 at mini: regime adaptation, +RA − LB", ABOVE),
    effect("f1_mini_ra_vs_gbn", CHAPTER, F1, "mini", "+RA", "+GBN", "F1 at mini: regime adaptation, +RA − +GBN",
           ABOVE),  # fmt: skip
    effect("f1_mini_gbn_vs_lb", CHAPTER, F1, "mini", "+GBN", "LB", "F1 at mini: scaling and Ghost BN, +GBN − LB",
           REPORT),  # fmt: skip
    Claim("f1_mini_ra_vs_sb16", CHAPTER, "mini", "F1 at mini: +RA − SB×16 (as many samples)", Welch(RA, SB16), REPORT),
    Claim("f1_mini_sb2_vs_sb", CHAPTER, "mini", "F1 at mini: SB×2 − SB", Welch(SB2, SB), REPORT),
    Claim("f1_mini_sb4_vs_sb", CHAPTER, "mini", "F1 at mini: SB×4 − SB", Welch(SB4, SB), REPORT),
    Claim("f1_mini_sb8_vs_sb", CHAPTER, "mini", "F1 at mini: SB×8 − SB", Welch(SB8, SB), REPORT),
    Claim("f1_mini_sb16_vs_sb", CHAPTER, "mini", "F1 at mini: SB×16 − SB (SB trained longer)", Welch(SB16, SB), ABOVE),
    Claim("f1_mini_sb16_vs_sb8", CHAPTER, "mini", "F1 at mini: SB×16 − SB×8 (from 40 to 80 epochs)", Welch(SB16, SB8),
          REPORT),  # fmt: skip
    _accuracy_step("f1_mini_plateau", BEFORE_DROP, BEFORE_DROP - EVERY,
                   f"epoch {BEFORE_DROP} − epoch {BEFORE_DROP - EVERY} (the plateau)", REPORT),  # fmt: skip
    _accuracy_step("f1_mini_drop_step", BEFORE_DROP + EVERY, BEFORE_DROP,
                   f"epoch {BEFORE_DROP + EVERY} − epoch {BEFORE_DROP} (across the drop at epoch {DROP})",
                   ABOVE),  # fmt: skip
    Claim("f1_mini_early_drop_sb", CHAPTER, "mini", "F1 at mini: SB with its first drop at 50% − at 25% of training",
          Welch(SB, SB_EARLY), ABOVE),  # fmt: skip
    _growth("f1_mini_growth_late", (3 * QUARTER, DROP), (QUARTER, 2 * QUARTER),
            "the phase's last quarter − its second quarter", ABOVE_AFTER),  # fmt: skip
    _growth("f1_mini_growth_drop", (3 * QUARTER, DROP), (DROP, SECOND),
            "the phase's last quarter − between the two drops", ABOVE),  # fmt: skip
    _growth("f1_mini_growth_early", (DROP // 2 - DROP // 8, DROP // 2), (DROP, SECOND),
            f"the {DROP // 8} epochs before epoch {DROP // 2} − between the two drops", ABOVE_AFTER),  # fmt: skip
    effect("f1_full_ra_vs_lb", CHAPTER, F1, "full", "+RA", "LB",
           "F1 at full: regime adaptation, +RA (float32 or bfloat16, as each seed was run) − LB", ABOVE,
           a_precision=None),
)
