"""Tiny synthetic data sets for the ``smoke`` profile: every row's data set, written in a fraction of a second.

Each image is noise plus a bright horizontal band whose height gives the class. MNIST, CIFAR-10 and CIFAR-100
are written as valid array caches (``<name>.npz``), ImageNet as a small image folder
(``imagenet/train/<class>/*.png`` and ``imagenet/val/<class>/*.png``). The content depends only on the seed, so
smoke results are reproducible.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from gapbook.data import ArrayDataset, get_spec, write_cache

__all__ = [
    "ARRAY_SAMPLES", "FOLDER_CLASSES", "FOLDER_IMAGES", "smoke_data_root", "train_samples", "write_synthetic_data"
]  # fmt: skip

ARRAY_SAMPLES = (16, 4)
"""Training and test samples of each synthetic array data set, but see :func:`train_samples`: a data set of more
classes gets more training samples."""
FOLDER_CLASSES = 2
FOLDER_IMAGES = (4, 2)
"""Training and validation images per class of the synthetic image folder."""
_FOLDER_SIZE = 16


def _banded(
    rng: np.random.Generator, labels: np.ndarray, shape: tuple[int, ...], classes: int
) -> np.ndarray:
    """uint8 noise images with a bright band at a height that encodes each label."""
    images = rng.integers(0, 60, (len(labels), *shape)).astype(np.uint8)
    height = shape[0]
    for label in range(classes):
        top = label * (height - 2) // classes
        images[labels == label, top : top + 2] += 150
    return images


def train_samples(name: str) -> int:
    """Training samples of the synthetic array data set ``name``: a valid training split holds every class, so the
    smallest multiple of ``ARRAY_SAMPLES[0]`` (which the smoke profile's batches divide) holding each class once:
    16 for MNIST and CIFAR-10, 112 for CIFAR-100."""
    classes = get_spec(name).num_classes
    return -(-classes // ARRAY_SAMPLES[0]) * ARRAY_SAMPLES[0]


def _write_arrays(root: Path, name: str, rng: np.random.Generator) -> None:
    spec = get_spec(name)
    splits = []
    for n in (train_samples(name), ARRAY_SAMPLES[1]):
        labels = rng.permutation(np.arange(n) % spec.num_classes).astype(np.uint8)
        splits += [_banded(rng, labels, spec.image_shape, spec.num_classes), labels]
    classes = tuple(f"class{i}" for i in range(spec.num_classes))
    write_cache(root / f"{name}.npz", ArrayDataset(name, *splits, classes, spec.mean, spec.std))


def _write_folder(root: Path, rng: np.random.Generator) -> None:
    for split, per_class in zip(("train", "val"), FOLDER_IMAGES):
        labels = np.repeat(np.arange(FOLDER_CLASSES), per_class)
        images = _banded(rng, labels, (_FOLDER_SIZE, _FOLDER_SIZE, 3), FOLDER_CLASSES)
        for index, (image, label) in enumerate(zip(images, labels)):
            folder = root / "imagenet" / split / f"class{label}"
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image).save(folder / f"{index}.png")


def write_synthetic_data(root: str | Path, seed: int = 0) -> Path:
    """Write the synthetic MNIST, CIFAR-10, CIFAR-100 and ImageNet into the folder ``root``; returns it."""
    base = Path(root)
    base.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for name in ("mnist", "cifar10", "cifar100"):
        _write_arrays(base, name, rng)
    _write_folder(base, rng)
    return base


@functools.cache
def smoke_data_root() -> Path:
    """A temporary data root holding the synthetic data sets, made once per process and removed at its exit."""
    root = Path(tempfile.mkdtemp(prefix="gapbook-smoke-data-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return write_synthetic_data(root)
