"""The claims of the chapter sharpness: the sharpness of the final weights of the MNIST row's columns at ``mini``,
read from the minima store beside the runs (:class:`gapbook.experiments.MinimaStore`).

That the large batch ends sharper than the small one (LB − SB above zero) and that more noise per update flattens
it (+LR − LB below zero) are the directions of Keskar et al. (2017), fixed before any measurement. That +LR
stays sharper than SB, that +RA ends flatter than LB and SB by the Hessian but sharper than SB by
epsilon-sharpness (the two measures disagree) were seen in the measurements first, and say so (``fixed="after"``).
Ghost BN on top of +LR is reported with its verdict, claiming nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from gapbook.experiments.minima import MinimaStore, MinimumMeasurement

from ..claim import Claim
from ..evidence import Runs, Stores
from ..measures import Samples, drop_one, welch_of
from ..verdicts import Expect, Interval
from .common import ABOVE, BELOW, REPORT

__all__ = ["CLAIMS", "MinimaWelch", "Sharpness"]

Sharpness = Literal["top_eigenvalue", "epsilon_sharpness"]
"""What the minima store measured of a run's final weights: the Hessian's largest eigenvalue, or Keskar's
epsilon-sharpness (%)."""

WORDS = {"top_eigenvalue": "largest Hessian eigenvalue", "epsilon_sharpness": "epsilon-sharpness (%)"}


def measurement(stores: Stores, profile: str, result: object) -> MinimumMeasurement | None:
    """The stored measurement of run ``result`` in the first of ``stores``' folders that holds one, or ``None``."""
    for folder in stores.folders:
        found = MinimaStore(folder, profile).lookup(result)  # type: ignore[arg-type]
        if found is not None:
            return found
    return None


@dataclass(frozen=True)
class MinimaWelch:
    """``quantity`` of the final weights of experiment ``a`` minus that of ``b``, over the seeds whose weights were
    measured, with Welch's interval; each side needs two measured runs or more."""

    a: Runs
    b: Runs
    quantity: Sharpness
    unit: str = ""

    def describe(self) -> str:
        return f"{self.a.label} − {self.b.label}, {WORDS[self.quantity]} of the final weights"

    def samples(self, stores: Stores, profile: str) -> Samples:
        sides = []
        for side in (self.a, self.b):
            found = (measurement(stores, profile, result) for result in stores.runs(side, profile))
            sides.append(tuple(float(getattr(m, self.quantity)) for m in found if m is not None))
        return tuple(sides)

    def interval(self, samples: Samples, confidence: float) -> Interval | None:
        return welch_of(samples, confidence, self.unit)

    def leave_one_out(self, samples: Samples) -> Iterator[Samples]:
        return drop_one(samples)


F1, CHAPTER = "mnist-f1", "sharpness"
SB, LB, LR, GBN, RA = (Runs.column(F1, column) for column in ("SB", "LB", "+LR", "+GBN", "+RA"))
TOP, EPSILON = "top_eigenvalue", "epsilon_sharpness"
AFTER_ABOVE, AFTER_BELOW = Expect("above", fixed="after"), Expect("below", fixed="after")


def _sharpness(key: str, a: Runs, b: Runs, quantity: Sharpness, expect: Expect) -> Claim:
    name = "λmax" if quantity == TOP else "ε-sharpness"
    says = f"F1 at mini: {a.label} − {b.label}, {name} of the final weights"
    return Claim(key, CHAPTER, "mini", says, MinimaWelch(a, b, quantity), expect)


CLAIMS: tuple[Claim, ...] = (
    _sharpness("sh_lb_sb_top", LB, SB, TOP, ABOVE),
    _sharpness("sh_lb_sb_eps", LB, SB, EPSILON, ABOVE),
    _sharpness("sh_lr_lb_top", LR, LB, TOP, BELOW),
    _sharpness("sh_lr_lb_eps", LR, LB, EPSILON, BELOW),
    _sharpness("sh_lr_sb_top", LR, SB, TOP, AFTER_ABOVE),
    _sharpness("sh_lr_sb_eps", LR, SB, EPSILON, AFTER_ABOVE),
    _sharpness("sh_gbn_lr_top", GBN, LR, TOP, REPORT),
    _sharpness("sh_gbn_lr_eps", GBN, LR, EPSILON, REPORT),
    _sharpness("sh_ra_lb_top", RA, LB, TOP, AFTER_BELOW),
    _sharpness("sh_ra_sb_top", RA, SB, TOP, AFTER_BELOW),
    _sharpness("sh_ra_sb_eps", RA, SB, EPSILON, AFTER_ABOVE),
)
