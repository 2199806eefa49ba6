"""Training checkpoints: written atomically, read back only for the config they were made with.

A checkpoint holds everything the next epoch depends on (model, optimizer, scheduler, gradient scaler, the weight
distance tracker, metrics so far, every process's random number generator states, position), so that a run
killed at any moment and resumed ends with the same weights as a run never interrupted. It is read with
``torch.load(weights_only=True)``: plain data and tensors only, no pickled code. A write that fails (a full disk)
raises :class:`CheckpointWriteError` and leaves the file that was there before as it was.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from gapbook.support.atomic import atomic_write
from .config import TrainConfig

__all__ = [
    "CHECKPOINT_FORMAT",
    "CheckpointMismatchError",
    "CheckpointWriteError",
    "load_checkpoint",
    "rng_state",
    "save_checkpoint",
    "set_rng_state",
    "write_torch_file",
]

CHECKPOINT_FORMAT = 1


class CheckpointMismatchError(ValueError):
    """A checkpoint is unreadable, or belongs to another config (or layout of the run) than the one resumed."""


class CheckpointWriteError(OSError):
    """A checkpoint (or a file of weights) could not be written, most often because its disk is full; the file that
    was at its path before, if any, is left as it was."""


def write_torch_file(path: str | os.PathLike[str], data: object, what: str) -> Path:
    """``torch.save(data)`` to ``path`` atomically; returns the path. ``what`` names the file in errors.

    torch reports a full disk as a ``RuntimeError`` ("unexpected pos"), not as an ``OSError``, so every error of the
    write raises :class:`CheckpointWriteError`, which names the file.
    """
    try:
        return atomic_write(path, lambda f: torch.save(data, f))
    except Exception as err:
        reason = (str(err).strip().splitlines() or [""])[0]
        raise CheckpointWriteError(
            f"the {what} could not be written to {path} ({type(err).__name__}: {reason}); is its disk full?"
        ) from err


def save_checkpoint(path: str | os.PathLike[str], state: dict[str, Any]) -> Path:
    """Write ``state`` (which must hold ``"config"`` and ``"config_hash"``) to ``path`` atomically."""
    return write_torch_file(path, {"format": CHECKPOINT_FORMAT, **state}, "checkpoint")


def load_checkpoint(path: str | os.PathLike[str], config: TrainConfig) -> dict[str, Any]:
    """Read the checkpoint at ``path`` (tensors on the CPU), refusing one made with a config of another hash."""
    if Path(path).is_dir():
        raise CheckpointMismatchError(f"checkpoint path {path} is a folder; give the path of a checkpoint file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # any damage: truncated, not a torch file, foreign pickles
        raise CheckpointMismatchError(
            f"{path} cannot be read as a gapbook training checkpoint (it is damaged, truncated or not a checkpoint: "
            f"{type(err).__name__}); delete it to start the run afresh, or choose another checkpoint path"
        ) from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT or "config_hash" not in state:
        raise CheckpointMismatchError(
            f"{path} is not a gapbook training checkpoint (format {CHECKPOINT_FORMAT}); delete it or choose another "
            "checkpoint path"
        )
    expected = config.config_hash()
    if state["config_hash"] != expected:
        saved, wanted = TrainConfig.from_dict(state["config"]).hashed_fields(), config.hashed_fields()
        differing = sorted(key for key in set(saved) | set(wanted) if saved.get(key) != wanted.get(key))
        raise CheckpointMismatchError(
            f"checkpoint {path} was made by a run with config hash {state['config_hash'][:12]}, not "
            f"{expected[:12]} (differing fields: {', '.join(differing)}); resume with the config it was made with "
            "(gapbook train --config on the run's result), or delete the checkpoint or choose another path to "
            "start this config afresh"
        )
    return state


def rng_state(device: torch.device) -> dict[str, torch.Tensor | None]:
    """The random number generator states that training draws from: the CPU's and the run's GPU's."""
    cuda = torch.cuda.get_rng_state(device) if device.type == "cuda" else None
    return {"cpu": torch.get_rng_state(), "cuda": cuda}


def set_rng_state(state: dict[str, torch.Tensor | None], device: torch.device) -> None:
    """Restore states taken by :func:`rng_state`."""
    torch.set_rng_state(state["cpu"])
    if device.type == "cuda" and state["cuda"] is not None:
        torch.cuda.set_rng_state(state["cuda"], device)
