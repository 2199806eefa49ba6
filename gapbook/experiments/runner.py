"""Run a row of Table 1: every asked column and seed, re-using stored results and resuming from checkpoints.

A run whose result is stored is skipped (unless forced); a run with a checkpoint continues from it; a finished
run's result is stored and its checkpoint removed. Runs go seed by seed, so that each finished seed completes
a set of columns.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gapbook.train import RunResult, TrainConfig, result_filename, save_weights, train_model
from gapbook.train.config import check_seed

from .columns import COLUMN_KEYS, parse_columns
from .configs import experiment_config
from .store import ResultStore
from .synthetic import smoke_data_root
from .table1 import row

__all__ = [
    "ACTIONS", "Outcome", "PlannedRun", "by_column", "check_seeds", "plan", "reproduce", "run_config",
    "stored_or_trained",
]  # fmt: skip

ACTIONS: tuple[str, ...] = ("reused", "trained", "resumed")
"""What happened to a planned run: its stored result was re-used, it was trained, or it resumed a checkpoint."""


@dataclass(frozen=True)
class PlannedRun:
    """One run of a row: its column, seed and config."""

    row: str
    column: str
    seed: int
    config: TrainConfig

    @property
    def label(self) -> str:
        """``"<row> <column> seed <seed>"``."""
        return f"{self.row} {self.column} seed {self.seed}"


@dataclass(frozen=True)
class Outcome:
    """A planned run with its result and what was done to get it (one of :data:`ACTIONS`)."""

    run: PlannedRun
    result: RunResult
    action: str


def by_column(outcomes: Sequence[Outcome]) -> dict[str, list[RunResult]]:
    """The results of ``outcomes`` grouped by column, in the paper's column order and by seed within a column."""
    grouped = {key: sorted((o.result for o in outcomes if o.run.column == key), key=lambda r: r.seed)
               for key in COLUMN_KEYS}  # fmt: skip
    return {key: results for key, results in grouped.items() if results}


def check_seeds(seeds: Sequence[int]) -> tuple[int, ...]:
    """``seeds`` as a tuple, refused when empty, repeated or not ints in [0, 2**53]."""
    chosen = tuple(seeds)
    if not chosen:
        raise ValueError("no seed given; give at least one, e.g. 0 or 0,1,2")
    for seed in chosen:
        check_seed(seed)
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"seed(s) {sorted({s for s in chosen if chosen.count(s) > 1})} given twice; give each once")
    return chosen


def plan(
    row_key: str,
    profile: str,
    *,
    columns: Sequence[str] = COLUMN_KEYS,
    seeds: Sequence[int] = (0,),
    device: str = "auto",
    data_root: str | None = None,
    progress: bool = True,
    reset_momentum: bool = False,
    precision: str | None = None,
    channels_last: bool | None = None,
) -> list[PlannedRun]:
    """The runs of row ``row_key`` at ``profile``: every column in ``columns`` for every seed, seed by seed.

    ``precision`` and ``channels_last`` go into every config, hence into its identity: the defaults (``None``) take
    the scale's numerics and find the stored runs; ``precision="bf16", channels_last=True`` plans the CPU's fast
    path as runs of their own.
    """
    key = row(row_key).key
    keys = parse_columns(columns)
    return [
        PlannedRun(
            key,
            column,
            seed,
            experiment_config(
                key, column, profile, seed=seed, device=device, data_root=data_root, progress=progress,
                reset_momentum=reset_momentum, precision=precision, channels_last=channels_last,
            ),  # fmt: skip
        )
        for seed in check_seeds(seeds)
        for column in keys
    ]


