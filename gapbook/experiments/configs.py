"""The ``TrainConfig`` of one cell of Table 1: a row, at a profile, in a column, for a seed."""

from __future__ import annotations

from gapbook.train import TrainConfig

from .columns import column
from .scales import Scale, scale
from .table1 import row

__all__ = ["base_config", "experiment_config"]


def base_config(
    row_key: str,
    row_scale: Scale,
    *,
    seed: int = 0,
    device: str = "auto",
    data_root: str | None = None,
    progress: bool = True,
    reset_momentum: bool = False,
    precision: str | None = None,
    channels_last: bool | None = None,
) -> TrainConfig:
    """The row's config at the small batch of ``row_scale``, before any column is applied; ``precision`` and
    ``channels_last`` ``None`` take the scale's numerics."""
    entry = row(row_key)
    return TrainConfig(
        model=entry.model,
        dataset=entry.dataset,
        train_size=row_scale.train_size,
        test_size=row_scale.test_size,
        batch_size=row_scale.batches.small,
        regime=row_scale.regime.to_dict(),
        augment=row_scale.augment,
        seed=seed,
        device=device,
        precision=row_scale.precision if precision is None else precision,
        channels_last=row_scale.channels_last if channels_last is None else channels_last,
        reset_momentum=reset_momentum,
        eval_every=row_scale.eval_every,
        checkpoint_every=row_scale.eval_every,
        workers=row_scale.workers,
        progress=progress,
        data_root=data_root,
    )


def experiment_config(
    row_key: str,
    column_key: str,
    profile: str,
    *,
    seed: int = 0,
    device: str = "auto",
    data_root: str | None = None,
    progress: bool = True,
    reset_momentum: bool = False,
    precision: str | None = None,
    channels_last: bool | None = None,
) -> TrainConfig:
    """The config of row ``row_key`` in column ``column_key`` at ``profile``, with the run options given.

    ``data_root`` ``None`` leaves the data root to ``$GAPBOOK_DATA`` or the user cache when training;
    ``reset_momentum`` zeroes the momentum buffers every epoch, as the authors' code did. ``precision`` and
    ``channels_last`` are part of a run's identity: ``None`` takes the scale's (:class:`Scale`), the numerics of the
    stored results: float32 (``auto`` on a CPU) in the contiguous layout, except ResNet44 at ``mini``, which runs on
    the CPU's fast path.
    """
    chosen = scale(row_key, profile)
    base = base_config(
        row_key, chosen, seed=seed, device=device, data_root=data_root, progress=progress,
        reset_momentum=reset_momentum, precision=precision, channels_last=channels_last,
    )  # fmt: skip
    return column(column_key).apply(base, chosen.batches)
