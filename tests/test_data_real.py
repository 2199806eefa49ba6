"""The real MNIST / CIFAR-10 caches, when GAPBOOK_DATA points at a folder that holds them."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from gapbook.data import ENV_VAR, eval_loader, load_arrays


def real_root(name: str) -> Path:
    """The data root holding ``<name>.npz``, or skip the test."""
    root = os.environ.get(ENV_VAR)
    if not root or not (Path(root) / f"{name}.npz").is_file():
        pytest.skip(f"{ENV_VAR} does not point at a folder with {name}.npz")
    return Path(root)


def test_real_mnist() -> None:
    data = load_arrays("mnist", real_root("mnist"), download=False)
    assert data.x_train.shape == (60000, 28, 28) and data.x_test.shape == (10000, 28, 28)
    assert np.bincount(data.y_train).min() > 5000
    assert data.x_train.mean() / 255 == pytest.approx(0.1307, abs=1e-3)
    x, _ = next(iter(eval_loader(data, 1000)))
    assert x.min().item() == pytest.approx(-1.0) and x.max().item() == pytest.approx(1.0)


def test_real_cifar10() -> None:
    data = load_arrays("cifar10", real_root("cifar10"), download=False)
    assert data.x_train.shape == (50000, 32, 32, 3) and data.x_test.shape == (10000, 32, 32, 3)
    assert np.bincount(data.y_train).tolist() == [5000] * 10
    assert data.classes[0] == "airplane" and data.classes[9] == "truck"
    channel_mean = data.x_train.reshape(-1, 3).mean(axis=0) / 255
    np.testing.assert_allclose(channel_mean, data.mean, atol=0.01)
