"""Every fact gapbook uses about a data set, in one place: shape, classes, size, name, normalization, augmentation.

Two kinds of data set: the array data sets (MNIST, CIFAR-10, CIFAR-100), held in memory as uint8 arrays
(:data:`SPECS`), and the image-folder data set ImageNet, read from disk image by image (:mod:`.folders`).
:data:`DATASETS` holds all four, the data sets of Table 1.

Normalization statistics (per channel, on pixels scaled to [0, 1]):

- MNIST: mean 0.5, std 0.5, as in the authors' code (the images then lie in [-1, 1]).
- CIFAR-10 / CIFAR-100: each data set's own training-set mean and std. The authors' code normalized CIFAR with
  the ImageNet statistics (those of the ImageNet spec below), which were at hand in their generic image pipeline
  rather than chosen for CIFAR. The data set's own statistics give inputs with zero mean and unit variance per
  channel, which is the point of normalizing; the difference from ImageNet statistics is a small affine change of
  the input that the first layer (followed by batch norm in every model of the paper) absorbs.
- ImageNet: the usual ImageNet statistics, which every image folder data set is normalized with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .augment import Augmentation

DatasetKind = Literal["array", "folder"]
"""``"array"``: held in memory as uint8 arrays; ``"folder"``: an image folder (``<split>/<class>/<image>``)."""


@dataclass(frozen=True)
class DatasetSpec:
    """Kind, display name, shape, classes, training-set size, normalization and paper augmentation of a data set.

    ``title`` is the name the book prints (``"CIFAR-10"``); ``train_images`` counts the images of the training split.
    ``image_shape`` is one image as stored, ``(H, W)`` for grey or ``(H, W, C)`` for colour; for a folder data set,
    whose images vary in size, it is the crop the network receives. ``augmentation`` is the authors' training
    augmentation of an array data set; a folder data set has none here, as it always trains on the random
    resized crops of :func:`~gapbook.data.imagenet_transforms`.
    """

    name: str
    title: str
    kind: DatasetKind
    image_shape: tuple[int, ...]
    num_classes: int
    train_images: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    augmentation: Augmentation | None = None

    def __post_init__(self) -> None:
        if (self.kind == "array") != (self.augmentation is not None):
            raise ValueError(
                f"data set {self.name!r} of kind {self.kind!r}: an array data set needs its paper augmentation and a "
                "folder data set takes none"
            )

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """One sample as the network receives it: ``(channels, height, width)``."""
        height, width, *channels = self.image_shape
        return (channels[0] if channels else 1, height, width)


DATASETS: dict[str, DatasetSpec] = {
    "mnist": DatasetSpec(
        name="mnist",
        title="MNIST",
        kind="array",
        image_shape=(28, 28),
        num_classes=10,
        train_images=60_000,
        mean=(0.5,),
        std=(0.5,),
        # Pad 28 -> 32, crop 28, flip: the authors' MNIST augmentation, flip included although digits are not
        # mirror-symmetric.
        augmentation=Augmentation(pad=2, crop=28, flip=True),
    ),
    "cifar10": DatasetSpec(
        name="cifar10",
        title="CIFAR-10",
        kind="array",
        image_shape=(32, 32, 3),
        num_classes=10,
        train_images=50_000,
        mean=(0.4914, 0.4822, 0.4465),
        std=(0.2470, 0.2435, 0.2616),
        augmentation=Augmentation(pad=4, crop=32, flip=True),
    ),
    "cifar100": DatasetSpec(
        name="cifar100",
        title="CIFAR-100",
        kind="array",
        image_shape=(32, 32, 3),
        num_classes=100,
        train_images=50_000,
        mean=(0.5071, 0.4865, 0.4409),
        std=(0.2673, 0.2564, 0.2762),
        augmentation=Augmentation(pad=4, crop=32, flip=True),
    ),
    "imagenet": DatasetSpec(
        name="imagenet",
        title="ImageNet",
        kind="folder",
        image_shape=(224, 224, 3),
        num_classes=1000,
        train_images=1_281_167,  # ILSVRC-2012
        mean=(0.485, 0.456, 0.406),
        std=(0.229, 0.224, 0.225),
    ),
}
"""Every data set of Table 1, array and folder, keyed by name."""

SPECS: dict[str, DatasetSpec] = {name: spec for name, spec in DATASETS.items() if spec.kind == "array"}
"""The array data sets, keyed by name; any other data set name is an image folder under the data root."""


def get_spec(name: str) -> DatasetSpec:
    """The spec of array data set ``name``; an unknown name raises and lists the known ones."""
    try:
        return SPECS[name]
    except KeyError:
        raise ValueError(f"Unknown data set {name!r}; choose one of {sorted(SPECS)}.") from None


def paper_augmentation(name: str) -> Augmentation:
    """The training augmentation of the authors' code for array data set ``name``."""
    augmentation = get_spec(name).augmentation
    assert augmentation is not None  # every array spec has one (DatasetSpec.__post_init__)
    return augmentation
