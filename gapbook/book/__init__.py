"""What the book's chapters use beyond the package's mechanisms: where the book and its results are, the setup cell
that brings them into a fresh runtime, curves of runs over seeds and their figures, and printed text folded to
the page, numbers glued into the prose, differences drawn as a forest, and one style for every figure."""

from .colab import REPOSITORY_VARIABLE, setup_cell
from .curves import AXES, METRICS, Curve, distance_curve, error_percent, metric_curve, plot_curve
from .glue import VERDICT_FIELDS, glue_text, glue_verdict
from .explorer import RunsExplorer, live_figure, png_of
from .figures import COLUMN_COLORS, ROW_QUANTITIES, plain_log_ticks, plot_finals, plot_longer_sb, plot_row
from .forest import plot_forest
from .listing import essential_source, listing
from .style import BOOK_STYLE, FIGURE_SIZE, use_book_style
from .paths import BOOK_VARIABLE, book_root, results_dir
from .text import WIDTH, interval_text, mean_std, precisions_text, say, wrapped

__all__ = [
    "AXES",
    "BOOK_STYLE",
    "BOOK_VARIABLE",
    "COLUMN_COLORS",
    "FIGURE_SIZE",
    "METRICS",
    "REPOSITORY_VARIABLE",
    "ROW_QUANTITIES",
    "VERDICT_FIELDS",
    "WIDTH",
    "Curve",
    "RunsExplorer",
    "book_root",
    "distance_curve",
    "error_percent",
    "essential_source",
    "glue_text",
    "glue_verdict",
    "interval_text",
    "listing",
    "live_figure",
    "mean_std",
    "metric_curve",
    "plain_log_ticks",
    "plot_curve",
    "plot_finals",
    "plot_forest",
    "plot_longer_sb",
    "plot_row",
    "png_of",
    "precisions_text",
    "results_dir",
    "say",
    "setup_cell",
    "use_book_style",
    "wrapped",
]
