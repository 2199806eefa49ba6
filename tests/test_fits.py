"""Tests for the growth-law fits of the weight distance."""

from __future__ import annotations

import numpy as np
import pytest

from gapbook.fits import Fit, compare_fits, fit_log, fit_log_power, fit_power, fit_sqrt

T = np.unique(np.round(np.logspace(0, 4, 80)))


def test_fit_log_recovers_coefficients_and_beats_sqrt() -> None:
    d = 2.0 + 3.0 * np.log(T)
    fit = fit_log(T, d)
    assert fit.name == "log"
    assert fit.parameters["a"] == pytest.approx(2.0)
    assert fit.parameters["b"] == pytest.approx(3.0)
    assert fit.r2 == pytest.approx(1.0)
    assert fit_sqrt(T, d).r2 < fit.r2 - 0.1


def test_fit_sqrt_recovers_coefficients_and_beats_log() -> None:
    d = 5.0 * np.sqrt(T)
    fit = fit_sqrt(T, d)
    assert fit.parameters["a"] == pytest.approx(0.0, abs=1e-8)
    assert fit.parameters["b"] == pytest.approx(5.0)
    assert fit.r2 == pytest.approx(1.0)
    assert fit_log(T, d).r2 < fit.r2 - 0.1


def test_fit_power_recovers_exponent() -> None:
    d = 0.7 * T**0.35
    fit = fit_power(T, d)
    assert fit.parameters["c"] == pytest.approx(0.7)
    assert fit.parameters["p"] == pytest.approx(0.35)
    assert fit.r2 == pytest.approx(1.0)


def test_fit_log_power_recovers_beta() -> None:
    t = T[T > 1]
    d = 1.5 * np.log(t) ** 2
    fit = fit_log_power(t, d)
    assert fit.parameters["c"] == pytest.approx(1.5)
    assert fit.parameters["beta"] == pytest.approx(2.0)
    assert fit.r2 == pytest.approx(1.0)


def test_r2_is_computed_on_d_not_on_the_log_scale() -> None:
    rng = np.random.default_rng(0)
    d = 0.7 * T**0.35 * np.exp(rng.normal(0.0, 0.2, T.size))
    fit = fit_power(T, d)
    predicted = fit.predict(T)
    expected = 1.0 - np.sum((d - predicted) ** 2) / np.sum((d - d.mean()) ** 2)
    assert fit.r2 == pytest.approx(expected)
    log_d = np.log(d)
    log_scale_r2 = 1.0 - np.sum((log_d - np.log(predicted)) ** 2) / np.sum(
        (log_d - log_d.mean()) ** 2
    )
    assert fit.r2 != pytest.approx(log_scale_r2)


def test_predict_evaluates_the_formula() -> None:
    fit = fit_log(T, 2.0 + 3.0 * np.log(T))
    assert fit.predict([1.0, np.e]) == pytest.approx([2.0, 5.0])
    assert fit.formula == "d = a + b log t"


def test_fit_is_frozen_and_reports_its_points() -> None:
    fit = fit_sqrt(T, np.sqrt(T))
    assert isinstance(fit, Fit)
    assert fit.n_points == T.size
    assert fit.t_range == (1.0, 10000.0)
    assert "R^2" in str(fit)
    with pytest.raises(AttributeError):
        fit.r2 = 0.0  # type: ignore[misc]


def test_compare_fits_returns_all_laws_on_the_same_points() -> None:
    fits = compare_fits(T, 2.0 + 3.0 * np.log(T))
    assert set(fits) == {"log", "sqrt", "power", "log_power"}
    assert {fit.n_points for fit in fits.values()} == {int((T > 1).sum())}
    assert all(fit.t_range[0] > 1 for fit in fits.values())
    assert max(fits.values(), key=lambda fit: fit.r2).name in {"log", "log_power"}
    assert fits["log_power"].parameters["beta"] < 1.2


def test_compare_fits_range_decides_the_winner() -> None:
    # log growth up to t = 100, then sqrt growth continuing from the same value and slope
    t = np.arange(2.0, 10001.0)
    slope = 3.0 / 100.0 * 2.0 * np.sqrt(100.0)
    d = np.where(t <= 100, 3.0 * np.log(t), 3.0 * np.log(100.0) + slope * (np.sqrt(t) - 10.0))
    early = compare_fits(t, d, t_max=100)
    late = compare_fits(t, d, t_min=1000)
    assert early["log"].r2 > early["sqrt"].r2
    assert late["sqrt"].r2 == pytest.approx(1.0)
    assert late["sqrt"].r2 > late["log"].r2
    assert late["sqrt"].t_range == (1000.0, 10000.0)
    assert early["log"].n_points == 99


@pytest.mark.parametrize(
    ("t", "d", "message"),
    [
        ([1.0, 2.0, 3.0], [1.0, 2.0], "same length"),
        ([1.0, 2.0], [1.0, 2.0], "at least 3 points"),
        ([1.0, np.nan, 3.0], [1.0, 2.0, 3.0], "finite"),
        ([1.0, 2.0, 3.0], [1.0, np.inf, 3.0], "finite"),
        ([2.0, 2.0, 2.0], [1.0, 2.0, 3.0], "distinct"),
        ([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]], "one-dimensional"),
    ],
)
def test_invalid_series_are_rejected(t: list, d: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fit_sqrt(t, d)


def test_domain_errors_name_the_requirement() -> None:
    with pytest.raises(ValueError, match="t > 0"):
        fit_log([0.0, 1.0, 2.0], [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="t >= 0"):
        fit_sqrt([-1.0, 1.0, 2.0], [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="t > 0"):
        fit_power([0.0, 1.0, 2.0], [1.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="d > 0"):
        fit_power([1.0, 2.0, 3.0], [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="t > 1"):
        fit_log_power([1.0, 2.0, 3.0], [1.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="d > 0"):
        fit_log_power([2.0, 3.0, 4.0], [1.0, -1.0, 2.0])


def test_compare_fits_rejects_bad_ranges() -> None:
    d = np.sqrt(T)
    with pytest.raises(ValueError, match="must not exceed"):
        compare_fits(T, d, t_min=100, t_max=10)
    with pytest.raises(ValueError, match="widen the range"):
        compare_fits(T, d, t_min=2, t_max=3)
