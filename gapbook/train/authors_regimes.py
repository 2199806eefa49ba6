"""The authors' SGD regimes, per network: the default base regime of a run.

Learning rates, momenta, weight decays and phase epochs are those of the code of Hoffer, Hubara & Soudry (2017)
(and, for VGG, of the authors' general convNet.pytorch repository). Where that code does not fix the number of
epochs, :data:`ASSUMPTIONS` says which value is used here and why, so that the book can show it.
"""

from __future__ import annotations

from typing import Any

from gapbook.models import model_info
from gapbook.regime import Regime

__all__ = ["ASSUMPTIONS", "authors_regime"]

_STEP_TO_1E4 = [{"epoch": 0, "lr": 0.1, "momentum": 0.9, "weight_decay": 1e-4}]

_SETTINGS: dict[str, tuple[list[dict[str, Any]], float]] = {
    "f1": (
        [*_STEP_TO_1E4, {"epoch": 10, "lr": 1e-2}, {"epoch": 20, "lr": 1e-3}, {"epoch": 30, "lr": 1e-4}],
        50,
    ),
    "c1": (
        [
            {"epoch": 0, "lr": 1e-3, "momentum": 0.0, "weight_decay": 5e-4},
            {"epoch": 60, "lr": 1e-2},
            {"epoch": 120, "lr": 1e-3},
            {"epoch": 180, "lr": 1e-4},
        ],
        200,
    ),
    "resnet44": (
        [*_STEP_TO_1E4, {"epoch": 81, "lr": 1e-2}, {"epoch": 122, "lr": 1e-3}, {"epoch": 164, "lr": 1e-4}],
        200,
    ),
    "vgg16": (
        [
            {"epoch": 0, "lr": 0.1, "momentum": 0.9, "weight_decay": 5e-4},
            {"epoch": 60, "lr": 0.02},
            {"epoch": 120, "lr": 0.004},
            {"epoch": 160, "lr": 0.0008},
        ],
        200,
    ),
    "wrn16_4": (
        [*_STEP_TO_1E4, {"epoch": 60, "lr": 0.02}, {"epoch": 120, "lr": 0.004}, {"epoch": 140, "lr": 1e-4}],
        200,
    ),
    "alexnet": (
        [
            {"epoch": 0, "lr": 1e-2, "momentum": 0.9, "weight_decay": 5e-4},
            {"epoch": 10, "lr": 5e-3},
            {"epoch": 15, "lr": 1e-3, "weight_decay": 0.0},
            {"epoch": 20, "lr": 5e-4},
            {"epoch": 25, "lr": 1e-4},
        ],
        30,
    ),
}
_SETTINGS["c3"] = _SETTINGS["c1"]

ASSUMPTIONS: dict[str, str] = {
    "resnet44": "200 epochs: the authors' scripts use 100 to 200, and the last phase starts at epoch 164",
    "vgg16": "the regime of the authors' general repository (CIFAR VGG-16 with BN), momentum 0.9, 200 epochs; "
    "unconfirmed as the paper's",
    "wrn16_4": "200 epochs: the authors' code gives the phases but not the length of training",
    "alexnet": "30 epochs: the authors' code gives the phases (last at epoch 25) but not the length of training",
}
"""Values chosen here because the authors' code does not give them, keyed by network."""


def authors_regime(model: str) -> Regime:
    """The authors' regime for network ``model`` (a name of :func:`gapbook.models.names`), tuned for its small batch."""
    name = model_info(model).name
    settings, epochs = _SETTINGS[name]
    return Regime.from_authors(settings, epochs=epochs)
