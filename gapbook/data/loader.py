"""A data loader for small image data sets that keeps the whole data set on the device.

MNIST and CIFAR fit in GPU memory as uint8 (47 MB and 150 MB), so the arrays are transferred once and every
batch is gathered, augmented, converted to float and normalized on the device: no worker processes, no
host-to-device copy per batch, and the GPU is not starved by per-image Python transforms.

Each epoch's order and augmentation draws come from a generator seeded by (seed, epoch) on the CPU, so a run is
reproducible, a resumed run sees the same batches, and every device and every DDP rank agrees on them. Under
DistributedDataParallel ``batch_size`` is the global batch: every rank computes the same global batches and
keeps its contiguous 1/world_size slice.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import torch

from .arrays import ArrayDataset
from .augment import NO_AUGMENTATION, Augmentation, CropFlipParams, crop_flip, draw_params
from .specs import paper_augmentation


def epoch_seed(seed: int, epoch: int, stream: int = 0) -> int:
    """A well-mixed 63-bit generator seed for (seed, epoch), with ``stream`` telling independent users apart."""
    if min(seed, epoch, stream) < 0:
        raise ValueError(f"seed, epoch and stream must be >= 0, got {seed}, {epoch}, {stream}.")
    state = np.random.SeedSequence([seed, epoch, stream]).generate_state(1, np.uint64)[0]
    return int(state >> np.uint64(1))


class DeviceLoader:
    """Iterate over (x, y) batches of uint8 images held on ``device``.

    ``x`` is float (N, C, H, W) in ``dtype``, normalized with ``mean``/``std`` (per channel, pixels in [0, 1]);
    ``y`` is int64. With ``train=True`` each epoch is a seeded permutation, only full batches are yielded and
    ``augmentation`` is applied; with ``train=False`` samples come in order, every sample exactly once, and
    nothing is augmented. Call :meth:`set_epoch` before each training epoch. ``image_size`` is the (H, W) of the
    yielded images.
    """

    def __init__(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        batch_size: int,
        *,
        mean: Sequence[float],
        std: Sequence[float],
        train: bool,
        augmentation: Augmentation = NO_AUGMENTATION,
        device: torch.device | str = "cpu",
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        channels_last: bool = False,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        _check_arrays(images, labels)
        channels = 1 if images.ndim == 3 else images.shape[3]
        if len(mean) != channels or len(std) != channels or min(std) <= 0:
            raise ValueError(
                f"mean and std need one value per channel ({channels}) and std > 0; got mean={mean}, std={std}."
            )
        _check_batching(batch_size, rank, world_size)
        if train and batch_size > len(labels):
            raise ValueError(
                f"batch_size {batch_size} exceeds the {len(labels)} training samples, so there is no full batch; "
                f"use a smaller batch or more data."
            )
        if not train and not augmentation.is_identity:
            raise ValueError("Augmentation is for training only; use Augmentation() when train=False.")
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}.")
        if not dtype.is_floating_point:
            raise ValueError(f"dtype must be a floating-point dtype, got {dtype}.")
        self.device = torch.device(device)
        self.image_size = augmentation.output_size(images.shape[1], images.shape[2])
        x = torch.from_numpy(np.ascontiguousarray(images)).to(self.device)
        self.images = (x.unsqueeze(1) if x.ndim == 3 else x.permute(0, 3, 1, 2)).contiguous()
        self.labels = torch.from_numpy(labels.astype(np.int64)).to(self.device)
        mean_t = torch.tensor(mean, dtype=torch.float32, device=self.device).view(1, -1, 1, 1)
        std_t = torch.tensor(std, dtype=torch.float32, device=self.device).view(1, -1, 1, 1)
        self._scale = 1.0 / (255.0 * std_t)
        self._shift = -mean_t / std_t
        self.batch_size = batch_size
        self.train = train
        self.augmentation = augmentation
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.channels_last = channels_last
        self.dtype = dtype
        self.epoch = 0

    @property
    def num_samples(self) -> int:
        """Number of samples in the data set (all ranks together)."""
        return len(self.labels)

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose permutation and augmentation the next iteration uses."""
        if epoch < 0:
            raise ValueError(f"epoch must be >= 0, got {epoch}.")
        self.epoch = epoch

    def __len__(self) -> int:
        """Batches per epoch; the same on every rank."""
        if self.train:
            return self.num_samples // self.batch_size
        return -(-self.num_samples // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        order, params = self._plan()
        for step in range(len(self)):
            start = step * self.batch_size
            lo, hi = _rank_bounds(min(self.batch_size, self.num_samples - start), self.rank, self.world_size)
            index = order[start + lo : start + hi]
            x = self.images.index_select(0, index)  # whole images at a time, unlike advanced indexing's bytes
            if params is not None:
                x = crop_flip(x, self.augmentation, params[start + lo : start + hi])
            yield self._normalize(x), self.labels.index_select(0, index)

    def _plan(self) -> tuple[torch.Tensor, CropFlipParams | None]:
        """This epoch's sample order and augmentation draws (indexed by position in the order), on the device."""
        if not self.train:
            return torch.arange(self.num_samples, device=self.device), None
        generator = torch.Generator().manual_seed(epoch_seed(self.seed, self.epoch))
        order = torch.randperm(self.num_samples, generator=generator).to(self.device)
        if self.augmentation.is_identity:
            return order, None
        height, width = self.images.shape[2:]
        params = draw_params(self.augmentation, self.num_samples, height, width, generator)
        return order, params.to(self.device)

    def _normalize(self, x: torch.Tensor) -> torch.Tensor:
        """uint8 -> normalized float in the output dtype and memory format, in one pass over the floats: the bytes
        are laid out first (a quarter of the floats' size) and converted inside the multiply-add."""
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return torch.addcmul(self._shift, x, self._scale).to(self.dtype)


def train_loader(
    data: ArrayDataset,
    batch_size: int,
    *,
    augmentation: Augmentation | None = None,
    device: torch.device | str = "cpu",
    seed: int = 0,
    rank: int = 0,
    world_size: int = 1,
    channels_last: bool = False,
    dtype: torch.dtype = torch.float32,
) -> DeviceLoader:
    """Shuffled, augmented, full-batch loader over the training split.

    ``augmentation=None`` uses the authors' augmentation for the data set (:func:`paper_augmentation`); pass
    ``Augmentation()`` to train without augmentation.
    """
    return DeviceLoader(
        data.x_train,
        data.y_train,
        batch_size,
        mean=data.mean,
        std=data.std,
        train=True,
        augmentation=paper_augmentation(data.name) if augmentation is None else augmentation,
        device=device,
        seed=seed,
        rank=rank,
        world_size=world_size,
        channels_last=channels_last,
        dtype=dtype,
    )


def eval_loader(
    data: ArrayDataset,
    batch_size: int,
    *,
    split: str = "test",
    device: torch.device | str = "cpu",
    rank: int = 0,
    world_size: int = 1,
    channels_last: bool = False,
    dtype: torch.dtype = torch.float32,
) -> DeviceLoader:
    """In-order, unaugmented loader over every sample of ``split`` ("test" or "train").

    Under DDP every rank yields the same number of batches; the rank slices of the last, partial batch may differ
    in size by one (and be empty), so sum counts across ranks rather than averaging per-batch means.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}.")
    images, labels = (data.x_train, data.y_train) if split == "train" else (data.x_test, data.y_test)
    return DeviceLoader(
        images,
        labels,
        batch_size,
        mean=data.mean,
        std=data.std,
        train=False,
        device=device,
        rank=rank,
        world_size=world_size,
        channels_last=channels_last,
        dtype=dtype,
    )


def _check_arrays(images: np.ndarray, labels: np.ndarray) -> None:
    """Images must be uint8 (N, H, W) or (N, H, W, C); labels (N,) integers."""
    if images.dtype != np.uint8 or images.ndim not in (3, 4):
        raise ValueError(f"images must be uint8 of shape (N, H, W) or (N, H, W, C), got {images.dtype} {images.shape}.")
    if labels.ndim != 1 or len(labels) != len(images) or labels.dtype.kind not in "iu":
        raise ValueError(f"labels must be integers of shape ({len(images)},), got {labels.dtype} {labels.shape}.")
    if len(labels) == 0:
        raise ValueError("The data set is empty.")


def _check_batching(batch_size: int, rank: int, world_size: int) -> None:
    """The global batch must split evenly across ranks, and rank must be one of them."""
    if batch_size < 1 or world_size < 1:
        raise ValueError(f"batch_size and world_size must be >= 1, got {batch_size} and {world_size}.")
    if not 0 <= rank < world_size:
        raise ValueError(f"rank must be in [0, {world_size}), got {rank}.")
    if batch_size % world_size:
        raise ValueError(
            f"The global batch_size {batch_size} is not divisible by world_size {world_size}: every rank takes "
            f"an equal slice of each global batch. Use a batch size that is a multiple of {world_size}."
        )


def _rank_bounds(n: int, rank: int, world_size: int) -> tuple[int, int]:
    """Contiguous slice of a batch of ``n`` samples for ``rank``; sizes differ by at most one across ranks."""
    base, extra = divmod(n, world_size)
    lo = rank * base + min(rank, extra)
    return lo, lo + base + (rank < extra)
