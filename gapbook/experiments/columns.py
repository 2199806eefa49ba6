"""The five columns of Table 1 (SB, LB, +LR, +GBN, +RA), each a transformation of a row's base ``TrainConfig``.

The columns are cumulative, as in the paper: LB is the small-batch run at the large batch; +LR scales every
learning rate of the regime by sqrt(LB / SB); +GBN adds Ghost Batch Normalization over ghost batches of the
row's ghost batch size; +RA adds regime adaptation, multiplying the epochs and every phase boundary by
ceil(LB / SB) so that the large batch makes as many updates as the small one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gapbook.train import TrainConfig

__all__ = ["COLUMNS", "COLUMN_KEYS", "Batches", "Column", "column", "parse_columns"]

COLUMN_KEYS: tuple[str, ...] = ("SB", "LB", "+LR", "+GBN", "+RA")


@dataclass(frozen=True)
class Batches:
    """The batch sizes of a row at some scale: small (SB), large (LB) and the ghost batch of +GBN."""

    small: int
    large: int
    ghost_batch_size: int

    def __post_init__(self) -> None:
        for name in ("small", "large", "ghost_batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int (a batch size), got {value!r}")
        if self.large <= self.small:
            raise ValueError(f"the large batch ({self.large}) must exceed the small batch ({self.small})")
        if self.large % self.ghost_batch_size:
            raise ValueError(
                f"the ghost batch size ({self.ghost_batch_size}) must divide the large batch ({self.large}), so "
                "that every ghost batch is full"
            )

    @property
    def adaptation(self) -> int:
        """The regime-adaptation factor of +RA, ceil(LB / SB), as in the authors' code."""
        return math.ceil(self.large / self.small)



def _small(config: TrainConfig, batches: Batches) -> TrainConfig:
    return config.replace(batch_size=batches.small, base_batch_size=None, ghost_batch_size=None)


def _large(config: TrainConfig, batches: Batches) -> TrainConfig:
    return _small(config, batches).replace(batch_size=batches.large)


def _scaled_lr(config: TrainConfig, batches: Batches) -> TrainConfig:
    return _large(config, batches).replace(base_batch_size=batches.small, lr_rule="sqrt")


def _ghost(config: TrainConfig, batches: Batches) -> TrainConfig:
    return _scaled_lr(config, batches).replace(ghost_batch_size=batches.ghost_batch_size)


def _adapted(config: TrainConfig, batches: Batches) -> TrainConfig:
    factor = batches.adaptation
    return _ghost(config, batches).replace(
        regime_adaptation=factor,
        eval_every=config.eval_every * factor,
        checkpoint_every=config.checkpoint_every * factor,
    )


@dataclass(frozen=True)
class Column:
    """One column of Table 1: its key, what it changes, and the transformation that makes its config."""

    key: str
    summary: str
    transform: Callable[[TrainConfig, Batches], TrainConfig]

    def apply(self, config: TrainConfig, batches: Batches) -> TrainConfig:
        """This column's config, made from a row's base config (its regime tuned for ``batches.small``).

        The base config must not be adapted already (``regime_adaptation`` 1), since +RA multiplies its
        evaluation cadence along with its epochs.
        """
        if config.regime_adaptation != 1:
            raise ValueError(
                f"column {self.key} transforms a row's base config, but this config is already adapted "
                f"(regime_adaptation {config.regime_adaptation}); apply the column to the base config instead"
            )
        return self.transform(config, batches)


COLUMNS: dict[str, Column] = {
    "SB": Column("SB", "the small batch, with the regime as tuned for it", _small),
    "LB": Column("LB", "the large batch, with the small batch's learning rates and epochs", _large),
    "+LR": Column("+LR", "LB with every learning rate multiplied by sqrt(LB / SB)", _scaled_lr),
    "+GBN": Column("+GBN", "+LR with Ghost Batch Normalization over ghost batches of the ghost batch size", _ghost),
    "+RA": Column(
        "+RA",
        "+GBN with regime adaptation: epochs, phase boundaries, evaluation and checkpoint cadences multiplied by "
        "ceil(LB / SB)",
        _adapted,
    ),
}
"""The columns in the paper's order, keyed by their heading."""


def column(key: str) -> Column:
    """The column called ``key``: SB, LB, +LR, +GBN or +RA (case-insensitive; the ``+`` may be left out)."""
    wanted = key.strip().upper().lstrip("+")
    for name, found in COLUMNS.items():
        if name.lstrip("+") == wanted:
            return found
    raise ValueError(f"unknown column {key!r}; the columns are {', '.join(COLUMN_KEYS)}")


def parse_columns(text: str | Sequence[str]) -> tuple[str, ...]:
    """Column keys from ``"SB,+LR"`` or a sequence of names, checked, without repeats, in the paper's order."""
    names = text.split(",") if isinstance(text, str) else list(text)
    keys = {column(name).key for name in names if name.strip()}
    if not keys:
        raise ValueError(f"no column given; choose some of {', '.join(COLUMN_KEYS)}")
    return tuple(key for key in COLUMN_KEYS if key in keys)
