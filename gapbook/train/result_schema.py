"""The JSON Schema of a stored ``RunResult``: the type and range of every field, checked whenever a result is read.

A result file is data that a person or another program may have edited, so reading one checks every field
(``true`` is not an accuracy, ``"fast"`` is not a number of seconds, ``NaN`` and ``Infinity`` are no numbers at all)
and names the field that fails. The run's config and regime are objects here: :class:`~gapbook.train.TrainConfig`
and :class:`~gapbook.regime.Regime` check their own fields when they are built from them.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

__all__ = ["RESULT_SCHEMA", "check_result_data"]

_LARGEST = sys.float_info.max
"""Bound of the numbers that have no other: 1e999 reads as infinity, which is above it."""


def _number(description: str, *, high: float = _LARGEST, nullable: bool = False) -> dict[str, Any]:
    """A number in [0, ``high``] (or null)."""
    kind = ["number", "null"] if nullable else "number"
    return {"type": kind, "minimum": 0, "maximum": high, "description": description}


def _integer(low: int, *, nullable: bool = False) -> dict[str, Any]:
    """An int >= ``low`` (or null)."""
    kind = ["integer", "null"] if nullable else "integer"
    return {"type": kind, "minimum": low, "description": f"an int >= {low}" + (" or null" if nullable else "")}


def _text(description: str = "a string", *, nullable: bool = False, pattern: str | None = None) -> dict[str, Any]:
    """A string (or null), matching ``pattern`` when given."""
    schema: dict[str, Any] = {"type": ["string", "null"] if nullable else "string", "description": description}
    return schema if pattern is None else {**schema, "pattern": pattern}


def _list(items: dict[str, Any]) -> dict[str, Any]:
    """A list of ``items``."""
    return {"type": "array", "items": items, "description": "a list"}


def _record(fields: dict[str, dict[str, Any]], optional: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """An object with every one of ``fields``, any of ``optional``, and nothing else."""
    return {
        "type": "object",
        "properties": {**fields, **(optional or {})},
        "required": list(fields),
        "additionalProperties": False,
        "description": f"an object with the fields {', '.join(fields)}",
    }


_ACCURACY = _number("an accuracy in [0, 1]", high=1)
_ACCURACY_OR_NULL = _number("an accuracy in [0, 1], or null", high=1, nullable=True)
_LOSS_OR_NULL = _number("a finite loss >= 0, or null", nullable=True)
_SECONDS = _number("a finite number of seconds >= 0")
_DISTANCE_OR_NULL = _number("a finite distance >= 0, or null", nullable=True)

RESULT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    **_record(
        {
            "config": {"type": "object", "description": "a TrainConfig as a JSON object"},
            "config_hash": _text("64 hex digits", pattern="^[0-9a-f]{64}$"),
            "status": {"enum": ["completed", "diverged"], "description": "one of completed, diverged"},
            "epochs": _list(
                _record(
                    {
                        "epoch": _integer(1),
                        "iteration": _integer(0),
                        "lr": _number("a finite learning rate >= 0"),
                        "train_loss": _LOSS_OR_NULL,
                        "train_acc": _ACCURACY,
                        "test_loss": _LOSS_OR_NULL,
                        "test_acc": _ACCURACY_OR_NULL,
                        "test_top5": _ACCURACY_OR_NULL,
                        "distance": _DISTANCE_OR_NULL,
                        "wall_time": _SECONDS,
                    }
                )
            ),
            "distance": _record(
                {
                    "points_per_decade": _integer(1),
                    "iterations": _list(_integer(0)),
                    "distances": _list(_DISTANCE_OR_NULL),
                },
                optional={
                    "layer_distances": {
                        "type": "object",
                        "additionalProperties": _list(_DISTANCE_OR_NULL),
                        "description": "an object of lists of distances, one per layer",
                    }
                },
            ),
            "final_test_acc": _ACCURACY_OR_NULL,
            "best_test_acc": _ACCURACY_OR_NULL,
            "final_test_top5": _ACCURACY_OR_NULL,
            "diverged_at": {
                **_record({"epoch": _integer(1), "iteration": _integer(1), "reason": _text()}),
                "type": ["object", "null"],
            },
            "iterations": _integer(0),
            "steps_per_epoch": _integer(1),
            "train_samples": _integer(1),
            "test_samples": _integer(1),
            "effective_regime": {"type": "object", "description": "a Regime as a JSON object"},
            "wall_time": _SECONDS,
            "device": _text(),
            "world_size": _integer(1),
            "precision": {"enum": ["fp32", "bf16", "fp16"], "description": "one of fp32, bf16, fp16"},
            "versions": {"type": "object", "additionalProperties": _text(), "description": "an object of strings"},
            "git_commit": _text("a commit hash, or null", nullable=True),
            "profile": _text("a profile label, or null", nullable=True),
            "checkpoint_path": _text("a path, or null", nullable=True),
            "created_at": _text(
                "a time such as 2026-01-31T12:00:00+00:00", pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}"
            ),
        },
        optional={  # added after results were first stored: a file may lack them, and they take their defaults
            "resumed_at_epochs": _list(_integer(0)),
            "final_train_acc": _ACCURACY_OR_NULL,
            "evaluations": _list(
                _record(
                    {
                        "iteration": _integer(1),
                        "test_loss": _LOSS_OR_NULL,
                        "test_acc": _ACCURACY,
                        "train_loss": _LOSS_OR_NULL,
                        "train_acc": _ACCURACY,
                        "wall_time": _SECONDS,
                    }
                )
            ),
            "target_reached": _integer(1, nullable=True),
        },
    ),
}
"""The schema of a result file: every field of :class:`~gapbook.train.RunResult`, its type and its range."""

_VALIDATOR = Draft202012Validator(RESULT_SCHEMA)
_ITEM_LABELS = {"epochs": ("epoch", "epoch {}"), "evaluations": ("iteration", "evaluation at {}")}
"""How an item of a list is named in errors: by its own epoch or iteration, as the run's log names it."""


def check_result_data(data: object) -> None:
    """Refuse ``data`` (a result as read from JSON) unless every field has its type and range, with a
    ``ValueError`` naming the field, e.g. ``epoch 3 test_acc must be an accuracy in [0, 1], got 97.5``."""
    error = best_match(_VALIDATOR.iter_errors(data))
    if error is not None:
        raise ValueError(_describe(error, data))


def _describe(error: ValidationError, data: object) -> str:
    """One sentence naming the field of ``error``, what it must be, and what it is."""
    field = _field_name(list(error.absolute_path), data) or "the result"
    if error.validator in ("required", "additionalProperties"):
        return f"{field}: {error.message}"
    description = error.schema.get("description") if isinstance(error.schema, dict) else None
    return f"{field} must be {description or 'as the result schema says'}, got {_shown(error.instance)}"


def _field_name(path: Sequence[str | int], data: Any) -> str:
    """``path`` in words: ``distance/distances/3`` is ``distance distances[3]``, and an epoch or an evaluation is
    named by its own epoch or iteration: ``epochs/2/test_acc`` is ``epoch 3 test_acc``."""
    words: list[str] = []
    for key in path:
        item = data[key]
        label = _ITEM_LABELS.get(words[-1]) if isinstance(key, int) and words else None
        if label is not None and isinstance(item, dict) and isinstance(item.get(label[0]), int):
            words[-1] = label[1].format(item[label[0]])
        elif isinstance(key, int) and words:
            words[-1] = f"{words[-1]}[{key}]"
        else:
            words.append(str(key))
        data = item
    return " ".join(words)


def _shown(value: object) -> str:
    """``value`` as an error shows it, cut short."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."
