"""The claims of "The generalization gap": the MNIST row (F1) at ``mini``, SB against LB, on what the final
weights fit, on the running training error of single epochs, and on how far the weights travel.

The gap itself (SB − LB at ``mini`` and at ``full``) is registered once, in :mod:`.table1_mnist`
(``f1_mini_gap``, ``f1_full_gap``); this chapter evaluates those too.

Directions fixed before the data: the large batch is behind in its first epoch (it has made sixteen times fewer
updates); its train-test gap is the larger one and its weights end closer to their initialization (Keskar et al.'s
observations). The large batch's better eval-mode fit of the training set, its lower running training error in
the later epochs, the small batch's larger shortfall of its running accuracy below its eval-mode fit, and the small
batch's larger distance after as many updates as the large batch makes were found in the runs and then stated:
``fixed="after"``. The test error at the end of the second epoch is reported, not claimed.
"""

from __future__ import annotations

from gapbook.train import RunResult

from ..claim import Claim
from ..distances import DistanceAtUpdates
from ..evidence import Metric, Runs
from ..measures import Welch
from ..verdicts import Expect
from .common import ABOVE, REPORT

__all__ = ["CLAIMS", "epoch_error", "final_distance", "fit", "running_shortfall", "train_test_gap"]

F1, CHAPTER = "mnist-f1", "generalization_gap"
SB, LB = Runs.column(F1, "SB"), Runs.column(F1, "LB")
BELOW_AFTER = Expect("below", fixed="after")
ABOVE_AFTER = Expect("above", fixed="after")


def fit(result: RunResult) -> float | None:
    """The eval-mode accuracy of the final weights on the whole training split, in percent (``None`` where the
    run did not store it)."""
    return None if result.final_train_acc is None else 100 * result.final_train_acc


def train_test_gap(result: RunResult) -> float | None:
    """The eval-mode fit of the training split minus the final test accuracy, in points."""
    if result.final_train_acc is None or result.final_test_acc is None:
        return None
    return 100 * (result.final_train_acc - result.final_test_acc)


def running_shortfall(result: RunResult) -> float | None:
    """How far the last epoch's training-mode running accuracy falls below the eval-mode fit, in points."""
    if result.final_train_acc is None or not result.epochs:
        return None
    return 100 * (result.final_train_acc - result.epochs[-1].train_acc)


def final_distance(result: RunResult) -> float | None:
    """||w − w_0|| at the last finite logged update of the run."""
    log = result.distance_log.between(1, float("inf"))
    return float(log.distances[-1]) if len(log.distances) else None


def epoch_error(field: str, epoch: int) -> Metric:
    """The error in percent, 100 × (1 − ``field``), of epoch ``epoch`` (counted from 1): ``field`` is
    ``"train_acc"`` (the running training accuracy during the epoch) or ``"test_acc"`` (at its end)."""

    def metric(result: RunResult) -> float | None:
        if len(result.epochs) < epoch:
            return None
        return 100 * (1 - getattr(result.epochs[epoch - 1], field))

    metric.__name__ = f"{field}_error_epoch_{epoch}"
    return metric


def _errors(key: str, says: str, field: str, epoch: int, expect: Expect) -> Claim:
    """LB − SB at ``mini`` in the error of ``field`` at epoch ``epoch``, in points."""
    what = "running training error (%)" if field == "train_acc" else "test error at the epoch's end (%)"
    return Claim(key, CHAPTER, "mini", says, Welch(LB, SB, epoch_error(field, epoch), f"epoch {epoch}, {what}"), expect)


CLAIMS: tuple[Claim, ...] = (
    Claim("gg_fit", CHAPTER, "mini", "F1 at mini: eval-mode fit of the training set, LB − SB",
          Welch(LB, SB, fit, "eval-mode accuracy on the training set (%)"), ABOVE_AFTER),  # fmt: skip
    Claim("gg_train_test", CHAPTER, "mini", "F1 at mini: train-test gap (eval mode), LB − SB",
          Welch(LB, SB, train_test_gap, "training minus test accuracy (points)"), ABOVE),  # fmt: skip
    Claim("gg_shortfall", CHAPTER, "mini", "F1 at mini: eval-mode fit minus last running accuracy, SB − LB",
          Welch(SB, LB, running_shortfall, "eval-mode fit minus running accuracy (points)"), ABOVE_AFTER),  # fmt: skip
    _errors("gg_running_first", "F1 at mini: running training error in the first epoch, LB − SB", "train_acc", 1,
            ABOVE),  # fmt: skip
    _errors("gg_running_high", "F1 at mini: running training error in epoch 2 (all at the initial learning rate), "
            "LB − SB", "train_acc", 2, BELOW_AFTER),  # fmt: skip
    _errors("gg_test_high", "F1 at mini: test error at the end of epoch 2, LB − SB", "test_acc", 2, REPORT),
    _errors("gg_running_last", "F1 at mini: running training error in the last epoch (5), LB − SB", "train_acc", 5,
            BELOW_AFTER),  # fmt: skip
    Claim("gg_distance", CHAPTER, "mini", "F1 at mini: final distance from the initialization, SB − LB",
          Welch(SB, LB, final_distance, "final distance from the initialization", ""), ABOVE),  # fmt: skip
    Claim("gg_distance_equal_updates", CHAPTER, "mini",
          "F1 at mini: SB's distance after as many updates as LB makes in all − LB's final distance",
          DistanceAtUpdates(SB, LB, clock="b"), ABOVE_AFTER),  # fmt: skip
)
