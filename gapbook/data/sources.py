"""Download MNIST / CIFAR-10 / CIFAR-100 with torchvision and turn them into an :class:`ArrayDataset`.

torchvision opens its connections without a timeout, so on a network that drops packets a download could wait
for many minutes before failing. The download therefore runs under a short default socket timeout.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from torchvision import datasets

from .arrays import ArrayDataset
from .specs import DatasetSpec

DOWNLOAD_TIMEOUT_S = 30.0

_TORCHVISION = {
    "mnist": datasets.MNIST,
    "cifar10": datasets.CIFAR10,
    "cifar100": datasets.CIFAR100,
}


class DataUnavailableError(FileNotFoundError):
    """A data set is neither cached nor downloadable."""


def unavailable(name: str, root: Path, reason: str) -> DataUnavailableError:
    """The one error for a missing data set: what is missing, where it was looked for, how to provide it."""
    return DataUnavailableError(
        f"Data set {name!r} is not available: there is no cache {root / f'{name}.npz'} and {reason}. "
        f"To provide it: call again with download=True on a machine with internet access (torchvision downloads "
        f"it into {root / 'raw'}); or place a ready-made {name}.npz (uint8 x_train, y_train, x_test, y_test and "
        f"string classes) in {root}; or point the data root at a folder that has it, with the root argument or "
        f"the GAPBOOK_DATA environment variable."
    )


@contextmanager
def socket_timeout(seconds: float) -> Iterator[None]:
    """Temporarily set the default timeout of newly created sockets (process-wide)."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def download(spec: DatasetSpec, root: Path, timeout: float = DOWNLOAD_TIMEOUT_S) -> ArrayDataset:
    """Download both splits of ``spec`` into ``root/raw`` with torchvision and return them as uint8 arrays."""
    source = _TORCHVISION[spec.name]
    try:
        with socket_timeout(timeout):
            train = source(root / "raw", train=True, download=True)
            test = source(root / "raw", train=False, download=True)
    except (OSError, RuntimeError) as err:
        # URLError and socket timeouts are OSErrors; torchvision reports failed mirrors as a RuntimeError.
        summary = " ".join(str(err).split())
        raise unavailable(spec.name, root, f"the download failed ({type(err).__name__}: {summary})") from None
    return ArrayDataset(
        name=spec.name,
        x_train=_uint8(train.data),
        y_train=_uint8(train.targets),
        x_test=_uint8(test.data),
        y_test=_uint8(test.targets),
        classes=tuple(train.classes),
        mean=spec.mean,
        std=spec.std,
    )


def _uint8(values: object) -> np.ndarray:
    """A contiguous uint8 numpy copy of a tensor, array or list."""
    return np.ascontiguousarray(np.asarray(values), dtype=np.uint8)
