"""Curve fits for the growth of the weight distance d(t) = ||w_t - w_0||.

Section 3 of the paper compares two laws for how far the weights travel from their
initialization after t updates: a free random walk gives d ~ sqrt(t), while a random
walk on a random potential gives "ultra-slow diffusion", d ~ (log t)^(2/alpha), which for
the observed alpha ~ 2 is d ~ log t. These fits put numbers on that comparison. Every
fit reports R^2 on d itself, so fits made on a transformed scale stay comparable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

_MIN_POINTS = 3


def _log(t: np.ndarray, a: float, b: float) -> np.ndarray:
    return a + b * np.log(t)


def _sqrt(t: np.ndarray, a: float, b: float) -> np.ndarray:
    return a + b * np.sqrt(t)


def _power(t: np.ndarray, c: float, p: float) -> np.ndarray:
    return c * t**p


def _log_power(t: np.ndarray, c: float, beta: float) -> np.ndarray:
    return c * np.log(t) ** beta


_MODELS: dict[str, Callable[..., np.ndarray]] = {
    "log": _log,
    "sqrt": _sqrt,
    "power": _power,
    "log_power": _log_power,
}

_FORMULAS: dict[str, str] = {
    "log": "d = a + b log t",
    "sqrt": "d = a + b sqrt(t)",
    "power": "d = c t^p",
    "log_power": "d = c (log t)^beta",
}


@dataclass(frozen=True)
class Fit:
    """One fitted growth law: its parameters, R^2 on d, and the points it was fit to."""

    name: str
    formula: str
    parameters: dict[str, float]
    r2: float
    n_points: int
    t_range: tuple[float, float]

    def predict(self, t: ArrayLike) -> np.ndarray:
        """Evaluate the fitted law at iterations ``t``."""
        return _MODELS[self.name](np.asarray(t, dtype=np.float64), **self.parameters)

    def __str__(self) -> str:
        values = ", ".join(f"{key}={value:.4g}" for key, value in self.parameters.items())
        low, high = self.t_range
        return (
            f"{self.name}: {self.formula} with {values}; R^2 = {self.r2:.4f} "
            f"on {self.n_points} points, {low:g} <= t <= {high:g}"
        )


def _as_series(t: ArrayLike, d: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Validate and convert a (t, d) series to two float64 vectors."""
    t_arr = np.asarray(t, dtype=np.float64)
    d_arr = np.asarray(d, dtype=np.float64)
    if t_arr.ndim != 1 or d_arr.ndim != 1:
        raise ValueError(
            f"t and d must be one-dimensional, got shapes {t_arr.shape} and {d_arr.shape}; "
            "pass flat sequences such as tracker.iterations and tracker.distances"
        )
    if t_arr.shape != d_arr.shape:
        raise ValueError(
            f"t and d must have the same length, got {t_arr.size} and {d_arr.size}"
        )
    if t_arr.size < _MIN_POINTS:
        raise ValueError(
            f"a fit needs at least {_MIN_POINTS} points, got {t_arr.size}; "
            "record more iterations or widen the range"
        )
    if not (np.isfinite(t_arr).all() and np.isfinite(d_arr).all()):
        raise ValueError("t and d must be finite; drop NaN and infinite entries before fitting")
    if np.unique(t_arr).size < 2:
        raise ValueError("t must take at least two distinct values to fit a growth law")
    return t_arr, d_arr


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _r2(d: np.ndarray, predicted: np.ndarray) -> float:
    """Coefficient of determination of ``predicted`` against ``d``; NaN when d is constant."""
    ss_tot = float(np.sum((d - d.mean()) ** 2))
    if ss_tot == 0.0:
        return float("nan")
    return 1.0 - float(np.sum((d - predicted) ** 2)) / ss_tot


