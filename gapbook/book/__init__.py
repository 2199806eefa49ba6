"""What the book's chapters use beyond the package's mechanisms: curves of runs over seeds and their figures."""

from .curves import AXES, METRICS, Curve, distance_curve, metric_curve, plot_curve

__all__ = ["AXES", "METRICS", "Curve", "distance_curve", "metric_curve", "plot_curve"]
