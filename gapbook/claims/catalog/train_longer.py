"""The claims of "Train longer": on the MNIST row (F1) at ``mini``, +RA against the small batch trained on as many
samples (SB×16, :func:`gapbook.experiments.longer_sb_config`), and what training SB longer gains."""

from __future__ import annotations

from ..claim import Claim
from ..evidence import Runs
from ..measures import Welch
from .common import ABOVE, REPORT

__all__ = ["CLAIMS"]

F1, CHAPTER = "mnist-f1", "train_longer"
SB16 = Runs.longer_sb(F1, 16)

CLAIMS: tuple[Claim, ...] = (
    Claim("f1_mini_ra_vs_sb16", CHAPTER, "mini", "F1 at mini: +RA − SB×16 (as many samples)",
          Welch(Runs.column(F1, "+RA"), SB16), REPORT),  # fmt: skip
    Claim("f1_mini_sb16_vs_sb", CHAPTER, "mini", "F1 at mini: SB×16 − SB (SB trained longer)",
          Welch(SB16, Runs.column(F1, "SB")), ABOVE),  # fmt: skip
)
