"""What a chapter shows about one row of Table 1: each column's settings, its runs, and our numbers beside the paper's.

:func:`column_settings` spells out every column of a row at a profile (batch, ghost batch, peak learning rate,
epochs, updates), :func:`settings_markdown` puts them in one table, :func:`row_runs` gathers the stored runs of
each column, :func:`phase_end_distance` reads how far a run's weights travelled in its high-learning-rate phase,
and :func:`row_markdown` prints the row's comparison with the paper. Where a row is too slow to run at full scale
on the hardware at hand, :func:`extrapolated_seconds` turns the measured speed of short runs into the time the
full row would take, an estimate labelled as one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gapbook.data import DATASETS
from gapbook.train import RunResult

from .columns import COLUMN_KEYS
from .configs import experiment_config
from .scales import scale
from .store import ResultStore, experiment_key
from .table import comparison, to_markdown
from .table1 import row

__all__ = [
    "ColumnSetting",
    "PhaseEnd",
    "column_settings",
    "extrapolated_seconds",
    "phase_end_distance",
    "row_markdown",
    "row_runs",
    "samples_per_second",
    "settings_markdown",
]


@dataclass(frozen=True)
class ColumnSetting:
    """One column of a row at a profile, as it trains.

    ``peak_lr`` is the largest learning rate of the column's effective regime (after +LR's scaling);
    ``updates`` counts optimizer steps: ``epochs`` times the full batches in an epoch of ``train_images``.
    """

    column: str
    batch: int
    ghost_batch_size: int | None
    peak_lr: float
    epochs: float
    train_images: int
    updates: int


def column_settings(row_key: str, profile: str) -> list[ColumnSetting]:
    """Every column of row ``row_key`` at ``profile`` (smoke excluded: its synthetic data has no fixed size)."""
    if profile == "smoke":
        raise ValueError("the smoke profile trains on synthetic data of no fixed size; ask for mini or full")
    entry, chosen = row(row_key), scale(row_key, profile)
    images = DATASETS[entry.dataset].train_images if chosen.train_size is None else chosen.train_size
    settings = []
    for key in COLUMN_KEYS:
        config = experiment_config(row_key, key, profile)
        regime = config.effective_regime()
        steps = images // config.batch_size
        settings.append(
            ColumnSetting(
                column=key,
                batch=config.batch_size,
                ghost_batch_size=config.ghost_batch_size,
                peak_lr=max(phase.lr for phase in regime.phases),
                epochs=regime.epochs,
                train_images=images,
                updates=round(regime.epochs * steps),
            )
        )
    return settings


def settings_markdown(row_key: str, profiles: str | Sequence[str] = ("mini", "full")) -> str:
    """Markdown tables of every column of row ``row_key``, one narrow table per profile of ``profiles``."""
    chosen = (profiles,) if isinstance(profiles, str) else tuple(profiles)
    blocks = []
    for profile in chosen:
        settings = column_settings(row_key, profile)
        lines = [
            f"`{profile}` profile, {settings[0].train_images:,} training images:",
            "",
            "| Column | Batch | Ghost batch | Peak LR | Epochs | Updates |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for setting in settings:
            ghost = "—" if setting.ghost_batch_size is None else f"{setting.ghost_batch_size:,}"
            lines.append(
                f"| {setting.column} | {setting.batch:,} | {ghost} | {setting.peak_lr:.4g} | {setting.epochs:g} | "
                f"{setting.updates:,} |"
            )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def row_runs(results_dir: str | os.PathLike[str], row_key: str, profile: str) -> dict[str, list[RunResult]]:
    """The stored runs (every seed) of each column of row ``row_key`` at ``profile``; a column without runs is left
    out."""
    groups = ResultStore(results_dir, profile).by_experiment()  # one read of the store for all five columns
    runs = {key: groups.get(experiment_key(experiment_config(row_key, key, profile)), []) for key in COLUMN_KEYS}
    return {key: sorted(found, key=lambda r: r.seed) for key, found in runs.items() if found}


@dataclass(frozen=True)
class PhaseEnd:
    """The last weight distance measured in a run's high-learning-rate phase, at update ``iteration`` of the
    phase's ``phase_updates``."""

    iteration: int
    distance: float
    phase_updates: int


def phase_end_distance(result: RunResult) -> PhaseEnd:
    """||w_t - w_0|| at the last logged update of ``result``'s first learning rate (logged at 20 points per decade
    and at every epoch's end, so within about 12% of the phase's end)."""
    phase = result.high_lr_distances
    if not len(phase.iterations):
        raise ValueError(f"run {result.config_hash} logged no finite distance in its high-learning-rate phase")
    return PhaseEnd(int(phase.iterations[-1]), float(phase.distances[-1]), result.high_lr_updates)


def row_markdown(
    results_dir: str | os.PathLike[str], row_key: str, profiles: str | Sequence[str] = ("full", "mini")
) -> str:
    """Row ``row_key`` of Table 1 as Markdown: the paper's five numbers beside ours at ``profiles``, with notes."""
    key = row(row_key).key
    chosen = (profiles,) if isinstance(profiles, str) else tuple(profiles)
    return to_markdown([cell for profile in chosen for cell in comparison(results_dir, profile) if cell.row == key])


def samples_per_second(result: RunResult) -> float:
    """The training samples ``result`` processed per second of its wall time (evaluations included)."""
    if result.wall_time <= 0:
        raise ValueError(f"run {result.config_hash} recorded no wall time")
    return result.iterations * result.batch_size / result.wall_time


def extrapolated_seconds(
    row_key: str, runs: Mapping[str, Sequence[RunResult]], profile: str = "full"
) -> dict[str, float]:
    """For each column in ``runs``, the seconds its run at ``profile`` would take at the speed its runs measured.

    Speed is :func:`samples_per_second` averaged over the column's runs; the work is the column's updates times
    its batch at ``profile``. An estimate: it assumes the speed does not change with the batch, the data or the
    length of the run.
    """
    settings = {setting.column: setting for setting in column_settings(row_key, profile)}
    estimate = {}
    for key, results in runs.items():
        if not results:
            raise ValueError(f"column {key} has no run to measure its speed from")
        speed = sum(samples_per_second(result) for result in results) / len(results)
        estimate[key] = settings[key].updates * settings[key].batch / speed
    return estimate
