"""Image folder data sets (ImageNet or any ``<split>/<class>/<image>`` tree) with the standard ImageNet pipeline.

These are too large to hold on the device, so they use torchvision's ``ImageFolder`` and a multi-process
``DataLoader``. Sampling always goes through a ``DistributedSampler`` (one replica when not distributed) and the
loader's generator, which seeds the worker processes, is re-seeded by :meth:`FolderLoaders.set_epoch`: the order
depends only on (seed, epoch), as with :class:`DeviceLoader`, and with ``workers > 0`` so does the augmentation
(with ``workers=0`` the transforms draw from the global torch generator).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, DistributedSampler
from torchvision import datasets, transforms

from .loader import epoch_seed
from .specs import DATASETS

_IMAGENET = DATASETS["imagenet"]  # every folder data set goes through ImageNet's pipeline: its crops and statistics
IMAGENET_MEAN = _IMAGENET.mean
IMAGENET_STD = _IMAGENET.std
_IMAGE_SIZE = _IMAGENET.image_shape[0]
_RESIZE = 256  # validation images: shorter side resized to this, then center-cropped


@dataclass(frozen=True)
class FolderLoaders:
    """Training and validation loaders of one folder data set; call :meth:`set_epoch` before each epoch."""

    train: DataLoader
    val: DataLoader
    classes: tuple[str, ...]
    train_sampler: DistributedSampler
    worker_seeds: torch.Generator
    seed: int
    rank: int

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch's shuffle (all ranks agree) and this rank's augmentation seed."""
        self.train_sampler.set_epoch(epoch)
        self.worker_seeds.manual_seed(epoch_seed(self.seed, epoch, self.rank))


def imagenet_transforms(
    image_size: int = _IMAGE_SIZE, resize: int = _RESIZE
) -> tuple[transforms.Compose, transforms.Compose]:
    """Training (random resized crop + flip) and validation (resize + center crop) transforms, normalized."""
    normalize = transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)
    train = transforms.Compose(
        [
            transforms.RandomResizedCrop(image_size),
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
            normalize,
        ]
    )
    val = transforms.Compose(
        [transforms.Resize(resize), transforms.CenterCrop(image_size), transforms.ToTensor(), normalize]
    )
    return train, val


def folder_loaders(
    root: str | os.PathLike[str],
    batch_size: int,
    workers: int = 4,
    *,
    distributed: bool = False,
    seed: int = 0,
    image_size: int = _IMAGE_SIZE,
    resize: int = _RESIZE,
    pin_memory: bool | None = None,
) -> FolderLoaders:
    """Loaders over ``root/train`` and ``root/val``, each holding one sub-folder of images per class.

    ``batch_size`` is the global batch: with ``distributed=True`` (an initialized process group, e.g. under
    torchrun) each rank loads ``batch_size // world_size`` samples per step. Training batches are full; the
    validation sampler pads the last rank slices with repeated samples under DDP (``DistributedSampler``).
    ``pin_memory`` defaults to whether CUDA is available.
    """
    base = Path(root).expanduser()
    train_dir, val_dir = base / "train", base / "val"
    for folder in (train_dir, val_dir):
        if not folder.is_dir():
            raise FileNotFoundError(
                f"Image folder {folder} does not exist. Expected {base}/train/<class>/<image> and "
                f"{base}/val/<class>/<image> (for ImageNet: the ILSVRC2012 train and val sets with the val images "
                f"sorted into class folders); pass the folder that holds train/ and val/."
            )
    rank, world_size = _process_group() if distributed else (0, 1)
    if batch_size < 1 or batch_size % world_size:
        raise ValueError(
            f"batch_size {batch_size} must be a positive multiple of the world size {world_size}: it is the "
            f"global batch, split evenly across ranks."
        )
    train_tf, val_tf = imagenet_transforms(image_size, resize)
    train_set = datasets.ImageFolder(train_dir, transform=train_tf)
    val_set = datasets.ImageFolder(val_dir, transform=val_tf)
    if val_set.classes != train_set.classes:
        raise ValueError(
            f"{val_dir} and {train_dir} have different class folders ({len(val_set.classes)} vs "
            f"{len(train_set.classes)}), so their labels would not match; give both splits the same class folders."
        )
    local_batch = batch_size // world_size
    if len(train_set) < batch_size:
        raise ValueError(
            f"batch_size {batch_size} exceeds the {len(train_set)} training images in {train_dir}; there is no "
            f"full batch. Use a smaller batch."
        )
    pin = torch.cuda.is_available() if pin_memory is None else pin_memory
    sampler: DistributedSampler = DistributedSampler(
        train_set, num_replicas=world_size, rank=rank, shuffle=True, seed=seed, drop_last=True
    )
    worker_seeds = torch.Generator().manual_seed(epoch_seed(seed, 0, rank))
    train = DataLoader(
        train_set,
        batch_size=local_batch,
        sampler=sampler,
        num_workers=workers,
        pin_memory=pin,
        drop_last=True,
        generator=worker_seeds,
    )
    val = DataLoader(
        val_set,
        batch_size=local_batch,
        sampler=DistributedSampler(val_set, num_replicas=world_size, rank=rank, shuffle=False),
        num_workers=workers,
        pin_memory=pin,
    )
    return FolderLoaders(
        train=train,
        val=val,
        classes=tuple(train_set.classes),
        train_sampler=sampler,
        worker_seeds=worker_seeds,
        seed=seed,
        rank=rank,
    )


def _process_group() -> tuple[int, int]:
    """Rank and world size of the default process group, which must exist."""
    if not (dist.is_available() and dist.is_initialized()):
        raise RuntimeError(
            "distributed=True needs an initialized process group: call torch.distributed.init_process_group "
            "(e.g. run under torchrun) first, or pass distributed=False."
        )
    return dist.get_rank(), dist.get_world_size()
