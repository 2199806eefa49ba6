"""gapbook: the mechanisms of "Train longer, generalize better" (Hoffer, Hubara & Soudry, 2017) for PyTorch.

Ghost Batch Normalization, learning-rate scaling rules, training regimes with regime adaptation, and
weight-distance tracking, importable from the top level; the paper's models and data sets live in
``gapbook.models`` and ``gapbook.data``.
"""

from importlib.metadata import PackageNotFoundError, version

from gapbook import models
from gapbook.distance import WeightDistance
from gapbook.fits import Fit, compare_fits, fit_log, fit_log_power, fit_power, fit_sqrt
from gapbook.ghost_bn import (
    ChunkLoopGhostBatchNorm,
    GhostBatchNorm1d,
    GhostBatchNorm2d,
    GhostBatchNorm3d,
    convert_ghost_batchnorm,
    ghost_batch_norm,
)
from gapbook.lr_scaling import LR_RULES, scale_lr
from gapbook.regime import Phase, Regime, RegimeScheduler

try:
    __version__ = version("gapbook")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

__all__ = [
    "ChunkLoopGhostBatchNorm",
    "Fit",
    "GhostBatchNorm1d",
    "GhostBatchNorm2d",
    "GhostBatchNorm3d",
    "LR_RULES",
    "Phase",
    "Regime",
    "RegimeScheduler",
    "WeightDistance",
    "__version__",
    "compare_fits",
    "convert_ghost_batchnorm",
    "fit_log",
    "fit_log_power",
    "fit_power",
    "fit_sqrt",
    "ghost_batch_norm",
    "models",
    "scale_lr",
]
