"""The claims of the chapter ghost_bn_in_code: the ghost batch size as a knob on F1 / MNIST at ``mini``.

The sweep is the mnist-f1 row's +LR column (square-root learning-rate scaling at the large batch) with ghost
batches of 32, 128 (the row's +GBN column) and 512 samples, and with one ghost batch as large as the batch (the
+LR column itself, ordinary BatchNorm). Each ghost batch size against BatchNorm is reported, whatever its verdict;
the small batch is expected ahead of every one (the generalization gap, the paper's direction).
"""

from __future__ import annotations

from ..claim import Claim
from ..evidence import Runs
from ..measures import Welch
from .common import ABOVE, REPORT

__all__ = ["CLAIMS", "GHOST_SIZES", "ghost_runs"]

GHOST_SIZES: tuple[int, ...] = (32, 128, 512)
"""The ghost batch sizes of the sweep, below the large batch."""


def ghost_runs(ghost_batch_size: int | None) -> Runs:
    """The row's +LR runs with ghost batches of ``ghost_batch_size`` (``None``: one ghost batch, BatchNorm)."""
    if ghost_batch_size is None:
        return Runs.column("mnist-f1", "+LR", "BatchNorm")
    if ghost_batch_size == 128:
        return Runs.column("mnist-f1", "+GBN", "B_G = 128")
    return Runs.column("mnist-f1", "+LR", f"B_G = {ghost_batch_size}", ghost_batch_size=ghost_batch_size)


def _claims() -> tuple[Claim, ...]:
    small = Runs.column("mnist-f1", "SB")
    knob = tuple(
        Claim(f"ghost_knob_{g}", "ghost_bn_in_code", "mini", f"ghost batches of {g} against BatchNorm, F1 at mini",
              Welch(ghost_runs(g), ghost_runs(None)), REPORT)  # fmt: skip
        for g in GHOST_SIZES
    )
    gap = tuple(
        Claim(f"ghost_gap_{g or 'bn'}", "ghost_bn_in_code", "mini",
              f"the small batch ahead of {f'ghost batches of {g}' if g else 'BatchNorm'}, F1 at mini",
              Welch(small, ghost_runs(g)), ABOVE)  # fmt: skip
        for g in (*GHOST_SIZES, None)
    )
    return knob + gap


CLAIMS: tuple[Claim, ...] = _claims()
