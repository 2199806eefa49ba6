"""Tiny synthetic data sets and regimes for the training-engine tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gapbook.data import ArrayDataset, get_spec, write_cache
from gapbook.regime import Regime


def write_dataset(root: Path, name: str = "mnist", n_train: int = 256, n_test: int = 100, seed: int = 0) -> Path:
    """Write a valid ``<root>/<name>.npz`` cache of noisy images whose class is a bright horizontal band."""
    spec = get_spec(name)
    rng = np.random.default_rng(seed)

    def split(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = (np.arange(n) % spec.num_classes).astype(np.uint8)
        rng.shuffle(y)
        x = rng.integers(0, 60, (n, *spec.image_shape)).astype(np.uint8)
        height = spec.image_shape[0]
        for label in range(spec.num_classes):
            row = label * (height - 2) // spec.num_classes
            x[y == label, row : row + 2] += 150
        return x, y

    x_train, y_train = split(n_train)
    x_test, y_test = split(n_test)
    classes = tuple(f"class{i}" for i in range(spec.num_classes))
    data = ArrayDataset(name, x_train, y_train, x_test, y_test, classes, spec.mean, spec.std)
    write_cache(root / f"{name}.npz", data)
    return root


def regime(lr: float = 0.05, epochs: float = 2, drop_at: float | None = 1) -> Regime:
    """SGD with momentum 0.9 and weight decay 1e-4, the learning rate divided by 10 at ``drop_at``."""
    phases = [{"epoch": 0, "lr": lr, "momentum": 0.9, "weight_decay": 1e-4}]
    if drop_at is not None:
        phases.append({"epoch": drop_at, "lr": lr / 10})
    return Regime.from_authors(phases, epochs=epochs)
