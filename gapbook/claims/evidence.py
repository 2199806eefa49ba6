"""Where a claim's numbers come from: the stored runs of an experiment, every seed of it, in one or more stores.

A claim never names seeds. It names experiments (:class:`Runs`: a config to look up, any seed) and reads every
stored run of each, so a new seed added to the store, or a folder of extra runs (``gapbook claims --add-seeds``),
enters every verdict it bears on. :class:`Stores` reads each folder once.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gapbook.experiments.configs import experiment_config
from gapbook.experiments.controls import longer_sb_config
from gapbook.experiments.report import phase_end_distance
from gapbook.experiments.store import ResultStore, experiment_key
from gapbook.train import RunResult, TrainConfig

__all__ = ["Metric", "Runs", "Stores", "final_accuracy", "phase_end"]

Metric = Callable[[RunResult], "float | None"]
"""What a claim measures of one run; ``None`` leaves the run out (e.g. a run whose loss diverged)."""


def final_accuracy(result: RunResult) -> float | None:
    """The final test accuracy in percent, or ``None`` for a run that did not complete."""
    if result.status != "completed" or result.final_test_acc is None:
        return None
    return 100 * result.final_test_acc


def phase_end(result: RunResult) -> float | None:
    """||w_t − w_0|| at the end of the run's high-learning-rate phase (:func:`phase_end_distance`)."""
    return phase_end_distance(result).distance


@dataclass(frozen=True)
class Runs:
    """One experiment: every stored run of ``build(profile)``'s config, whatever its seed, in ``precision``
    (``None``: in whichever precision each seed was computed, for an experiment whose seeds were run apart, e.g.
    one in float32 and more on the faster bfloat16 path; the chapter then says which seed is which).

    ``label`` names it in tables ("SB", "+LR (base 256)", "SB×16"). Use :meth:`column` and :meth:`longer_sb`.
    """

    label: str
    build: Callable[[str], TrainConfig] = field(compare=False)
    precision: str | None = "fp32"

    @classmethod
    def column(cls, row: str, column: str, label: str | None = None, **changes: object) -> Runs:
        """Column ``column`` of Table 1 row ``row``, with ``changes`` to its config (e.g. ``base_batch_size=256``)."""

        def build(profile: str) -> TrainConfig:
            return experiment_config(row, column, profile, progress=False).replace(**changes)

        return cls(label or column, build)

    @classmethod
    def longer_sb(cls, row: str, factor: int) -> Runs:
        """Row ``row``'s SB trained ``factor`` times longer (:func:`gapbook.experiments.longer_sb_config`)."""
        return cls(f"SB×{factor}", lambda profile: longer_sb_config(row, profile, factor, progress=False))


class Stores:
    """Results folders read together: the runs of an experiment are the union over the folders, one per seed
    (the first folder that holds a seed gives it). Each folder and profile is read once."""

    def __init__(self, folders: Sequence[str | os.PathLike[str]]) -> None:
        if not folders:
            raise ValueError("give at least one results folder")
        self.folders = tuple(Path(folder) for folder in folders)
        self._groups: dict[tuple[Path, str], dict[str, list[RunResult]]] = {}

    def __repr__(self) -> str:
        return f"Stores({[str(folder) for folder in self.folders]})"

    def with_folder(self, folder: str | os.PathLike[str]) -> Stores:
        """These stores and ``folder`` after them (its runs add seeds; a seed already stored is kept as it is)."""
        return Stores([*self.folders, folder])

    def runs(self, runs: Runs, profile: str) -> list[RunResult]:
        """The stored runs of experiment ``runs`` at ``profile``, one per seed, sorted by seed."""
        key = experiment_key(runs.build(profile))
        by_seed: dict[int, RunResult] = {}
        for folder in self.folders:
            for result in self._by_experiment(folder, profile).get(key, []):
                if runs.precision is None or result.precision == runs.precision:
                    by_seed.setdefault(result.seed, result)
        return [by_seed[seed] for seed in sorted(by_seed)]

    def values(self, runs: Runs, profile: str, metric: Metric) -> dict[int, float]:
        """``metric`` of every stored run of ``runs`` at ``profile`` that gives one, by seed."""
        found = ((result.seed, metric(result)) for result in self.runs(runs, profile))
        return {seed: value for seed, value in found if value is not None}

    def _by_experiment(self, folder: Path, profile: str) -> dict[str, list[RunResult]]:
        if (folder, profile) not in self._groups:
            self._groups[folder, profile] = ResultStore(folder, profile).by_experiment()
        return self._groups[folder, profile]
