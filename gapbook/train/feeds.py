"""The batches a run trains and evaluates on: array data sets on the device, image folders through workers.

Both kinds look alike to the training loop: iterables of ``(x, y)`` on the run's device, with ``set_epoch`` and
``len``. The batch size is the global one; under DDP each process gets its slice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import torch
import torch.distributed as dist
from torch import Tensor

from gapbook.data import NO_AUGMENTATION, ArrayDataset, eval_loader, folder_loaders, load_arrays, train_loader
from gapbook.data.root import data_root
from gapbook.data.specs import SPECS

from .config import TrainConfig
from .distributed import DistEnv

__all__ = ["Feed", "RunData", "open_data"]


class Feed(Protocol):
    """Batches of one epoch: iterate after ``set_epoch``; ``len`` is the number of batches."""

    def set_epoch(self, epoch: int) -> None: ...

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]: ...


@dataclass(frozen=True)
class RunData:
    """Training and test batches, with what the loop needs to know about them.

    ``eval_limit`` is the number of test samples this process counts (the distributed sampler of folder data sets
    pads the last slices with repeated samples, which must not be counted twice); ``None`` counts every sample.
    ``train_eval`` is the whole training split in order and without augmentation, to measure how well the final
    weights fit it (array data sets; ``None`` for image folders, where one more pass costs as much as an epoch).
    """

    train: Feed
    test: Iterable[tuple[Tensor, Tensor]]
    num_classes: int
    train_samples: int
    test_samples: int
    eval_limit: int | None
    train_eval: Iterable[tuple[Tensor, Tensor]] | None = None


class _FolderFeed:
    """A worker-process DataLoader whose batches are moved to the device (and laid out channels-last)."""

    def __init__(
        self,
        loader: Iterable[tuple[Tensor, Tensor]],
        device: torch.device,
        channels_last: bool,
        set_epoch: Callable[[int], None] | None = None,
    ) -> None:
        self._loader = loader
        self._device = device
        self._format = torch.channels_last if channels_last else torch.contiguous_format
        self._set_epoch = set_epoch

    def set_epoch(self, epoch: int) -> None:
        if self._set_epoch is not None:
            self._set_epoch(epoch)

    def __len__(self) -> int:
        return len(self._loader)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        for x, y in self._loader:
            x = x.to(self._device, non_blocking=True).contiguous(memory_format=self._format)
            yield x, y.to(self._device, non_blocking=True)


def open_data(config: TrainConfig, env: DistEnv, device: torch.device) -> RunData:
    """The batches of ``config``'s data set for this process."""
    if config.is_array_dataset:
        return _array_data(config, env, device)
    return _folder_data(config, env, device)


def _load_once(config: TrainConfig, env: DistEnv) -> ArrayDataset:
    """Load (downloading if needed) on rank 0 first, so that processes never download into one folder at once."""
    if env.distributed and not env.is_main:
        dist.barrier()
    data = load_arrays(str(config.dataset), root=config.data_root)
    if env.distributed and env.is_main:
        dist.barrier()
    return data


def _array_data(config: TrainConfig, env: DistEnv, device: torch.device) -> RunData:
    data = _load_once(config, env)
    if config.train_size is not None or config.test_size is not None:
        # The same subset for every seed, so that seeds vary the training only.
        data = data.subset(config.train_size or len(data.y_train), seed=0, n_test=config.test_size)
    if config.batch_size > len(data.y_train):
        raise ValueError(
            f"batch_size {config.batch_size} is larger than the {len(data.y_train)} training samples of "
            f"{config.dataset}, so an epoch has no full batch; use a batch of at most {len(data.y_train)}"
        )
    rank, world_size, channels_last = env.rank, env.world_size, config.channels_last
    train = train_loader(
        data,
        config.batch_size,
        augmentation=None if config.augment else NO_AUGMENTATION,
        seed=config.seed,
        device=device,
        rank=rank,
        world_size=world_size,
        channels_last=channels_last,
    )
    test, train_eval = (
        eval_loader(data, config.batch_size, split=split, device=device, rank=rank, world_size=world_size,
                    channels_last=channels_last)  # fmt: skip
        for split in ("test", "train")
    )
    return RunData(train, test, data.num_classes, len(data.y_train), len(data.y_test), None, train_eval)


def _folder_data(config: TrainConfig, env: DistEnv, device: torch.device) -> RunData:
    folder = data_root(config.data_root) / str(config.dataset)
    if config.train_size is not None or config.test_size is not None:
        raise ValueError(
            f"train_size and test_size select subsets of array data sets ({', '.join(SPECS)}); the image folder "
            f"data set {config.dataset!r} is used whole, so leave them unset"
        )
    if not config.augment:
        raise ValueError(
            f"the image folder data set {config.dataset!r} always trains with the ImageNet augmentation (random "
            "resized crops and flips); leave augment on"
        )
    if not (folder / "train").is_dir():
        raise FileNotFoundError(
            f"unknown data set {config.dataset!r}: it is not one of {', '.join(SPECS)}, and {folder} has no train/ "
            f"folder; give an array data set, or put the images in {folder}/train/<class>/ and {folder}/val/<class>/"
        )
    loaders = folder_loaders(
        Path(folder), config.batch_size, config.workers, distributed=env.distributed, seed=config.seed
    )
    train = _FolderFeed(loaders.train, device, config.channels_last, loaders.set_epoch)
    test = _FolderFeed(loaders.val, device, config.channels_last)
    n_test = len(loaders.val.dataset)  # type: ignore[arg-type]
    limit = len(range(env.rank, n_test, env.world_size))
    n_train = len(loaders.train.dataset)  # type: ignore[arg-type]
    return RunData(train, test, len(loaders.classes), n_train, n_test, limit)