def _line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares intercept and slope of y = intercept + slope * x."""
    design = np.column_stack([np.ones_like(x), x])
    (intercept, slope), *_ = np.linalg.lstsq(design, y, rcond=None)
    return float(intercept), float(slope)


def _make_fit(name: str, parameters: dict[str, float], t: np.ndarray, d: np.ndarray) -> Fit:
    predicted = _MODELS[name](t, **parameters)
    return Fit(
        name=name,
        formula=_FORMULAS[name],
        parameters=parameters,
        r2=_r2(d, predicted),
        n_points=int(t.size),
        t_range=(float(t.min()), float(t.max())),
    )


def fit_log(t: ArrayLike, d: ArrayLike) -> Fit:
    """Least-squares fit of d = a + b log t (the paper's observed law); needs t > 0."""
    t_arr, d_arr = _as_series(t, d)
    _require(bool((t_arr > 0).all()), "fit_log needs t > 0 because it takes log t")
    a, b = _line(np.log(t_arr), d_arr)
    return _make_fit("log", {"a": a, "b": b}, t_arr, d_arr)


def fit_sqrt(t: ArrayLike, d: ArrayLike) -> Fit:
    """Least-squares fit of d = a + b sqrt(t) (a free random walk); needs t >= 0."""
    t_arr, d_arr = _as_series(t, d)
    _require(bool((t_arr >= 0).all()), "fit_sqrt needs t >= 0 because it takes sqrt(t)")
    a, b = _line(np.sqrt(t_arr), d_arr)
    return _make_fit("sqrt", {"a": a, "b": b}, t_arr, d_arr)


def fit_power(t: ArrayLike, d: ArrayLike) -> Fit:
    """Fit d = c t^p by least squares in log-log space; needs t > 0 and d > 0.

    p = 1/2 is a free random walk; a p that shrinks as the range grows hints at slower,
    logarithmic growth.
    """
    t_arr, d_arr = _as_series(t, d)
    _require(bool((t_arr > 0).all()), "fit_power needs t > 0 because it fits in log-log space")
    _require(
        bool((d_arr > 0).all()),
        "fit_power needs d > 0 because it fits in log-log space; drop points with d = 0 "
        "(for example t = 0)",
    )
    log_c, p = _line(np.log(t_arr), np.log(d_arr))
    return _make_fit("power", {"c": float(np.exp(log_c)), "p": p}, t_arr, d_arr)


def fit_log_power(t: ArrayLike, d: ArrayLike) -> Fit:
    """Fit d = c (log t)^beta, the ultra-slow diffusion law; needs t > 1 and d > 0.

    In the paper's random-potential model E||w_t - w_0||^2 ~ (log t)^(4/alpha), so
    beta = 2/alpha: beta ~ 1 for the observed alpha ~ 2, beta = 2 for Sinai's walk
    (alpha = 1). Fitted by least squares of log d against log log t.
    """
    t_arr, d_arr = _as_series(t, d)
    _require(
        bool((t_arr > 1).all()),
        "fit_log_power needs t > 1 because it takes log(log t); drop the points with t <= 1",
    )
    _require(
        bool((d_arr > 0).all()),
        "fit_log_power needs d > 0 because it fits log d; drop points with d = 0",
    )
    log_c, beta = _line(np.log(np.log(t_arr)), np.log(d_arr))
    return _make_fit("log_power", {"c": float(np.exp(log_c)), "beta": beta}, t_arr, d_arr)


def compare_fits(
    t: ArrayLike,
    d: ArrayLike,
    t_min: float | None = None,
    t_max: float | None = None,
) -> dict[str, Fit]:
    """Fit all four laws to the points with t_min <= t <= t_max; keys are the fit names.

    Points with t <= 1 are always left out, because (log t)^beta is zero or undefined
    there, so that every law is fit to the same points and the R^2 values compare. The
    range matters: early iterations can make log t win over a phase that is otherwise
    close to sqrt(t), so compare over the phase you mean (e.g. up to the first LR drop).
    """
    t_arr, d_arr = _as_series(t, d)
    if t_min is not None and t_max is not None and t_min > t_max:
        raise ValueError(f"t_min ({t_min}) must not exceed t_max ({t_max})")
    keep = t_arr > 1
    if t_min is not None:
        keep &= t_arr >= t_min
    if t_max is not None:
        keep &= t_arr <= t_max
    if int(keep.sum()) < _MIN_POINTS:
        raise ValueError(
            f"only {int(keep.sum())} points have t > 1 within [{t_min}, {t_max}]; a fit needs "
            f"at least {_MIN_POINTS}: widen the range or record more iterations"
        )
    t_in, d_in = t_arr[keep], d_arr[keep]
    return {
        "log": fit_log(t_in, d_in),
        "sqrt": fit_sqrt(t_in, d_in),
        "power": fit_power(t_in, d_in),
        "log_power": fit_log_power(t_in, d_in),
    }