def run_config(
    config: TrainConfig,
    store: ResultStore,
    *,
    force: bool = False,
    weights_dir: str | os.PathLike[str] | None = None,
) -> tuple[RunResult, str]:
    """The result of ``config``: re-used from ``store``, or trained (resuming its checkpoint) and stored.

    Returns the result and the action taken (one of :data:`ACTIONS`). With ``force`` the stored result and any
    checkpoint are ignored and the run starts afresh. The checkpoint is removed once the result is stored. With
    ``weights_dir`` a trained run's final weights are kept there too (``<result name>.pt``, a ``state_dict``), for
    measurements of the trained network such as its sharpness.
    """
    if not force:
        stored = store.lookup(config)
        if stored is not None:
            return stored, "reused"
    checkpoint = store.checkpoint_path(config)
    resume = not force and checkpoint.exists()
    result, model = train_model(
        config.replace(checkpoint_path=str(checkpoint)), resume=resume, restart=force, profile=store.profile
    )
    store.save(result)
    checkpoint.unlink(missing_ok=True)
    if weights_dir is not None:  # after the result, so that a full disk loses the weights only
        save_weights(model, Path(weights_dir) / Path(result_filename(config)).with_suffix(".pt"))
    return result, "resumed" if resume else "trained"


def stored_or_trained(config: TrainConfig, store: ResultStore, *, train_missing: bool) -> RunResult | None:
    """The result of ``config``: the stored one, else trained (see :func:`run_config`) when ``train_missing``,
    else ``None``, for the caller to report as missing (e.g. a chapter at the paper's scale on a CPU)."""
    if not train_missing:
        return store.lookup(config)
    return run_config(config, store)[0]  # re-uses the stored result when there is one


def _accuracy(result: RunResult) -> str:
    if result.final_test_acc is None:
        return f"diverged at iteration {(result.diverged_at or {}).get('iteration')}"
    return f"final test accuracy {100 * result.final_test_acc:.2f}%"


def reproduce(
    row_key: str,
    profile: str,
    *,
    columns: Sequence[str] = COLUMN_KEYS,
    seeds: Sequence[int] = (0,),
    device: str = "auto",
    force: bool = False,
    results_dir: str | os.PathLike[str] = Path("book") / "results",
    data_root: str | None = None,
    progress: bool = True,
    reset_momentum: bool = False,
    precision: str | None = None,
    channels_last: bool | None = None,
    train_missing: bool = True,
    weights_dir: str | os.PathLike[str] | None = None,
    echo: Callable[[str], None] = lambda line: print(line, flush=True),
) -> list[Outcome]:
    """Run row ``row_key`` at ``profile`` for ``columns`` x ``seeds``, reporting each run through ``echo``.

    Results go to ``<results_dir>/<profile>/``. ``data_root`` ``None`` means ``$GAPBOOK_DATA`` or the user cache,
    except at the smoke profile, whose synthetic data is written to a temporary folder. ``reset_momentum`` runs
    the authors' variant of the engine, which zeroes the momentum buffers every epoch; ``precision`` and
    ``channels_last`` choose the numerics (see :func:`plan`). With ``train_missing``
    false a run without a stored result is reported as missing and left out of the outcomes instead of trained
    (e.g. a chapter at the paper's scale on a CPU, where one run takes hours). With ``weights_dir`` the final
    weights of every run trained are kept there (see :func:`run_config`).
    """
    if data_root is None and profile == "smoke":
        data_root = str(smoke_data_root())
    store = ResultStore(results_dir, profile)
    runs = plan(
        row_key, profile, columns=columns, seeds=seeds, device=device, data_root=data_root, progress=progress,
        reset_momentum=reset_momentum, precision=precision, channels_last=channels_last,
    )  # fmt: skip
    echo(f"{runs[0].row} at the {profile} profile: {len(runs)} run(s), results in {store.folder}")
    outcomes = []
    for index, planned in enumerate(runs, start=1):
        config = planned.config
        head = f"[{index}/{len(runs)}] {planned.label}"
        stored = None if force else store.lookup(config)
        if stored is None and not train_missing:
            echo(f"{head}: missing (no stored result, and training it here was not asked for)")
            continue
        if stored is None:
            verb = "resuming" if not force and store.checkpoint_path(config).exists() else "training"
            epochs = config.effective_regime().epochs
            echo(f"{head}: {verb} {config.model} at batch {config.batch_size} for {epochs:g} epoch(s)")
            result, action = run_config(config, store, force=force, weights_dir=weights_dir)
        else:
            result, action = stored, "reused"
        when = "when it ran" if action == "reused" else "of training"
        echo(f"{head}: {action}, {result.status}, {_accuracy(result)} ({result.wall_time:.0f} s {when})")
        outcomes.append(Outcome(planned, result, action))
    return outcomes
