"""The claims of the Table 1 chapters: the paper's four effects in each measured row, and +RA against the small
batch trained on as many samples (the sample-matched control of :func:`gapbook.experiments.longer_sb_config`).

The directions are the paper's, fixed before any run: the gap (SB − LB) and square-root scaling (+LR − LB) above
zero, regime adaptation (+RA − SB) and SB trained longer above zero. That +RA tests below the sample-matched SB on
C1 was stated after its first seed was seen, and says so. Where a row shows neither direction at its scale the
book reports the number with its verdict and claims nothing (``report``).
"""

from __future__ import annotations

from ..claim import Claim
from ..evidence import Runs
from ..measures import Welch
from ..verdicts import Expect

ABOVE = Expect("above")
REPORT = Expect("report")


def _effect(key: str, chapter: str, row: str, profile: str, a: str, b: str, says: str, expect: Expect) -> Claim:
    return Claim(key, chapter, profile, says, Welch(Runs.column(row, a), Runs.column(row, b)), expect)


def _control(key: str, chapter: str, a: Runs, b: Runs, says: str, expect: Expect) -> Claim:
    return Claim(key, chapter, "mini", says, Welch(a, b), expect)


F1, C1 = "mnist-f1", "cifar10-c1"
F1_SB16, C1_SB8 = Runs.longer_sb(F1, 16), Runs.longer_sb(C1, 8)

CLAIMS = (
    # F1 on MNIST at mini (five seeds a column and more).
    _effect("f1_mini_gap", "table1_mnist", F1, "mini", "SB", "LB", "F1 at mini: the gap, SB − LB", ABOVE),
    _effect("f1_mini_lr", "table1_mnist", F1, "mini", "+LR", "LB", "F1 at mini: square-root scaling, +LR − LB", REPORT),
    _effect("f1_mini_gbn", "table1_mnist", F1, "mini", "+GBN", "+LR", "F1 at mini: Ghost BN, +GBN − +LR", REPORT),
    _effect("f1_mini_ra", "table1_mnist", F1, "mini", "+RA", "SB", "F1 at mini: regime adaptation, +RA − SB", ABOVE),
    _control("f1_mini_ra_vs_sb16", "train_longer", Runs.column(F1, "+RA"), F1_SB16,
             "F1 at mini: +RA − SB×16 (as many samples)", REPORT),
    _control("f1_mini_sb16_vs_sb", "train_longer", F1_SB16, Runs.column(F1, "SB"),
             "F1 at mini: SB×16 − SB (SB trained longer)", ABOVE),
    # F1 on MNIST at full, the paper's scale.
    _effect("f1_full_gap", "table1_mnist", F1, "full", "SB", "LB", "F1 at full: the gap, SB − LB", ABOVE),
    _effect("f1_full_lr", "table1_mnist", F1, "full", "+LR", "LB", "F1 at full: square-root scaling, +LR − LB", REPORT),
    _effect("f1_full_gbn", "table1_mnist", F1, "full", "+GBN", "+LR", "F1 at full: Ghost BN, +GBN − +LR", REPORT),
    _effect("f1_full_ra", "table1_mnist", F1, "full", "+RA", "SB", "F1 at full: regime adaptation, +RA − SB", REPORT),
    Claim("f1_full_lr_base256", "table1_mnist", "full",
          "F1 at full: +LR with the authors' base batch 256 − +LR with base 128",
          Welch(Runs.column(F1, "+LR", "+LR (base 256)", base_batch_size=256), Runs.column(F1, "+LR")), REPORT),
    # C1 on CIFAR-10 at mini (three seeds a column).
    _effect("c1_mini_gap", "table1_cifar10", C1, "mini", "SB", "LB", "C1 at mini: the gap, SB − LB", ABOVE),
    _effect("c1_mini_lr", "table1_cifar10", C1, "mini", "+LR", "LB", "C1 at mini: square-root scaling, +LR − LB", ABOVE),
    _effect("c1_mini_gbn", "table1_cifar10", C1, "mini", "+GBN", "+LR", "C1 at mini: Ghost BN, +GBN − +LR", REPORT),
    _effect("c1_mini_ra", "table1_cifar10", C1, "mini", "+RA", "SB", "C1 at mini: regime adaptation, +RA − SB", ABOVE),
    _control("c1_mini_ra_vs_sb8", "table1_cifar10", Runs.column(C1, "+RA"), C1_SB8,
             "C1 at mini: +RA − SB×8 (as many samples)", Expect("below", fixed="after")),
    _control("c1_mini_sb8_vs_sb", "table1_cifar10", C1_SB8, Runs.column(C1, "SB"),
             "C1 at mini: SB×8 − SB (SB trained longer)", ABOVE),
)
