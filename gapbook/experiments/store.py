"""The results store: one ``RunResult`` JSON per run under ``<results dir>/<profile>/``, found again by config hash.

A file is named by :func:`gapbook.train.result_filename` (model, data set, batch, first 12 hex digits of the
config hash). Every file read is checked: every field against the result schema (its config and regime by their own
checks), its config must hash to the hash it records, its name must be the one its config gives, and a lookup must
find exactly the config asked for. A file that fails a check raises
:class:`StoreError` naming the file and the fix, so a result of another config is never picked up.

Checkpoints of unfinished runs live beside the results, in ``<results dir>/<profile>/checkpoints/``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import defaultdict
from pathlib import Path

from .profiles import PROFILES
from gapbook.train import RunResult, TrainConfig, result_filename
from gapbook.train.outputs import save_result

__all__ = ["StoreError", "ResultStore", "experiment_key"]

_PER_RUN = ("seed", "device", "precision")
"""Hashed fields that tell runs of one experiment apart: several seeds, or one seed on several kinds of device or
in several precisions."""


class StoreError(ValueError):
    """A stored result file is unreadable, inconsistent, or not the result of the config it is stored for."""


def experiment_key(config: TrainConfig) -> str:
    """A hash of what ``config`` computes apart from its seed and device: equal keys, runs of one experiment."""
    fields = {key: value for key, value in config.hashed_fields().items() if key not in _PER_RUN}
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ResultStore:
    """The results of one profile under ``results_dir``: look up, save, and list them by experiment."""

    def __init__(self, results_dir: str | os.PathLike[str], profile: str) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}; the profiles are {', '.join(PROFILES)}")
        self.profile = profile
        self.folder = Path(results_dir) / profile

    def path(self, config: TrainConfig) -> Path:
        """Where the result of ``config`` is stored."""
        return self.folder / result_filename(config)

    def checkpoint_path(self, config: TrainConfig) -> Path:
        """Where an unfinished run of ``config`` keeps its checkpoint."""
        return self.folder / "checkpoints" / Path(result_filename(config)).with_suffix(".pt").name

    def lookup(self, config: TrainConfig) -> RunResult | None:
        """The stored result of exactly ``config``, or ``None`` when there is none."""
        path = self.path(config)
        if not path.exists():
            return None
        result = _load_checked(path)
        if result.config_hash != config.config_hash():
            raise StoreError(
                f"{path} holds the result of a config with hash {result.config_hash[:12]}, not of the config looked "
                f"up ({config.config_hash()[:12]}), under that config's name; delete the file, or recompute it "
                "(force=True, --force)"
            )
        return result

    def save(self, result: RunResult) -> Path:
        """Write ``result`` (atomically) where its config's result belongs; returns the path. When that fails (a
        full disk), the result is written to a fallback file and :class:`UnsavedResultError` says where."""
        return save_result(result, self.path(result.train_config))

    def results(self) -> list[RunResult]:
        """Every stored result, each checked, in file-name order."""
        if not self.folder.is_dir():
            return []
        return [_load_checked(path) for path in sorted(self.folder.glob("*.json"))]

    def by_experiment(self) -> dict[str, list[RunResult]]:
        """Every stored result, grouped by :func:`experiment_key`: the runs of one experiment, one per seed.

        A seed computed on several kinds of device or in several precisions counts once: the run computed as
        this machine computes it (the one a lookup finds) is kept, else the first one made.
        """
        groups: dict[str, dict[int, list[RunResult]]] = defaultdict(lambda: defaultdict(list))
        for result in self.results():
            config = result.train_config
            groups[experiment_key(config)][config.seed].append(result)
        return {key: [_one_of(runs) for _, runs in sorted(seeds.items())] for key, seeds in groups.items()}

    def runs_of(self, config: TrainConfig) -> list[RunResult]:
        """The stored runs of ``config``'s experiment, whatever their seed and device (e.g. to plot every seed)."""
        return self.by_experiment().get(experiment_key(config), [])


def _one_of(runs: list[RunResult]) -> RunResult:
    """The run of one seed to count, among runs of it on several kinds of device or precisions."""
    for run in runs:
        local = run.train_config.replace(device="auto", precision="auto")
        if run.config_hash == _hash_or_none(local):
            return run
    return min(runs, key=lambda run: run.created_at)


def _hash_or_none(config: TrainConfig) -> str | None:
    try:
        return config.config_hash()
    except ValueError:
        return None


def _load_checked(path: Path) -> RunResult:
    """Read the result at ``path`` and check that its config, its hash and its file name agree."""
    try:
        result = RunResult.load(path)
        config, _ = result.train_config, result.regime  # each checks its own fields
    except (OSError, ValueError, TypeError, KeyError) as err:
        raise StoreError(f"{path} is not a readable result ({err}); delete it or recompute it (--force)") from None
    if config.config_hash() != result.config_hash:
        raise StoreError(
            f"{path} records hash {result.config_hash[:12]}, but its config hashes to {config.config_hash()[:12]}: "
            "it was edited or written by another version of the engine; delete it or recompute it (--force)"
        )
    if path.name != result_filename(config):
        raise StoreError(
            f"{path} holds the result of {result_filename(config)}; a result must keep the name its config gives, "
            "so rename or delete the file"
        )
    return result
