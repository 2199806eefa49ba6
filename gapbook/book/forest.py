"""Differences drawn, not printed: a forest plot of the claims' verdicts.

Each row is one comparison: its estimate as a dot, its 95% interval as a bar, the zero line behind them all, and,
at the right, the verdict in words with the runs it rests on. A verdict whose interval excludes zero is drawn in
full colour, one whose interval holds zero in grey, so that "not shown at this scale" reads at a glance.
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure

from gapbook.claims import Verdict

from .style import FIGURE_SIZE

__all__ = ["plot_forest"]

_SHOWN, _NOT_SHOWN = "#1f77b4", "#8c8c8c"


def plot_forest(
    verdicts: Sequence[Verdict],
    labels: Sequence[str] | None = None,
    *,
    title: str | None = None,
    unit: str | None = None,
) -> Figure:
    """One row per verdict (top to bottom in the order given): estimate, 95% interval, zero line, verdict and n.

    ``labels`` names the rows (the claims' keys by default); ``unit`` labels the axis (the verdicts' own unit by
    default). Verdicts without an interval are listed as missing. All verdicts must share one unit: a forest of
    points beside exponents would put two scales on one axis.
    """
    if not verdicts:
        raise ValueError("plot_forest needs at least one verdict")
    labels = [v.claim.key for v in verdicts] if labels is None else list(labels)
    if len(labels) != len(verdicts):
        raise ValueError(f"{len(labels)} labels for {len(verdicts)} verdicts; give one label per verdict")
    units = {v.interval.unit for v in verdicts if v.interval is not None}
    if len(units) > 1:
        raise ValueError(f"the verdicts mix units {sorted(units)}; draw one forest per unit")
    unit = unit if unit is not None else next(iter(units), "")
    height = 0.9 + 0.42 * len(verdicts)
    figure = Figure(figsize=(FIGURE_SIZE[0], height), layout="constrained")
    ax = figure.subplots()
    ax.axvline(0, color="black", lw=1, zorder=1)
    for row, verdict in enumerate(verdicts):
        y = len(verdicts) - 1 - row
        interval = verdict.interval
        if interval is None:
            ax.text(0, y, "missing", ha="center", va="center", color=_NOT_SHOWN, style="italic")
            continue
        shown = interval.low > 0 or interval.high < 0
        color = _SHOWN if shown else _NOT_SHOWN
        ax.plot([interval.low, interval.high], [y, y], color=color, lw=2.5, solid_capstyle="butt", zorder=2)
        ax.plot([interval.estimate], [y], "o", color=color, ms=7, zorder=3)
    ax.set_yticks(range(len(verdicts)), labels[::-1])
    ax.set_ylim(-0.6, len(verdicts) - 0.4)
    words = [f"{v.status}, {v.n_text}" if v.interval is not None else v.status for v in verdicts]
    right = ax.secondary_yaxis("right")
    right.set_yticks(range(len(verdicts)), words[::-1])
    right.tick_params(length=0, labelsize=9.5)
    right.spines["right"].set_visible(False)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(f"difference, 95% interval{f' ({unit})' if unit else ''}")
    if title:
        ax.set_title(title)
    return figure
