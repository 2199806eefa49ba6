"""The experiments of Table 1 of Hoffer, Hubara & Soudry (2017): rows and columns as data, scales, results.

Each row (:data:`ROWS`) names a network, a data set, its batches and the paper's five accuracies; each column
(:data:`COLUMNS`: SB, LB, +LR, +GBN, +RA) transforms a row's base ``TrainConfig``; each profile (smoke, mini,
full) gives every row a :class:`Scale`. :func:`experiment_config` ties the three together, :func:`reproduce`
runs a row into a :class:`ResultStore` (one JSON per run, keyed by config hash), and :func:`render` prints our
results beside the paper's; :func:`settings_markdown`, :func:`row_markdown` and :func:`phase_end_distance` are what a chapter shows
about one row (its figure is :func:`gapbook.book.plot_row`).
"""

from .columns import COLUMN_KEYS, COLUMNS, Batches, Column, column, parse_columns
from .configs import base_config, experiment_config
from .controls import first_drop_halved, longer_sb_config, longer_sb_factors, stored_longer_sb
from .minima import MinimaStore, MinimumMeasurement, MinimumSettings, measure_minimum
from .profiles import PROFILE_VARIABLE, PROFILES, active_profile
from .scales import Scale, scale, step_regime
from .replay import replay_config
from .report import (
    ColumnSetting,
    PhaseEnd,
    column_settings,
    extrapolated_seconds,
    phase_end_distance,
    row_markdown,
    row_runs,
    samples_per_second,
    settings_markdown,
)
from .runner import ACTIONS, Outcome, PlannedRun, by_column, plan, reproduce, run_config, stored_or_trained
from .store import ResultStore, StoreError, experiment_key
from .summary import Summary, accuracies, compare, summarize
from .synthetic import smoke_data_root, write_synthetic_data
from .table import CIFAR10_NOTE, MISSING, Cell, comparison, render, to_csv, to_markdown
from .table1 import AUTHORS_CODE_DEFECTS, POSTER_CAVEAT, ROW_KEYS, ROWS, Row, row

__all__ = [
    "ACTIONS",
    "AUTHORS_CODE_DEFECTS",
    "CIFAR10_NOTE",
    "COLUMNS",
    "COLUMN_KEYS",
    "MISSING",
    "MinimaStore",
    "MinimumMeasurement",
    "MinimumSettings",
    "POSTER_CAVEAT",
    "PROFILES",
    "PROFILE_VARIABLE",
    "ROWS",
    "ROW_KEYS",
    "Batches",
    "Cell",
    "Column",
    "ColumnSetting",
    "Outcome",
    "PhaseEnd",
    "PlannedRun",
    "ResultStore",
    "Row",
    "Scale",
    "StoreError",
    "Summary",
    "active_profile",
    "accuracies",
    "base_config",
    "by_column",
    "column",
    "column_settings",
    "compare",
    "comparison",
    "experiment_config",
    "experiment_key",
    "extrapolated_seconds",
    "first_drop_halved",
    "longer_sb_config",
    "longer_sb_factors",
    "measure_minimum",
    "parse_columns",
    "phase_end_distance",
    "plan",
    "render",
    "replay_config",
    "reproduce",
    "row",
    "row_markdown",
    "row_runs",
    "run_config",
    "samples_per_second",
    "scale",
    "settings_markdown",
    "smoke_data_root",
    "step_regime",
    "stored_or_trained",
    "stored_longer_sb",
    "summarize",
    "to_csv",
    "to_markdown",
    "write_synthetic_data",
]
