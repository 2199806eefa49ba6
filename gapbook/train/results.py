"""``RunResult``: what one training run measured, with its provenance, stored as one JSON file per run.

The file is named after the config (``<model>-<dataset>-b<batch>-<hash12>.json``), so a result can be found again
from its config, and written atomically. Numbers that were not finite (a diverged loss) are stored as ``null``, so
the file is strict JSON. Every file written or read is checked against one schema, :data:`RESULT_SCHEMA`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gapbook.distance import DistanceLog
from gapbook.regime import Regime
from gapbook.support.atomic import atomic_write_text
from .config import TrainConfig
from .result_schema import RESULT_SCHEMA, check_result_data

__all__ = ["RESULT_SCHEMA", "EpochMetrics", "Evaluation", "RunResult", "finite_or_none", "result_filename"]


def finite_or_none(value: float | None) -> float | None:
    """``value`` as a float, or ``None`` when it is missing, NaN or infinite."""
    return None if value is None or not math.isfinite(value) else float(value)


@dataclass(frozen=True)
class EpochMetrics:
    """Measurements at the end of one epoch (``epoch`` counts from 1).

    ``iteration`` is the number of optimizer steps so far, ``lr`` the learning rate of the epoch's first step,
    ``distance`` ||w_t - w_0|| at the epoch's end, ``wall_time`` the seconds since the run started. Train loss and
    accuracy average over the epoch's batches in training mode; test values are ``None`` in epochs without
    evaluation, and ``test_top5`` is ``None`` for data sets of at most 10 classes.
    """

    epoch: int
    iteration: int
    lr: float
    train_loss: float | None
    train_acc: float
    test_loss: float | None
    test_acc: float | None
    test_top5: float | None
    distance: float | None
    wall_time: float


@dataclass(frozen=True)
class Evaluation:
    """One log-spaced evaluation (``TrainConfig.eval_points_per_decade``) after ``iteration`` updates, in eval mode.

    ``test_*`` are over the run's test set; ``train_*`` over a fixed sample of the training split (its first
    :data:`gapbook.train.engine.LOGGED_TRAIN_SAMPLES` images, in order, without augmentation), so that the training
    loss is measured the same way at every batch size, free of the noise of the running average.
    ``wall_time`` is the seconds since the run started.
    """

    iteration: int
    test_loss: float | None
    test_acc: float
    train_loss: float | None
    train_acc: float
    wall_time: float

    def meets(self, targets: dict[str, float]) -> bool:
        """Whether this evaluation reaches every target: ``test_acc`` at least, ``train_loss`` at most."""
        checks = {
            "test_acc": lambda target: self.test_acc >= target,
            "train_loss": lambda target: self.train_loss is not None and self.train_loss <= target,
        }
        unknown = sorted(set(targets) - set(checks))
        if unknown:
            raise ValueError(f"unknown target(s) {unknown}; the targets are {sorted(checks)}")
        return all(checks[name](target) for name, target in targets.items())


@dataclass(frozen=True)
class RunResult:
    """One run: its config and hash, metrics per epoch, the weight-distance log, outcome and provenance.

    ``status`` is ``"completed"`` or ``"diverged"``; a diverged run has ``diverged_at`` = ``{"epoch": e,
    "iteration": t, "reason": ...}``, the first iteration whose training loss was not finite or exploded, and no
    final accuracy. Every field's type and range (an accuracy in [0, 1], a number of seconds) is checked against
    :data:`RESULT_SCHEMA` when a result is written or read; a result that contradicts itself (a completed run
    without a final accuracy, a diverged one with one) is refused when it is made.
    ``distance`` holds ``points_per_decade``, ``iterations`` and ``distances`` (see ``WeightDistance.to_dict``).
    ``resumed_at_epochs`` lists the epochs after which the run was continued from its checkpoint.
    ``final_train_acc`` is the accuracy of the final weights on the whole training split in evaluation mode (how
    well the run fits its training data; ``None`` for image folders, diverged runs and results made before it was
    measured), unlike the epochs' ``train_acc``, a running average over the epoch in training mode.
    ``evaluations`` are the log-spaced evaluations (empty unless the config asks for them); ``target_reached`` is
    the iteration at which the run met its ``stop_at_*`` targets and ended early (``None`` when it did not).
    """

    config: dict[str, Any]
    config_hash: str
    status: str
    epochs: list[EpochMetrics]
    distance: dict[str, Any]
    final_test_acc: float | None
    best_test_acc: float | None
    final_test_top5: float | None
    diverged_at: dict[str, Any] | None
    iterations: int
    steps_per_epoch: int
    train_samples: int
    test_samples: int
    effective_regime: dict[str, Any]
    wall_time: float
    device: str
    world_size: int
    precision: str
    versions: dict[str, str]
    git_commit: str | None
    profile: str | None
    checkpoint_path: str | None
    created_at: str
    resumed_at_epochs: list[int] = field(default_factory=list)
    final_train_acc: float | None = None
    evaluations: list[Evaluation] = field(default_factory=list)
    target_reached: int | None = None

    def __post_init__(self) -> None:
        if self.status == "completed" and (self.final_test_acc is None or self.diverged_at is not None):
            raise ValueError("a completed run has a final test accuracy and no divergence; this result contradicts it")
        if self.status == "diverged" and (self.final_test_acc is not None or not self.diverged_at):
            raise ValueError("a diverged run records where it diverged and no final accuracy; this one contradicts it")
        if self.target_reached is not None and self.target_reached not in {p.iteration for p in self.evaluations}:
            raise ValueError(
                f"target_reached ({self.target_reached}) must be the iteration of one of the run's evaluations; "
                "this result contradicts it"
            )

    @property
    def train_config(self) -> TrainConfig:
        """The run's config as a :class:`TrainConfig`."""
        return TrainConfig.from_dict(self.config)

    @property
    def seed(self) -> int:
        """The run's seed."""
        return int(self.config["seed"])

    @property
    def batch_size(self) -> int:
        """The run's global batch size."""
        return int(self.config["batch_size"])

    @property
    def regime(self) -> Regime:
        """The regime the run followed (learning rates scaled, epochs adapted)."""
        return Regime.from_dict(self.effective_regime)

    @property
    def final_test_error(self) -> float | None:
        """The final test error in percent, ``None`` for a diverged run."""
        return None if self.final_test_acc is None else 100 * (1 - self.final_test_acc)

    @property
    def distance_log(self) -> DistanceLog:
        """||w_t - w_0|| as logged during the run."""
        return DistanceLog.from_lists(self.distance["iterations"], self.distance["distances"])

    @property
    def high_lr_updates(self) -> int:
        """The updates of the run's high-learning-rate phase: up to the iteration where its regime leaves its first
        learning rate (round(epoch x steps per epoch)), or all of its iterations when it never does."""
        phases = self.regime.phases
        change = next((phase.start_epoch for phase in phases if phase.lr != phases[0].lr), None)
        return self.iterations if change is None else round(change * self.steps_per_epoch)

    @property
    def high_lr_distances(self) -> DistanceLog:
        """The finite points of :attr:`distance_log` in the high-learning-rate phase, updates 1 to
        :attr:`high_lr_updates`."""
        return self.distance_log.between(1, self.high_lr_updates)

    def to_dict(self) -> dict[str, Any]:
        """All fields as JSON-ready data."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunResult:
        """Inverse of :meth:`to_dict`; ``data`` is refused unless it is an object whose every field
        :data:`RESULT_SCHEMA` accepts (``ValueError`` naming the field)."""
        if not isinstance(data, dict):
            raise ValueError(f"a result is a JSON object of fields, got {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        required = {
            f.name for f in dataclasses.fields(cls)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        }  # fmt: skip
        missing = sorted(required - set(data))
        unknown = sorted(set(data) - known)
        if missing or unknown:
            raise ValueError(f"not a RunResult: missing fields {missing}, unknown fields {unknown}")
        check_result_data(data)
        return cls(
            **{
                **data,
                "epochs": [EpochMetrics(**epoch) for epoch in data["epochs"]],
                "evaluations": [Evaluation(**point) for point in data.get("evaluations", [])],
            }
        )

    def to_json(self) -> str:
        """The result as indented, strict JSON, once :data:`RESULT_SCHEMA` has accepted it."""
        data = self.to_dict()
        check_result_data(data)
        return json.dumps(data, indent=2, allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> RunResult:
        """Inverse of :meth:`to_json`. ``NaN`` and ``Infinity``, which strict JSON lacks, are read as text, so that
        the schema refuses them by the field's name; JSON nested too deeply to parse is refused as such."""
        try:
            data = json.loads(text, parse_constant=str)
        except RecursionError:
            raise ValueError("its JSON is nested too deeply to be read (a result is a few levels deep)") from None
        return cls.from_dict(data)

    def _with_paths(self, convert: Callable[[str], str]) -> RunResult:
        """This result with ``convert`` applied to its paths (checkpoint, data root)."""
        config = dict(self.config)
        for name in _PATH_FIELDS:
            if config.get(name) is not None:
                config[name] = convert(config[name])
        checkpoint = None if self.checkpoint_path is None else convert(self.checkpoint_path)
        return dataclasses.replace(self, config=config, checkpoint_path=checkpoint)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the JSON to ``path`` atomically; returns the path.

        Absolute paths are written relative to the folder of ``path``, so that a stored result holds no absolute
        path of the machine it ran on; :meth:`load` makes them absolute again.
        """
        folder = Path(path).parent.resolve()
        portable = self._with_paths(lambda item: _relative(item, folder))
        return atomic_write_text(path, portable.to_json() + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> RunResult:
        """Read a result written by :meth:`save`, its relative paths taken from the folder of ``path``."""
        folder = Path(path).parent.resolve()
        result = cls.from_json(Path(path).read_text(encoding="utf-8"))
        return result._with_paths(lambda item: str((folder / item).resolve()))


_PATH_FIELDS = ("checkpoint_path", "data_root")


def _relative(path: str, folder: Path) -> str:
    """An absolute ``path`` relative to ``folder``; a relative one (already relative to it) as it is."""
    return Path(os.path.relpath(path, folder)).as_posix() if Path(path).is_absolute() else path


def result_filename(config: TrainConfig) -> str:
    """The file name of ``config``'s result: ``<model>-<dataset>-b<batch>-<first 12 hex digits of its hash>.json``."""
    return f"{config.model}-{config.dataset}-b{config.batch_size}-{config.config_hash()[:12]}.json"
