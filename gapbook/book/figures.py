"""The figure of one row of Table 1: every column's runs against optimizer updates, as the paper's Figure 2 does.

Plotting against updates rather than epochs puts +RA (ceil(LB / SB) times the epochs) on the same axis as SB,
and shows LB, +LR and +GBN stopping after a fraction of SB's updates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from matplotlib.figure import Figure

from gapbook.experiments import COLUMN_KEYS
from gapbook.train import RunResult

from .curves import distance_curve, error_percent, metric_curve, plot_curve

__all__ = ["COLUMN_COLORS", "plot_row"]

COLUMN_COLORS: dict[str, str] = {"SB": "C0", "LB": "C3", "+LR": "C4", "+GBN": "C1", "+RA": "C2"}
"""The colour of each column in the book's figures."""


def plot_row(runs: Mapping[str, Sequence[RunResult]], title: str) -> Figure:
    """Test error, training error and ||w_t - w_0|| of each column's runs (every seed thin, the mean thick, a band of
    one standard deviation) against updates on a log axis; ``runs`` maps column keys to their runs."""
    unknown = sorted(set(runs) - set(COLUMN_KEYS))
    if unknown:
        raise ValueError(f"unknown column(s) {unknown}; the columns are {', '.join(COLUMN_KEYS)}")
    figure = Figure(figsize=(14, 4.2), layout="constrained")
    test_ax, train_ax, distance_ax = figure.subplots(1, 3)
    for key in (key for key in COLUMN_KEYS if key in runs):
        results, color = runs[key], COLUMN_COLORS[key]
        style = {"label": key, "color": color}
        plot_curve(test_ax, metric_curve(results, "test_acc", x="iteration").map(error_percent), marker="o", **style)
        plot_curve(train_ax, metric_curve(results, "train_acc", x="iteration").map(error_percent), **style)
        plot_curve(distance_ax, distance_curve(results), **style)
    test_ax.set_ylabel("test error (%)")
    train_ax.set_ylabel("training error during the epoch (%)")
    distance_ax.set_ylabel(r"$\|w_t - w_0\|$")
    for ax in (test_ax, train_ax, distance_ax):
        ax.set_xscale("log")
        ax.set_xlabel("updates")
        ax.grid(alpha=0.3, which="both")
    test_ax.legend()
    figure.suptitle(title)
    return figure
