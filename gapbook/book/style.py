"""One look for every figure of the book: sizes that fit the text column, type that stays readable when a phone
shrinks the figure to its screen, and PNGs at twice the pixels of their displayed size (sharp on dense screens).

A chapter calls :func:`use_book_style` once, after its imports; every figure it then draws takes the style.
"""

from __future__ import annotations

from typing import Any

import matplotlib

__all__ = ["BOOK_STYLE", "FIGURE_SIZE", "use_book_style"]

FIGURE_SIZE: tuple[float, float] = (6.4, 3.8)
"""A figure's size in inches: at 100 dots an inch, 640 px wide, the width of the book's text column."""

BOOK_STYLE: dict[str, Any] = {
    "figure.figsize": FIGURE_SIZE,
    "figure.dpi": 100,
    "figure.constrained_layout.use": True,
    "font.size": 12,
    "axes.titlesize": 12,
    "axes.labelsize": 12,
    "legend.fontsize": 10.5,
    "xtick.labelsize": 10.5,
    "ytick.labelsize": 10.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.which": "both",
    "grid.alpha": 0.3,
    "lines.linewidth": 1.8,
    "legend.frameon": False,
}
"""The matplotlib settings of the book's figures (see :func:`use_book_style`)."""


def use_book_style() -> None:
    """Apply :data:`BOOK_STYLE` to matplotlib and, in a notebook, show figures as PNGs at twice their pixels
    (IPython's "retina" format: the image is stored at 2x and displayed at its nominal size)."""
    matplotlib.rcParams.update(BOOK_STYLE)
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # outside a notebook environment: the style alone
        return
    if get_ipython() is not None:
        set_matplotlib_formats("retina")
