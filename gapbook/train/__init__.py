"""The training engine: one loop for every experiment, on a CPU, a GPU or several GPUs (DDP).

``TrainConfig`` says what to train, ``train`` trains it and returns a ``RunResult`` (also written as JSON with
its provenance); checkpoints let a killed run continue exactly where it stopped.
"""

from .checkpoint import CheckpointMismatchError, CheckpointWriteError
from .config import TrainConfig
from .distributed import DistEnv, default_device, process_group_from_env
from .engine import initial_model, save_weights, train, train_model
from .evaluation import EvalMetrics, evaluate
from .outputs import RunLockedError, UnsavedResultError
from .precision import AmpPolicy, resolve_precision
from .authors_regimes import ASSUMPTIONS, authors_regime
from .results import EpochMetrics, Evaluation, RunResult, result_filename
from .step import train_step

__all__ = [
    "ASSUMPTIONS",
    "AmpPolicy",
    "CheckpointMismatchError",
    "CheckpointWriteError",
    "DistEnv",
    "EpochMetrics",
    "EvalMetrics",
    "Evaluation",
    "RunLockedError",
    "RunResult",
    "TrainConfig",
    "UnsavedResultError",
    "authors_regime",
    "default_device",
    "evaluate",
    "initial_model",
    "process_group_from_env",
    "resolve_precision",
    "result_filename",
    "save_weights",
    "train",
    "train_model",
    "train_step",
]
