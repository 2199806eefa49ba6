"""The figures of one row of Table 1: every column's runs against optimizer updates, as the paper's Figure 2 does,
and the small batch trained longer against +RA.

Plotting against updates rather than epochs puts +RA (ceil(LB / SB) times the epochs) on the same axis as SB,
and shows LB, +LR and +GBN stopping after a fraction of SB's updates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from gapbook.experiments import COLUMN_KEYS
from gapbook.train import RunResult

from .curves import distance_curve, error_percent, metric_curve, plot_curve
from .style import FIGURE_SIZE

__all__ = ["COLUMN_COLORS", "ROW_QUANTITIES", "plain_log_ticks", "plot_finals", "plot_longer_sb", "plot_row"]

COLUMN_COLORS: dict[str, str] = {"SB": "C0", "LB": "C3", "+LR": "C4", "+GBN": "C1", "+RA": "C2"}
"""The colour of each column in the book's figures."""


ROW_QUANTITIES: dict[str, str] = {
    "test_error": "test error (%)",
    "train_error": "training error during the epoch (%)",
    "distance": r"$\|w_t - w_0\|$",
}
"""What :func:`plot_row` can draw, with its axis label."""


def plot_row(runs: Mapping[str, Sequence[RunResult]], title: str, quantity: str = "test_error") -> Figure:
    """One quantity (a key of :data:`ROW_QUANTITIES`) of each column's runs (every seed thin, the mean thick, a band
    of one standard deviation) against updates on a log axis, in a figure that fits the book's text column;
    ``runs`` maps column keys to their runs."""
    unknown = sorted(set(runs) - set(COLUMN_KEYS))
    if unknown:
        raise ValueError(f"unknown column(s) {unknown}; the columns are {', '.join(COLUMN_KEYS)}")
    if quantity not in ROW_QUANTITIES:
        raise ValueError(f"unknown quantity {quantity!r}; choose one of {', '.join(ROW_QUANTITIES)}")
    figure = Figure(figsize=FIGURE_SIZE, layout="constrained")
    ax = figure.subplots()
    for key in (key for key in COLUMN_KEYS if key in runs):
        results, style = runs[key], {"label": key, "color": COLUMN_COLORS[key]}
        if quantity == "distance":
            plot_curve(ax, distance_curve(results), **style)
        else:
            metric = "test_acc" if quantity == "test_error" else "train_acc"
            curve = metric_curve(results, metric, x="iteration").map(error_percent)
            plot_curve(ax, curve, marker="o" if quantity == "test_error" else None, **style)
    ax.set_ylabel(ROW_QUANTITIES[quantity])
    ax.set_xscale("log")
    ax.set_xlabel("updates")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    ax.set_title(title)
    return figure


def plot_finals(
    runs: Mapping[str, Sequence[RunResult]], title: str, paper: Mapping[str, float] | None = None
) -> Figure:
    """The final test error (%) of each column's runs: every seed a dot, their mean a bar, and, where ``paper``
    maps a column to the paper's accuracy (%), the paper's error marked beside it; a column without a run is
    labelled "no run"."""
    unknown = sorted(set(runs) - set(COLUMN_KEYS))
    if unknown:
        raise ValueError(f"unknown column(s) {unknown}; the columns are {', '.join(COLUMN_KEYS)}")
    figure = Figure(figsize=FIGURE_SIZE, layout="constrained")
    ax = figure.subplots()
    keys = [key for key in COLUMN_KEYS if key in runs or (paper and key in paper)]
    for x, key in enumerate(keys):
        errors = [100 * (1 - result.final_test_acc) for result in runs.get(key, ())]
        color = COLUMN_COLORS[key]
        if errors:
            spread = np.linspace(-0.12, 0.12, len(errors)) if len(errors) > 1 else np.zeros(1)
            ax.plot(x + spread, errors, "o", color=color, alpha=0.6, ms=6)
            ax.plot([x - 0.25, x + 0.25], [np.mean(errors)] * 2, color=color, lw=3)
        else:
            ax.text(x, 0.5, "no run", transform=ax.get_xaxis_transform(), ha="center", color="0.4")
        if paper and key in paper:
            ax.plot([x + 0.36], [100 - paper[key]], marker="D", color="black", ms=6, ls="none",
                    label="the paper's value" if x == keys.index(next(k for k in keys if k in paper)) else None)
    ax.set_xticks(range(len(keys)), keys)
    ax.set_xlim(-0.6, len(keys) - 0.4)
    ax.set_ylabel("final test error (%)")
    ax.grid(axis="x", visible=False)
    ax.set_title(title)
    if paper:
        ax.legend(loc="best")
    return figure


def plot_longer_sb(
    longer: Mapping[int, Sequence[RunResult]], adapted: Sequence[RunResult], sb_epochs: float
) -> Figure:
    """Final test accuracy of SB trained longer (``longer`` maps each factor to its runs, as
    :func:`~gapbook.experiments.stored_longer_sb` gives them; every seed a dot, mean ± std joined) against SB's
    epochs (``sb_epochs`` times the factor, log-2 axis), beside +RA's runs ``adapted`` as a band of mean ± std.
    Factors without a run are named in a corner, so that a missing control shows as missing."""
    figure = Figure(figsize=FIGURE_SIZE, layout="constrained")
    ax = figure.subplots()
    color = COLUMN_COLORS["SB"]
    stored = sorted(factor for factor, runs in longer.items() if runs)
    values = {factor: [100 * r.final_test_acc for r in longer[factor]] for factor in stored}
    epochs = [factor * sb_epochs for factor in stored]
    for x, factor in zip(epochs, stored, strict=True):
        ax.plot([x] * len(values[factor]), values[factor], ".", color=color, alpha=0.5)
    if stored:
        means = [np.mean(values[factor]) for factor in stored]
        stds = [np.std(values[factor], ddof=1) if len(values[factor]) > 1 else 0.0 for factor in stored]
        ax.errorbar(epochs, means, stds, color=color, marker="o", capsize=3, label="SB trained longer (mean ± std)")
    if adapted:
        accuracy = [100 * r.final_test_acc for r in adapted]
        mean, std = np.mean(accuracy), np.std(accuracy, ddof=1) if len(accuracy) > 1 else 0.0
        ax.axhspan(mean - std, mean + std, color=COLUMN_COLORS["+RA"], alpha=0.15)
        ax.axhline(mean, color=COLUMN_COLORS["+RA"],
                   label=f"+RA: {adapted[0].regime.epochs:g} epochs at B = {adapted[0].batch_size} (mean ± std)")
    missing = sorted(factor for factor, runs in longer.items() if not runs)
    if missing:
        ax.text(0.98, 0.04, "not stored yet: factor(s) " + ", ".join(map(str, missing)), transform=ax.transAxes,
                ha="right", fontsize=10)
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.set_xlim(0.7 * sb_epochs, 1.4 * sb_epochs * max(longer, default=1))
    batch = next((runs[0].batch_size for runs in longer.values() if runs), None)
    ax.set_xlabel("epochs of SB" + (f" (B = {batch})" if batch else ""))
    ax.set_ylabel("final test accuracy (%)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="upper left")
    return figure


def plain_log_ticks(axis: Axis) -> None:
    """Label a log-scaled ``axis`` (e.g. ``ax.yaxis``) with plain numbers: 1, 2, 5, 10, 20, 50, ... instead of
    powers of ten, which read poorly over a range of less than two decades."""
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axis.set_minor_formatter(FuncFormatter(lambda value, _: f"{value:g}" if f"{value:.1e}"[0] in "25" else ""))
