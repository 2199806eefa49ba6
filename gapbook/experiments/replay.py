"""A deliberately cheap mini run that is committed with the results and re-run from scratch by the tests.

A whole mini run takes minutes; this one, the SB column of ``mnist-f1`` at the mini profile shrunk to a
class-balanced 4,096-image training subset, a 2,000-image test subset and 2 epochs, trains in seconds. Re-running
it and matching its committed JSON shows that the committed results follow from the code. It was made with
``run_config(replay_config(), ResultStore("book/results", "mini"))``.
"""

from __future__ import annotations

from gapbook.train import TrainConfig

from .configs import experiment_config
from .scales import step_regime

__all__ = ["replay_config"]


def replay_config(*, data_root: str | None = None, progress: bool = True) -> TrainConfig:
    """The config of the committed replay run."""
    config = experiment_config("mnist-f1", "SB", "mini", data_root=data_root, progress=progress)
    return config.replace(train_size=4096, test_size=2000, regime=step_regime("f1", 2).to_dict())
