"""Name-based registry of the paper's networks, with the input each one expects."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from gapbook.data.specs import DATASETS

from .alexnet import AlexNetBN
from .mlp import F1
from .resnet import resnet44, wrn16_4
from .shallow import ShallowConvNet
from .vgg import VGG16

__all__ = ["ModelInfo", "build", "count_parameters", "has_batch_norm", "model_info", "names"]


@dataclass(frozen=True)
class ModelInfo:
    """What a network expects: its label in Table 1 of Hoffer et al. (2017), its data set and where it comes from.

    ``dataset`` names a data set of :data:`gapbook.data.DATASETS`, whose spec gives the network's classes and
    input shape.
    """

    name: str
    label: str
    dataset: str
    citation: str

    @property
    def num_classes(self) -> int:
        """Classes of the network's data set, the width of its read-out by default."""
        return DATASETS[self.dataset].num_classes

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """One sample's ``(channels, height, width)``, as the network's data set gives it."""
        return DATASETS[self.dataset].input_shape


_REGISTRY: dict[str, tuple[Callable[[int], nn.Module], ModelInfo]] = {
    "f1": (F1, ModelInfo("f1", "F1", "mnist", "Keskar et al. 2017")),
    "c1": (ShallowConvNet, ModelInfo("c1", "C1", "cifar10", "Keskar et al. 2017")),
    "c3": (ShallowConvNet, ModelInfo("c3", "C3", "cifar100", "Keskar et al. 2017")),
    "resnet44": (resnet44, ModelInfo("resnet44", "ResNet44", "cifar10", "He et al. 2016")),
    "vgg16": (VGG16, ModelInfo("vgg16", "VGG", "cifar10", "Simonyan & Zisserman 2014")),
    "wrn16_4": (wrn16_4, ModelInfo("wrn16_4", "WResNet16-4", "cifar100", "Zagoruyko & Komodakis 2016")),
    "alexnet": (AlexNetBN, ModelInfo("alexnet", "AlexNet", "imagenet", "Krizhevsky et al. 2012")),
}


def names() -> tuple[str, ...]:
    """Canonical names of all networks, in the row order of Table 1."""
    return tuple(_REGISTRY)


def _lookup(name: str) -> tuple[Callable[[int], nn.Module], ModelInfo]:
    key = name.lower()
    if key not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(names())}")
    return _REGISTRY[key]


def model_info(name: str) -> ModelInfo:
    """The :class:`ModelInfo` of the network called ``name`` (case-insensitive)."""
    return _lookup(name)[1]


def build(name: str, num_classes: int | None = None) -> nn.Module:
    """A freshly initialized network called ``name``; ``num_classes`` defaults to its data set's class count."""
    builder, info = _lookup(name)
    classes = info.num_classes if num_classes is None else num_classes
    if classes < 1:
        raise ValueError(f"num_classes must be positive, got {classes}")
    return builder(classes)


@functools.cache
def has_batch_norm(name: str) -> bool:
    """Whether the network called ``name`` holds a BatchNorm layer (it is built on the meta device: no memory)."""
    with torch.device("meta"):
        network = build(name)
    return any(isinstance(module, _BatchNorm) for module in network.modules())


def count_parameters(model: nn.Module) -> int:
    """Number of trainable scalars in ``model`` (BN running statistics are buffers and do not count)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
