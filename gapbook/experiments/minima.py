"""How sharp is the minimum each column of Table 1 reaches? Measured on the stored runs' final weights.

Keskar et al. (2017) explain the generalization gap by large batches converging to sharp minima; Hoffer et al.
(2017) by too few updates. :func:`measure_minimum` measures a trained run's final weights (kept by
``gapbook reproduce --keep-weights``) with :mod:`gapbook.sharpness`: the top eigenvalues of the training-loss
Hessian (Lanczos) and Keskar's epsilon-sharpness, both on one fixed class-balanced sample of the training set,
without augmentation, with BatchNorm in evaluation mode (the function the trained network computes at test time)
and dropout off. Every run of a row is measured on the same sample, so that the columns compare like for like.
A measurement is one JSON file beside the run's result, ``<results>/<profile>/minima/<result name>.json``, with
its settings and provenance, so that a chapter reads it instead of recomputing it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch

from gapbook.data import eval_loader, load_arrays
from gapbook.sharpness import cross_entropy_loss, epsilon_sharpness, lanczos
from gapbook.support.atomic import atomic_write_text
from gapbook.train import RunResult, initial_model, result_filename
from gapbook.train.provenance import git_commit, versions

from .store import ResultStore

__all__ = ["MinimumSettings", "MinimumMeasurement", "MinimaStore", "measure_minimum"]


@dataclass(frozen=True)
class MinimumSettings:
    """How a minimum is measured: the training sample, the Hessian eigenvalues asked for and the box of the
    epsilon-sharpness (``epsilon`` times ``|w| + 1`` per weight, ``steps`` of sign-gradient ascent)."""

    samples: int = 10_000
    sample_seed: int = 0
    eigenvalues: int = 3
    tol: float = 1e-3
    max_iter: int = 40
    epsilon: float = 1e-3
    steps: int = 20
    chunk_size: int = 1000


@dataclass(frozen=True)
class MinimumMeasurement:
    """The sharpness of one run's final weights: Hessian eigenvalues (largest first) with their residuals, and the
    epsilon-sharpness (%, a lower bound) with the loss at the weights; settings and provenance of the measurement."""

    result_name: str
    config_hash: str
    seed: int
    settings: dict[str, Any]
    eigenvalues: list[float]
    residuals: list[float]
    lanczos_iterations: int
    converged: bool
    loss: float
    epsilon_sharpness: float
    wall_time: float
    device: str
    versions: dict[str, str]
    git_commit: str | None
    created_at: str

    @property
    def top_eigenvalue(self) -> float:
        """The largest eigenvalue of the training-loss Hessian at the final weights."""
        return self.eigenvalues[0]


def measure_minimum(
    result: RunResult,
    weights: str | os.PathLike[str],
    settings: MinimumSettings = MinimumSettings(),
    *,
    data_root: str | None = None,
) -> MinimumMeasurement:
    """Measure the minimum reached by ``result`` from its final weights at ``weights`` (a ``state_dict``)."""
    started = time.perf_counter()
    config = result.train_config
    model = initial_model(config)
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    data = load_arrays(str(config.dataset), root=data_root if data_root is not None else config.data_root)
    if config.train_size is not None:  # the run's own training subset, drawn as the engine draws it
        data = data.subset(config.train_size, seed=0)
    sample = data.subset(min(settings.samples, len(data.y_train)), seed=settings.sample_seed)
    x, y = next(iter(eval_loader(sample, len(sample.y_train), split="train")))
    loss = cross_entropy_loss(x, y, chunk_size=settings.chunk_size)
    eigen = lanczos(model, loss, settings.eigenvalues, tol=settings.tol, max_iter=settings.max_iter)
    sharp = epsilon_sharpness(model, loss, settings.epsilon, steps=settings.steps)
    return MinimumMeasurement(
        result_name=result_filename(config),
        config_hash=result.config_hash,
        seed=result.seed,
        settings=dataclasses.asdict(settings),
        eigenvalues=list(eigen.eigenvalues),
        residuals=list(eigen.residuals),
        lanczos_iterations=eigen.iterations,
        converged=eigen.converged,
        loss=sharp.loss,
        epsilon_sharpness=sharp.sharpness,
        wall_time=time.perf_counter() - started,
        device=f"cpu ({torch.get_num_threads()} threads)",
        versions=versions(),
        git_commit=git_commit(),
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )


class MinimaStore:
    """The measurements of one profile's runs, beside their results: ``<results>/<profile>/minima/``."""

    def __init__(self, results_dir: str | os.PathLike[str], profile: str) -> None:
        self.folder = ResultStore(results_dir, profile).folder / "minima"

    def path(self, result: RunResult) -> Path:
        """Where the measurement of ``result`` is stored."""
        return self.folder / result_filename(result.train_config)

    def save(self, measurement: MinimumMeasurement) -> Path:
        """Write ``measurement`` atomically; returns its path."""
        path = self.folder / measurement.result_name
        return atomic_write_text(path, json.dumps(dataclasses.asdict(measurement), indent=2, allow_nan=False) + "\n")

    def lookup(self, result: RunResult) -> MinimumMeasurement | None:
        """The stored measurement of ``result``, or ``None``; one of another run under its name is refused."""
        path = self.path(result)
        if not path.exists():
            return None
        try:
            measurement = MinimumMeasurement(**json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as err:
            raise ValueError(f"{path} is not a minimum measurement ({err}); delete it and measure again") from None
        if measurement.config_hash != result.config_hash:
            raise ValueError(
                f"{path} measures the run with hash {measurement.config_hash[:12]}, not {result.config_hash[:12]}; "
                "delete it and measure again"
            )
        return measurement
