"""Table 1 beside our numbers: every row and column, the paper's accuracy and ours over seeds, as Markdown or CSV.

Our number of a cell summarizes the stored runs of that cell's experiment at the profile, over seeds
(:func:`~gapbook.experiments.summary.summarize`). A cell without a stored run is shown as missing, never
estimated.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass

from .columns import COLUMN_KEYS
from .configs import experiment_config
from .scales import scale
from .store import ResultStore, experiment_key
from .summary import Summary, summarize
from .table1 import POSTER_CAVEAT, ROW_KEYS, row

__all__ = ["CIFAR10_NOTE", "FORMATS", "MISSING", "Cell", "comparison", "render", "to_csv", "to_markdown"]

FORMATS: tuple[str, ...] = ("markdown", "csv")
MISSING = "—"
"""How a cell without a result is shown."""
CIFAR10_NOTE = (
    "CIFAR-10: gapbook's committed CIFAR-10 results were measured on a copy of CIFAR-10 decoded from JPEG images, "
    "whose pixels differ slightly from the original arrays; accuracies on the original data may differ slightly."
)


@dataclass(frozen=True)
class Cell:
    """One cell of Table 1 at one profile: the paper's accuracy (%) and, when any run is stored, the summary of ours."""

    row: str
    column: str
    profile: str
    paper: float
    paper_uncertain: bool
    ours: Summary | None


def comparison(results_dir: str | os.PathLike[str], profile: str) -> list[Cell]:
    """Every cell of Table 1, row by row, with our results at ``profile`` from ``results_dir``."""
    groups = ResultStore(results_dir, profile).by_experiment()
    cells = []
    for key in ROW_KEYS:
        entry = row(key)
        for column in COLUMN_KEYS:
            runs = groups.get(experiment_key(experiment_config(key, column, profile)), [])
            ours = summarize(runs) if runs else None
            cells.append(Cell(key, column, profile, entry.paper_value(column), column in entry.uncertain, ours))
    return cells


def _paper_text(cell: Cell) -> str:
    return f"{cell.paper:g} (?)" if cell.paper_uncertain else f"{cell.paper:g}"


def _ours_text(cell: Cell) -> str:
    """Our number of a cell: mean ± std (n), marked † for a short run that measures cost only."""
    if cell.ours is None:
        return MISSING
    return f"{cell.ours}{' †' if scale(cell.row, cell.profile).cost_only else ''}"


def _setting(row_key: str, profile: str) -> str:
    chosen = scale(row_key, profile)
    batches = chosen.batches
    data = "all training images" if chosen.train_size is None else f"{chosen.train_size:,} training images"
    return (
        f"`{row_key}`: SB {batches.small} / LB {batches.large}, ghost {batches.ghost_batch_size}, "
        f"{chosen.regime.epochs:g} epoch(s) (+RA {chosen.adapted_epochs:g}), {data}"
    )


def _profiles(cells: list[Cell]) -> list[str]:
    return list(dict.fromkeys(cell.profile for cell in cells))


def to_markdown(cells: list[Cell]) -> str:
    """The comparison as a Markdown table, one line per row and column (so that it stays narrow), the paper's
    number beside ours at each profile of ``cells``, with notes and the settings of each profile."""
    profiles = _profiles(cells)
    names = ", ".join(f"`{profile}`" for profile in profiles)
    lines = [
        f"Final test accuracy (%): the paper (the authors' NeurIPS 2017 poster: LB 4096, or 8192 where the row "
        f"says so, ghost 128) beside gapbook's {names} profile{'s' if len(profiles) > 1 else ''} (mean ± sample "
        f"standard deviation over seeds, n runs). {MISSING} marks a result not run yet.",
        "",
        "| Network | Column | Paper | " + " | ".join(f"`{profile}`" for profile in profiles) + " |",
        "|---|---|---:|" + "---:|" * len(profiles),
    ]
    by_key = {(cell.row, cell.column, cell.profile): cell for cell in cells}
    shown_rows = list(dict.fromkeys(cell.row for cell in cells))
    for key in shown_rows:
        name = row(key).title
        for index, column in enumerate(COLUMN_KEYS):
            first = by_key[(key, column, profiles[0])]
            ours = " | ".join(_ours_text(by_key[(key, column, profile)]) for profile in profiles)
            lines.append(f"| {name if index == 0 else ''} | {column} | {_paper_text(first)} | {ours} |")
    shown = [row(key) for key in shown_rows]
    sources: dict[str, dict[str, None]] = {}  # citation -> the networks from it, in the table's order
    for entry in shown:
        sources.setdefault(entry.citation, {})[entry.label] = None
    notes = ["- The networks: " + "; ".join(f"{', '.join(nets)} ({source})" for source, nets in sources.items()) + "."]
    if any(cell.paper_uncertain for cell in cells):
        notes.append(f"- (?) {POSTER_CAVEAT}")
    if any(cell.ours is not None and scale(cell.row, cell.profile).cost_only for cell in cells):
        notes.append("- † A short run that measures cost and proves the plumbing: its accuracy says nothing about the "
                     "paper's claims.")  # fmt: skip
    if any(entry.dataset == "cifar10" for entry in shown):
        notes.append(f"- {CIFAR10_NOTE}")
    lines += ["", "Notes:", "", *notes]
    for profile in profiles:
        lines += [
            "",
            f"Settings of the `{profile}` profile (how each differs from the paper: "
            f"`gapbook.experiments.scale(row, {profile!r}).differences`):",
            "",
        ]
        lines += [f"- {_setting(key, profile)}" for key in shown_rows]
    return "\n".join(lines) + "\n"


def to_csv(cells: list[Cell]) -> str:
    """The comparison as CSV, one line per cell and profile; a missing result has empty mean and std and n = 0.

    ``seconds_per_run`` is the mean training time of the cell's runs, as each measured it; ``cost_only`` says
    that the profile's runs of the row are short runs that measure cost, not the paper's claims.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "row", "network", "dataset", "column", "paper", "paper_uncertain", "profile",
            "mean", "std", "n", "diverged", "seconds_per_run", "cost_only",
        ]  # fmt: skip
    )
    for cell in cells:
        entry, ours = row(cell.row), cell.ours
        writer.writerow(
            [
                cell.row,
                entry.label,
                entry.dataset,
                cell.column,
                f"{cell.paper:g}",
                str(cell.paper_uncertain).lower(),
                cell.profile,
                "" if ours is None or ours.mean is None else f"{ours.mean:.4f}",
                "" if ours is None or ours.std is None else f"{ours.std:.4f}",
                0 if ours is None else ours.n,
                0 if ours is None else ours.diverged,
                "" if ours is None else f"{ours.wall_time / (ours.n + ours.diverged):.1f}",
                str(scale(cell.row, cell.profile).cost_only).lower(),
            ]
        )
    return out.getvalue()


def render(results_dir: str | os.PathLike[str], profiles: str | Sequence[str], fmt: str = "markdown") -> str:
    """The whole comparison at ``profiles`` (one, or several side by side) in format ``fmt`` (markdown or csv)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; the formats are {', '.join(FORMATS)}")
    chosen = (profiles,) if isinstance(profiles, str) else tuple(profiles)
    if not chosen:
        raise ValueError("no profile given; give one or more of smoke, mini, full")
    cells = [cell for profile in chosen for cell in comparison(results_dir, profile)]
    return to_markdown(cells) if fmt == "markdown" else to_csv(cells)
