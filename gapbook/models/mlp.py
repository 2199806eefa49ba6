"""F1: the fully connected MNIST network of Keskar et al. (2017)."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["F1"]


def _hidden_layer(in_features: int, out_features: int) -> nn.Sequential:
    """Linear + BatchNorm1d + ReLU, the repeating unit of F1."""
    return nn.Sequential(
        nn.Linear(in_features, out_features),
        nn.BatchNorm1d(out_features),
        nn.ReLU(),
    )


class F1(nn.Module):
    """Fully connected MNIST classifier "F1" (Keskar et al., 2017), with batch norm (Ioffe & Szegedy, 2015).

    Five hidden layers of 512 units (784 -> 512, then four 512 -> 512), each Linear + BatchNorm1d + ReLU,
    then a linear 512 -> ``num_classes`` read-out. This is the network in the authors' code for
    Hoffer et al. (2017): five hidden layers in total, as in Keskar et al.

    Input: ``(N, 1, 28, 28)`` images or ``(N, 784)`` vectors; images are flattened.
    Trainable parameters with 10 classes: 1,462,794.
    """

    def __init__(self, num_classes: int = 10, width: int = 512, hidden_layers: int = 5) -> None:
        super().__init__()
        sizes = [28 * 28] + [width] * hidden_layers
        self.hidden = nn.Sequential(*(_hidden_layer(a, b) for a, b in zip(sizes[:-1], sizes[1:])))
        self.classifier = nn.Linear(width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.hidden(x.flatten(1)))
