"""The "cifar shallow" convolutional network: C1 (CIFAR-10) and C3 (CIFAR-100) of Keskar et al. (2017)."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["ShallowConvNet"]


def _conv_stage(in_channels: int, out_channels: int) -> nn.Sequential:
    """Bias-free 5x5 conv, 3/2 max pool, BatchNorm2d, ReLU (the authors' order: pool before BN)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=5, padding=2, bias=False),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
    )


def _fc_stage(in_features: int, out_features: int) -> nn.Sequential:
    """Bias-free linear layer (BN supplies the shift), BatchNorm1d, ReLU, dropout 0.5."""
    return nn.Sequential(
        nn.Linear(in_features, out_features, bias=False),
        nn.BatchNorm1d(out_features),
        nn.ReLU(),
        nn.Dropout(0.5),
    )


class ShallowConvNet(nn.Module):
    """Shallow CIFAR convnet, networks C1 and C3 of Keskar et al. (2017), as in the code of Hoffer et al. (2017).

    Two conv stages (64 channels each) feed two fully connected stages (384, 192) and a linear read-out;
    every hidden layer is batch normalized (Ioffe & Szegedy, 2015). The spatial size goes 32 -> 32 (5x5 conv,
    padding 2) -> 15 (3x3 max pool, stride 2, no padding: floor((32 - 3) / 2) + 1) -> 15 -> 7
    (floor((15 - 3) / 2) + 1), so the flattened features have 64 * 7 * 7 = 3136 entries.

    Input: ``(N, 3, 32, 32)``.
    Trainable parameters: 1,388,490 with 10 classes (C1), 1,405,860 with 100 classes (C3).
    """

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(_conv_stage(3, 64), _conv_stage(64, 64))
        self.classifier = nn.Sequential(
            nn.Flatten(),
            _fc_stage(64 * 7 * 7, 384),
            _fc_stage(384, 192),
            nn.Linear(192, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))
