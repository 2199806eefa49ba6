"""What each supported array data set looks like, how it is normalized and how the paper augments it.

Normalization statistics (per channel, on pixels scaled to [0, 1]):

- MNIST: mean 0.5, std 0.5, as in the authors' code (the images then lie in [-1, 1]).
- CIFAR-10 / CIFAR-100: each data set's own training-set mean and std. The authors' code normalized CIFAR with
  the ImageNet statistics (mean 0.485/0.456/0.406, std 0.229/0.224/0.225), which were at hand in their generic
  image pipeline rather than chosen for CIFAR. The data set's own statistics give inputs with zero mean and unit
  variance per channel, which is the point of normalizing; the difference from ImageNet statistics is a small
  affine change of the input that the first layer (followed by batch norm in every model of the paper) absorbs.
"""

from __future__ import annotations

from dataclasses import dataclass

from .augment import Augmentation


@dataclass(frozen=True)
class DatasetSpec:
    """Shape, classes, normalization and paper augmentation of one array data set."""

    name: str
    image_shape: tuple[int, ...]
    num_classes: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    augmentation: Augmentation


SPECS: dict[str, DatasetSpec] = {
    "mnist": DatasetSpec(
        name="mnist",
        image_shape=(28, 28),
        num_classes=10,
        mean=(0.5,),
        std=(0.5,),
        # Pad 28 -> 32, crop 28, flip: the authors' MNIST augmentation, flip included although digits are not
        # mirror-symmetric.
        augmentation=Augmentation(pad=2, crop=28, flip=True),
    ),
    "cifar10": DatasetSpec(
        name="cifar10",
        image_shape=(32, 32, 3),
        num_classes=10,
        mean=(0.4914, 0.4822, 0.4465),
        std=(0.2470, 0.2435, 0.2616),
        augmentation=Augmentation(pad=4, crop=32, flip=True),
    ),
    "cifar100": DatasetSpec(
        name="cifar100",
        image_shape=(32, 32, 3),
        num_classes=100,
        mean=(0.5071, 0.4865, 0.4409),
        std=(0.2673, 0.2564, 0.2762),
        augmentation=Augmentation(pad=4, crop=32, flip=True),
    ),
}


def get_spec(name: str) -> DatasetSpec:
    """The spec of data set ``name``; an unknown name raises and lists the known ones."""
    try:
        return SPECS[name]
    except KeyError:
        raise ValueError(f"Unknown data set {name!r}; choose one of {sorted(SPECS)}.") from None


def paper_augmentation(name: str) -> Augmentation:
    """The training augmentation of the authors' code for data set ``name``."""
    return get_spec(name).augmentation
