"""The claims of "Matching the noise": learning-rate rules in training, on the MNIST row (F1) at ``mini``.

The rules: no scaling (Table 1's LB column), the square-root rule (+LR), the linear rule of Goyal et al. (+LR's
config with ``lr_rule="linear"``) and the linear rule with one epoch of linear warm-up (:func:`linear_rule`);
SB is the target. SB − LB and +LR − LB are registered once, in :mod:`.table1_mnist` (``f1_mini_gap``,
``f1_mini_lr``); this chapter evaluates those too.

Directions fixed before the data: SB above +LR (the paper's Table 1); the square-root rule and no scaling above
the unwarmed linear rule (the paper's argument for the square root, and Goyal et al.'s report that the linear rule
needs a warm-up); at the end of the high-learning-rate phase, no scaling below the small batch's distance after as
many updates (too little noise, the paper's section 4) and the linear rules beyond it (sixteen times the noise),
the warmed-up linear rule below the unwarmed one. The rest is reported, not claimed.
"""

from __future__ import annotations

import dataclasses

from gapbook.experiments import experiment_config
from gapbook.train import TrainConfig

from ..claim import Claim
from ..distances import DistanceAtUpdates
from ..evidence import Runs, phase_end
from ..measures import Welch
from ..verdicts import Expect
from .common import ABOVE, BELOW, REPORT

__all__ = ["CLAIMS", "LINEAR", "LINEAR_WARM", "linear_rule"]

F1, CHAPTER = "mnist-f1", "noise_scaling"


def linear_rule(profile: str, warmup_epochs: float = 0) -> TrainConfig:
    """The MNIST row's large batch with the linear rule (+LR's config, ``lr_rule="linear"``), with
    ``warmup_epochs`` of linear warm-up (none by default)."""
    linear = experiment_config(F1, "+LR", profile, progress=False).replace(lr_rule="linear")
    if not warmup_epochs:
        return linear
    return linear.replace(regime=dataclasses.replace(linear.base_regime, warmup_epochs=warmup_epochs))


SB, LB, LR = (Runs.column(F1, column) for column in ("SB", "LB", "+LR"))
LINEAR = Runs("linear", linear_rule)
LINEAR_WARM = Runs("linear + warm-up", lambda profile: linear_rule(profile, warmup_epochs=1))


def _accuracy(key: str, a: Runs, b: Runs, expect: Expect) -> Claim:
    """``a`` − ``b`` at ``mini``, final test accuracy."""
    return Claim(key, CHAPTER, "mini", f"F1 at mini: {a.label} − {b.label}", Welch(a, b), expect)


def _distance(key: str, rule: Runs, expect: Expect) -> Claim:
    """``rule``'s distance at the end of its high-learning-rate phase minus SB's after as many updates."""
    return Claim(
        key, CHAPTER, "mini", f"F1 at mini: distance at the end of {rule.label}'s high-learning-rate phase − SB's",
        DistanceAtUpdates(rule, SB, clock="a", at="phase"), expect,
    )  # fmt: skip


CLAIMS: tuple[Claim, ...] = (
    _accuracy("ns_sb_vs_lr", SB, LR, ABOVE),
    _accuracy("ns_lr_vs_linear", LR, LINEAR, ABOVE),
    _accuracy("ns_lb_vs_linear", LB, LINEAR, ABOVE),
    _accuracy("ns_sb_vs_warm", SB, LINEAR_WARM, REPORT),
    _accuracy("ns_lr_vs_warm", LR, LINEAR_WARM, REPORT),
    _accuracy("ns_lb_vs_warm", LB, LINEAR_WARM, REPORT),
    _distance("ns_distance_lb", LB, BELOW),
    _distance("ns_distance_lr", LR, REPORT),
    _distance("ns_distance_linear", LINEAR, ABOVE),
    _distance("ns_distance_warm", LINEAR_WARM, ABOVE),
    Claim("ns_distance_warm_vs_linear", CHAPTER, "mini",
          "F1 at mini: distance at the end of the high-learning-rate phase, linear − linear + warm-up",
          Welch(LINEAR, LINEAR_WARM, phase_end, "distance at the end of the high-learning-rate phase", ""),
          ABOVE),  # fmt: skip
)
