"""AlexNet with batch norm for 224x224 ImageNet images (Krizhevsky et al., 2012; Ioffe & Szegedy, 2015)."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["AlexNetBN"]


def _conv(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1) -> nn.Conv2d:
    """Bias-free conv (BN follows, so a bias would be redundant); padding 2 for 11x11 and 5x5, 1 for 3x3."""
    padding = 1 if kernel_size == 3 else 2
    return nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=False)


def _pool() -> nn.MaxPool2d:
    """Overlapping 3x3 max pool with stride 2 (Krizhevsky et al., 2012)."""
    return nn.MaxPool2d(kernel_size=3, stride=2)


def _fc(in_features: int, out_features: int) -> nn.Sequential:
    """Bias-free linear layer, BatchNorm1d, ReLU, dropout 0.5."""
    return nn.Sequential(
        nn.Linear(in_features, out_features, bias=False),
        nn.BatchNorm1d(out_features),
        nn.ReLU(),
        nn.Dropout(0.5),
    )


class AlexNetBN(nn.Module):
    """AlexNet with BN after every conv and hidden FC layer, the ImageNet network of Hoffer et al. (2017).

    Convs: 11x11 stride 4 -> 64, 5x5 -> 192, 3x3 -> 384, 3x3 -> 256, 3x3 -> 256, with 3x3/2 max pools after
    the first, second and fifth (the single-tower widths of torchvision's AlexNet). A 224x224 image becomes
    55 -> 27 -> 27 -> 13 -> 13 -> 6, so 256 * 6 * 6 = 9216 features feed 4096 -> 4096 -> classes.
    The layer order copies ``AlexNetOWT_BN`` of the authors' convNet.pytorch repository, whose learning-rate
    regime is the one used for AlexNet in Hoffer et al. (2017): pool then BN then ReLU in the first stage,
    ReLU then BN in the other conv stages, BN then ReLU then dropout in the hidden FC layers.

    Input: ``(N, 3, 224, 224)``. Trainable parameters with 1000 classes: 61,110,184.
    """

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        self.features = nn.Sequential(
            _conv(3, 64, 11, stride=4), _pool(), nn.BatchNorm2d(64), nn.ReLU(),
            _conv(64, 192, 5), _pool(), nn.ReLU(), nn.BatchNorm2d(192),
            _conv(192, 384, 3), nn.ReLU(), nn.BatchNorm2d(384),
            _conv(384, 256, 3), nn.ReLU(), nn.BatchNorm2d(256),
            _conv(256, 256, 3), _pool(), nn.ReLU(), nn.BatchNorm2d(256),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            _fc(256 * 6 * 6, 4096),
            _fc(4096, 4096),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))
