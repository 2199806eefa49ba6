"""What a chapter prints: lines folded to the book's code width, and numbers over seeds said the same way in every
chapter (a mean with its spread, a difference with its interval)."""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Sequence

from gapbook.stats import Difference, Sample
from gapbook.train import RunResult

__all__ = ["WIDTH", "interval_text", "mean_std", "precisions_text", "say", "wrapped"]

WIDTH = 79
"""The width of the book's code cells and printed lines, in characters: what fits the text column."""


def wrapped(text: str, indent: str = "  ", hanging: str | None = None) -> str:
    """``text`` folded to :data:`WIDTH` characters: its first line starts with ``indent``, the others with
    ``hanging`` (``indent`` when not given)."""
    rest = indent if hanging is None else hanging
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=rest)


def say(text: str, hanging: str = "    ") -> None:
    """Print ``text`` folded to the page, its continuation lines indented by ``hanging``."""
    print(wrapped(text, indent="", hanging=hanging))


def mean_std(values: Sequence[float], missing: str = "missing") -> str:
    """``values`` (e.g. an accuracy per seed) as mean ± sample standard deviation (n), the one value (n=1), or
    ``missing`` when there is none."""
    values = list(values)
    if not values:
        return missing
    if len(values) == 1:
        return f"{float(values[0]):.2f} (n=1)"
    return str(Sample.of(values))


def interval_text(difference: Difference, unit: str = "points") -> str:
    """``difference`` as its own text says it, in ``unit`` ("" for none), folded and indented."""
    return wrapped(str(dataclasses.replace(difference, unit=unit)))


PRECISION_WORDS = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


def precisions_text(results: Sequence[RunResult]) -> str:
    """Which seeds of ``results`` were computed in which precision, e.g. "float32: seed 0; bfloat16: seeds 1 and 2",
    for an experiment whose seeds were run apart on different numerics."""
    seeds: dict[str, list[int]] = {}
    for result in sorted(results, key=lambda r: r.seed):
        seeds.setdefault(result.precision, []).append(result.seed)
    parts = []
    for precision, found in seeds.items():
        listed = ", ".join(map(str, found[:-1])) + f" and {found[-1]}" if len(found) > 1 else str(found[0])
        parts.append(f"{PRECISION_WORDS.get(precision, precision)}: seed{'s' if len(found) > 1 else ''} {listed}")
    return "; ".join(parts) or "no run"
