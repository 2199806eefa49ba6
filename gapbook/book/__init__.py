"""What the book's chapters use beyond the package's mechanisms: where the book and its results are, the setup cell
that brings them into a fresh runtime, curves of runs over seeds and their figures."""

from .colab import REPOSITORY_VARIABLE, setup_cell
from .curves import AXES, METRICS, Curve, distance_curve, error_percent, metric_curve, plot_curve
from .figures import COLUMN_COLORS, ROW_QUANTITIES, plot_row
from .listing import listing
from .paths import BOOK_VARIABLE, book_root, results_dir

__all__ = [
    "AXES",
    "BOOK_VARIABLE",
    "COLUMN_COLORS",
    "METRICS",
    "REPOSITORY_VARIABLE",
    "ROW_QUANTITIES",
    "Curve",
    "book_root",
    "distance_curve",
    "error_percent",
    "listing",
    "metric_curve",
    "plot_curve",
    "plot_row",
    "results_dir",
    "setup_cell",
]
