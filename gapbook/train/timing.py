"""Timing the ways of normalizing a model side by side: BatchNorm, Ghost BN (each strategy) and the chunk loop.

What Ghost BN costs is a ratio to ordinary BatchNorm on the same machine, so :func:`variants` makes the
normalization variants from copies of one model (same weights), :func:`training_step` gives each the same
training step (the engine's), and :func:`time_interleaved` times them in interleaved rounds, every variant once
per round, and keeps the median: slow drifts of a shared machine then hit all variants alike, and the ratios stay
readable. ``benchmarks/ghost_bn.py`` and the Ghost BN chapter measure with these, so they measure the same thing;
``benchmarks/train_throughput.py`` waits for the GPU with the same :func:`synchronize`.
"""

from __future__ import annotations

import copy
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from gapbook.ghost_bn import (
    ChunkLoopGhostBatchNorm,
    GhostBatchNorm1d,
    GhostBatchNorm2d,
    GhostBatchNorm3d,
    GhostBatchNormNd,
    Strategy,
    convert_ghost_batchnorm,
)

from .precision import AmpPolicy
from .step import train_step

__all__ = ["chunk_loop", "synchronize", "time_interleaved", "training_step", "variants", "with_strategy"]

Step = Callable[[], None]


def with_strategy(model: nn.Module, strategy: Strategy) -> nn.Module:
    """Force the implementation strategy of every Ghost BN in ``model`` (itself included) to ``strategy``.

    Both strategies give the same results, so their cost is the only difference to measure. Returns ``model``.
    """
    for module in model.modules():
        if isinstance(module, (GhostBatchNorm1d, GhostBatchNorm2d, GhostBatchNorm3d, GhostBatchNormNd)):
            module.strategy = strategy
    return model


def chunk_loop(model: nn.Module, ghost_batch_size: int) -> nn.Module:
    """Wrap every BatchNorm in ``model`` (itself included) in a :class:`~gapbook.ChunkLoopGhostBatchNorm`.

    This is Ghost BN as the authors' code and MosaicML Composer implement it, a Python loop over the ghost batches
    through the ordinary module: the baseline a faster implementation has to beat. Returns the wrapped model
    (a new module when ``model`` is itself a BatchNorm, else ``model``, changed in place).
    """
    if isinstance(model, nn.modules.batchnorm._BatchNorm):
        return ChunkLoopGhostBatchNorm(model, ghost_batch_size)
    for name, child in model.named_children():
        setattr(model, name, chunk_loop(child, ghost_batch_size))
    return model


def variants(base: nn.Module, ghost_batch_size: int) -> dict[str, nn.Module]:
    """The five ways of normalizing ``base`` (a model or a single BatchNorm), each on its own copy of it.

    ``"BatchNorm"``: ``base`` as it is, the baseline; ``"GhostBN"``: Ghost BN with the strategy the device picks
    (``"auto"``); ``"GhostBN fused"`` and ``"GhostBN loop"``: each strategy forced, to check that the automatic
    choice is the faster; ``"chunk loop"``: :func:`chunk_loop`. The copies start from the same weights, so they
    do the same work. ``base`` itself is left unchanged.
    """

    def ghost(strategy: Strategy) -> nn.Module:
        return with_strategy(convert_ghost_batchnorm(copy.deepcopy(base), ghost_batch_size), strategy)

    return {
        "BatchNorm": copy.deepcopy(base),
        "GhostBN": ghost("auto"),
        "GhostBN fused": ghost("fused"),
        "GhostBN loop": ghost("loop"),
        "chunk loop": chunk_loop(copy.deepcopy(base), ghost_batch_size),
    }


def training_step(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> Step:
    """One training step of ``model`` on the batch ``(x, y)``, as a function of no arguments to time.

    The engine's step (:func:`~gapbook.train.step.train_step`) in float32, without clipping: forward,
    cross-entropy, backward and a step of SGD with momentum 0.9 and weight decay 1e-4. That is what a user of
    Ghost BN pays for in training, where the backward pass and the optimizer dilute (or not) the cost of the
    normalization. Every call changes the parameters of ``model``.
    """
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    policy = AmpPolicy("fp32", x.device.type)
    scaler = policy.grad_scaler()

    def step() -> None:
        train_step(model, optimizer, x, y, policy=policy, scaler=scaler)

    return step


def synchronize(device: torch.device) -> None:
    """Wait for the GPU's queued work, so that a timer measures it (CUDA runs asynchronously); no-op elsewhere."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_interleaved(steps: dict[str, Step], rounds: int = 5, device: torch.device | str = "cpu") -> dict[str, float]:
    """Median seconds per call of each of ``steps``, timed in ``rounds`` interleaved rounds.

    Each step is first called once untimed (a warm-up: allocations, kernel choice), then every round calls each
    step once, in order, so each step runs ``rounds + 1`` times. Interleaving spreads the slow drifts of a shared
    machine over all steps, and the median ignores the odd slow call. On CUDA the device is synchronized around
    every call, so the GPU's work is timed, not just its launch.
    """
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    device = torch.device(device)
    for step in steps.values():
        step()
    synchronize(device)
    samples: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            synchronize(device)
            start = time.perf_counter()
            step()
            synchronize(device)
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}
