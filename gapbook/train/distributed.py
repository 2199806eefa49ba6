"""Data-parallel helpers over ``torch.distributed``: process group from torchrun's environment, device per rank,
and the few collectives the training loop needs.

Under ``torchrun --nproc_per_node=N -m gapbook train ...`` every process reads RANK, WORLD_SIZE, LOCAL_RANK,
MASTER_ADDR and MASTER_PORT from its environment; the group uses NCCL on GPUs and Gloo on the CPU. A single process
(no torchrun, or WORLD_SIZE=1) creates no group, and every helper here is then a no-op.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

__all__ = [
    "DistEnv",
    "default_device",
    "all_gather_objects",
    "all_reduce_",
    "current",
    "local_device",
    "process_group_from_env",
    "sync_buffers",
]


@dataclass(frozen=True)
class DistEnv:
    """Where this process stands: its rank, the number of processes, its rank on this machine."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Whether this process writes results and checkpoints (rank 0)."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        """Whether there are several processes."""
        return self.world_size > 1


def current() -> DistEnv:
    """The environment of this process: from the initialized default group, else a single process."""
    if not (dist.is_available() and dist.is_initialized()):
        return DistEnv()
    rank, world_size = dist.get_rank(), dist.get_world_size()
    return DistEnv(rank, world_size, int(os.environ.get("LOCAL_RANK", rank)))


def default_device() -> torch.device:
    """The device a run uses when it says ``auto``: the first GPU when there is one, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def local_device(requested: str, env: DistEnv) -> torch.device:
    """The device of this process: ``"auto"`` is cuda when available, else cpu; under DDP, GPU number LOCAL_RANK."""
    kind = requested
    if requested == "auto":
        kind = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(kind)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {requested!r} needs CUDA, which this machine lacks; use device auto or cpu")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise ValueError(
            f"device {requested!r} asks for GPU number {device.index}, but this machine has "
            f"{torch.cuda.device_count()}; use cuda:0 to cuda:{torch.cuda.device_count() - 1}, or auto"
        )
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(
            f"device {requested!r} needs Apple's MPS backend, which this PyTorch build or machine lacks; use device "
            "auto or cpu"
        )
    if device.type == "cuda" and env.distributed:
        if device.index is not None:
            raise ValueError(
                f"under DDP each process uses GPU number LOCAL_RANK, so device {requested!r} cannot be honoured; "
                "use device auto or cuda (and CUDA_VISIBLE_DEVICES to pick the GPUs)"
            )
        device = torch.device("cuda", env.local_rank)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", torch.cuda.current_device())
    return device


@contextmanager
def process_group_from_env(device: str = "auto") -> Iterator[DistEnv]:
    """Join the process group that torchrun describes in the environment, and leave it on exit.

    ``device`` (a ``TrainConfig.device``) picks the backend: NCCL when the run uses GPUs, else Gloo. Without
    torchrun's variables, or with WORLD_SIZE=1, no group is created and a single-process environment is yielded.
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1 or (dist.is_available() and dist.is_initialized()):
        yield current()
        return
    if not dist.is_available():
        raise RuntimeError("this PyTorch build has no torch.distributed; run a single process instead")
    missing = [name for name in ("RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT") if name not in os.environ]
    if missing:
        raise RuntimeError(
            f"WORLD_SIZE={world_size} but {', '.join(missing)} not set; start the processes with "
            "torchrun --nproc_per_node=N -m gapbook train ..."
        )
    env = DistEnv(int(os.environ["RANK"]), world_size, int(os.environ["LOCAL_RANK"]))
    gpu = local_device(device, env) if device != "cpu" else torch.device("cpu")
    if gpu.type == "cuda":
        torch.cuda.set_device(gpu)
        dist.init_process_group("nccl", device_id=gpu)
    else:
        dist.init_process_group("gloo")
    try:
        yield current()
    finally:
        dist.destroy_process_group()


def all_reduce_(tensor: torch.Tensor, op: str = "sum") -> torch.Tensor:
    """Reduce ``tensor`` in place across processes (``"sum"``, ``"min"`` or ``"max"``); returns it."""
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        dist.all_reduce(tensor, op={"sum": dist.ReduceOp.SUM, "min": dist.ReduceOp.MIN, "max": dist.ReduceOp.MAX}[op])
    return tensor


def all_gather_objects(obj: Any) -> list[Any]:
    """Every process's ``obj``, in rank order (a one-element list for a single process)."""
    if not (dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
        return [obj]
    gathered: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(gathered, obj)
    return gathered


def sync_buffers(module: nn.Module) -> None:
    """Copy rank 0's buffers (e.g. BN running statistics) to every process, so that all evaluate one model.

    Ghost BN normalizes within each process, so each process's running statistics come from its own ghost batches.
    """
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        for buffer in module.buffers():
            dist.broadcast(buffer, src=0)
