"""VGG-16 with batch norm for 32x32 CIFAR images (Simonyan & Zisserman, 2014; Ioffe & Szegedy, 2015)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["VGG16", "VGG16_CONFIG"]

VGG16_CONFIG: tuple[int | str, ...] = (
    64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M",
)
"""Conv widths of VGG-16, configuration D of Simonyan & Zisserman; "M" is a 2x2 max pool."""


def _features(config: Sequence[int | str]) -> nn.Sequential:
    """3x3 conv (with bias, as in the source) + BatchNorm2d + ReLU per width, 2x2 max pool per "M"."""
    layers: list[nn.Module] = []
    in_channels = 3
    for item in config:
        if item == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            width = int(item)
            layers += [nn.Conv2d(in_channels, width, kernel_size=3, padding=1), nn.BatchNorm2d(width), nn.ReLU()]
            in_channels = width
    return nn.Sequential(*layers)


class VGG16(nn.Module):
    """CIFAR VGG-16 with BN: 13 conv layers shrink 32x32 to 1x1x512, then 512 -> 4096 -> 4096 -> classes.

    This follows the CIFAR VGG of the authors' general training repository (eladhoffer/convNet.pytorch):
    biased convs each followed by BN and ReLU, and a classifier without BN, with ReLU and dropout 0.5 after
    both 4096-unit layers. Hoffer et al. (2017) do not publish their VGG, so it is unconfirmed that this is
    the exact network behind the paper's VGG row.

    Input: ``(N, 3, 32, 32)``. Trainable parameters with 10 classes: 33,646,666.
    """

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = _features(VGG16_CONFIG)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(512, 4096),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(4096, 4096),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))
