"""CIFAR residual networks: ResNet44 (He et al., 2016) and the wide variant WRN-16-4 (Zagoruyko & Komodakis, 2016)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["BasicBlock", "CifarResNet", "resnet44", "wrn16_4"]


def _conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    """Bias-free 3x3 convolution with padding 1 (BN follows, so a bias would be redundant)."""
    return nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    """Post-activation residual block of He et al. (2016): conv-BN-ReLU-conv-BN, add the shortcut, ReLU.

    The shortcut is the identity, or a strided 1x1 conv + BN when the shape changes: the projection shortcut
    (option B of He et al.), which the code of Hoffer et al. (2017) uses instead of zero padding (option A).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = _conv3x3(in_channels, out_channels, stride)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = _conv3x3(out_channels, out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()
        if stride != 1 or in_channels != out_channels:
            self.shortcut: nn.Module = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )
        else:
            self.shortcut = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.shortcut(x))


def _stage(in_channels: int, out_channels: int, blocks: int, stride: int) -> nn.Sequential:
    """A run of ``blocks`` basic blocks; only the first one changes width or resolution."""
    layers = [BasicBlock(in_channels, out_channels, stride)]
    layers += [BasicBlock(out_channels, out_channels) for _ in range(blocks - 1)]
    return nn.Sequential(*layers)


class CifarResNet(nn.Module):
    """Three-stage CIFAR ResNet: 3x3 stem conv, stages at 32x32, 16x16 and 8x8, global average pool, linear layer.

    The stem has as many channels as the first stage. Convolutions get He-normal initialization
    (``kaiming_normal_``, fan_out, ReLU gain) and every BN starts at weight 1, bias 0, as in He et al. (2016).

    Input: ``(N, 3, 32, 32)``.
    """

    def __init__(self, blocks_per_stage: int, widths: Sequence[int], num_classes: int) -> None:
        super().__init__()
        first, second, third = widths
        self.stem = nn.Sequential(_conv3x3(3, first), nn.BatchNorm2d(first), nn.ReLU())
        self.stages = nn.Sequential(
            _stage(first, first, blocks_per_stage, stride=1),
            _stage(first, second, blocks_per_stage, stride=2),
            _stage(second, third, blocks_per_stage, stride=2),
        )
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc = nn.Linear(third, num_classes)
        self._init_weights()

    def _init_weights(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.pool(self.stages(self.stem(x))))


def resnet44(num_classes: int = 10) -> CifarResNet:
    """ResNet44 for CIFAR-10 (He et al., 2016): 7 basic blocks per stage, widths 16/32/64 (6 * 7 + 2 = 44 layers).

    Input: ``(N, 3, 32, 32)``. Trainable parameters with 10 classes: 661,338.
    """
    return CifarResNet(blocks_per_stage=7, widths=(16, 32, 64), num_classes=num_classes)


def wrn16_4(num_classes: int = 100) -> CifarResNet:
    """WRN-16-4 for CIFAR-100 (Zagoruyko & Komodakis, 2016), built as in the code of Hoffer et al. (2017).

    That code reuses the ResNet44 block design with every width multiplied by 4: a 64-channel stem,
    2 blocks per stage, widths 64/128/256, post-activation blocks and no dropout. It therefore differs from
    Zagoruyko & Komodakis's pre-activation WRN, whose stem has 16 channels.

    Input: ``(N, 3, 32, 32)``. Trainable parameters with 100 classes: 2,800,804.
    """
    return CifarResNet(blocks_per_stage=2, widths=(64, 128, 256), num_classes=num_classes)
