"""A small in-memory image classification data set: uint8 arrays plus what is needed to use them."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class ArrayDataset:
    """Train and test splits as uint8 numpy arrays.

    Images are (N, H, W) for grey-scale or (N, H, W, C) for colour; labels are (N,). ``mean`` and ``std`` are the
    per-channel statistics (on pixels scaled to [0, 1]) that loaders normalize with.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return len(self.classes)

    @property
    def image_shape(self) -> tuple[int, ...]:
        """Shape of one image as stored: (H, W) or (H, W, C)."""
        return tuple(self.x_train.shape[1:])

    def subset(self, n: int, seed: int = 0, n_test: int | None = None) -> ArrayDataset:
        """A class-balanced random subset of ``n`` training samples (and of ``n_test`` test samples if given).

        Samples are drawn without replacement in a seeded random order, taking one class after another, so class
        counts differ by at most one while every class has samples left. The arrays may be sorted by class, which
        is why the first ``n`` samples are never used.
        """
        rng = np.random.default_rng(seed)
        x_train, y_train = _balanced(self.x_train, self.y_train, n, rng, "n")
        x_test, y_test = self.x_test, self.y_test
        if n_test is not None:
            x_test, y_test = _balanced(self.x_test, self.y_test, n_test, rng, "n_test")
        return replace(self, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)


def _balanced(
    x: np.ndarray, y: np.ndarray, n: int, rng: np.random.Generator, what: str
) -> tuple[np.ndarray, np.ndarray]:
    """Pick ``n`` samples round-robin over classes from a random permutation."""
    if not 1 <= n <= len(y):
        raise ValueError(f"Subset size {what}={n} must be between 1 and the split size {len(y)}.")
    order = rng.permutation(len(y))
    labels = y[order].astype(np.int64)
    # Rank of each sample among the earlier samples of its class, in the random order.
    by_class = np.argsort(labels, kind="stable")
    starts = np.searchsorted(labels[by_class], labels[by_class])
    rank = np.empty(len(y), dtype=np.int64)
    rank[by_class] = np.arange(len(y)) - starts
    chosen = order[np.argsort(rank, kind="stable")[:n]]
    return x[chosen], y[chosen]
