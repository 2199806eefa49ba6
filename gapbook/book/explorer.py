"""An explorer over a row's stored runs: pick the columns, the seeds, the quantity and the axis scale.

In a running notebook it is a small ipywidgets panel whose figure redraws as the controls change. In the rendered
book, which runs no code, the same output carries a static PNG of the explorer's first view (the book prefers the
image to the widget), so a reader of the page sees the figure and a reader of the notebook gets the controls.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure

from gapbook.experiments import COLUMN_KEYS
from gapbook.train import RunResult

from .figures import ROW_QUANTITIES, plain_log_ticks, plot_row
from .style import FIGURE_SIZE

__all__ = ["RunsExplorer", "live_figure", "png_of"]

SCALES: tuple[str, ...] = ("linear", "log")


def png_of(figure: Figure) -> tuple[bytes, dict[str, int]]:
    """``figure`` as a PNG at twice its pixels, with the size to display it at."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=2 * figure.dpi, bbox_inches="tight")
    png = buffer.getvalue()
    return png, _displayed_size(png)


def _displayed_size(png: bytes) -> dict[str, int]:
    """Half the pixel size a PNG's header (IHDR) gives: the size at which a 2x image is displayed."""
    width, height = (int.from_bytes(png[offset : offset + 4], "big") // 2 for offset in (16, 20))
    return {"width": width, "height": height}


def live_figure(draw: Callable[..., Figure], **controls: Any) -> Any:
    """ipywidgets ``controls`` (value widgets, by the keyword ``draw`` takes) above an image of
    ``draw(**values)``, redrawn whenever a control changes. The figure is an image widget, not an output widget,
    whose capture of displayed output can stall a notebook run by nbclient (jupyter/nbclient#312)."""
    import ipywidgets as widgets

    def values() -> dict[str, Any]:
        return {name: control.value for name, control in controls.items()}

    png, size = png_of(draw(**values()))
    image = widgets.Image(value=png, format="png", width=size["width"])

    def redraw(_: object = None) -> None:
        image.value = png_of(draw(**values()))[0]

    for control in controls.values():
        control.observe(redraw, names="value")
    return widgets.VBox([widgets.HBox(list(controls.values())), image])


class RunsExplorer:
    """The runs of one row (``runs`` maps column keys to their runs, e.g. from
    :func:`~gapbook.experiments.row_runs`) under a title; display it to explore them. A row with no stored run yet
    shows that it has none, so that a page built before its runs says so instead of failing."""

    def __init__(self, runs: Mapping[str, Sequence[RunResult]], title: str) -> None:
        unknown = sorted(set(runs) - set(COLUMN_KEYS))
        if unknown:
            raise ValueError(f"unknown column(s) {unknown}; the columns are {', '.join(COLUMN_KEYS)}")
        self.runs = {key: list(runs[key]) for key in COLUMN_KEYS if runs.get(key)}
        self.title = title
        self.seeds = sorted({result.seed for results in self.runs.values() for result in results})

    def figure(
        self,
        columns: Sequence[str] | None = None,
        seeds: Sequence[int] | None = None,
        quantity: str = "test_error",
        scale: str = "log",
    ) -> Figure:
        """The chosen columns (all by default), restricted to the chosen seeds (all by default), one quantity of
        :data:`~gapbook.book.ROW_QUANTITIES` against updates, its y axis on a ``linear`` or ``log`` scale."""
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {', '.join(SCALES)}, got {scale!r}")
        if quantity not in ROW_QUANTITIES:
            raise ValueError(f"unknown quantity {quantity!r}; choose one of {', '.join(ROW_QUANTITIES)}")
        columns = list(self.runs) if columns is None else list(columns)
        seeds = set(self.seeds if seeds is None else seeds)
        chosen = {
            key: kept
            for key in columns
            if key in self.runs and (kept := [r for r in self.runs[key] if r.seed in seeds])
        }
        if not chosen:
            figure = Figure(figsize=(FIGURE_SIZE[0], 1.5), layout="constrained")
            missing = "no stored run yet" if not self.runs else "no run among the chosen columns and seeds"
            figure.text(0.5, 0.5, f"{self.title}: {missing}", ha="center", va="center")
            return figure
        figure = plot_row(chosen, self.title, quantity)
        figure.axes[0].set_yscale(scale)
        if scale == "log":
            plain_log_ticks(figure.axes[0].yaxis)
        return figure

    def widget(self) -> Any:
        """The controls (columns, seeds, quantity, y scale) and the figure they draw, as an ipywidgets panel
        (:func:`live_figure`; needs ``ipywidgets``, in the book's extras)."""
        import ipywidgets as widgets

        return live_figure(
            self.figure,
            columns=widgets.SelectMultiple(options=list(self.runs), value=tuple(self.runs), description="columns"),
            seeds=widgets.SelectMultiple(options=self.seeds, value=tuple(self.seeds), description="seeds"),
            quantity=widgets.Dropdown(
                options=[(label, key) for key, label in ROW_QUANTITIES.items()], value="test_error", description="y"
            ),
            scale=widgets.ToggleButtons(options=SCALES, value="log", description="y axis"),
        )

    def png(self) -> tuple[bytes, dict[str, int]]:
        """The first view as a PNG at twice its pixels, with the size to display it at."""
        return png_of(self.figure())

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> tuple[dict, dict]:
        """The widget where a front end can show one, and the first view as a PNG for a page that runs no code: the
        PNG the widget's image already holds, so the figure is drawn once."""
        text = f"RunsExplorer({self.title!r})"
        try:
            panel = self.widget()
        except ImportError:  # no ipywidgets: the static view alone
            png, size = self.png()
            return {"image/png": png, "text/plain": text}, {"image/png": size}
        png = bytes(panel.children[-1].value)  # the image widget holds a memoryview; a display needs bytes
        data = {**(panel._repr_mimebundle_() or {}), "image/png": png, "text/plain": text}
        return data, {"image/png": _displayed_size(png)}
