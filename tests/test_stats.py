"""Welch's interval of a difference of means: against textbook values and scipy's own test, and its edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from gapbook.stats import Sample, welch_interval


def test_the_interval_matches_scipys_welch_test() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(98.4, 0.06, 5), rng.normal(98.1, 0.15, 3)
    difference = welch_interval(a, b)
    expected = scipy_stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert difference.low == pytest.approx(expected.low, rel=1e-10)
    assert difference.high == pytest.approx(expected.high, rel=1e-10)
    assert difference.estimate == pytest.approx(a.mean() - b.mean())


def test_a_hand_computed_case() -> None:
    # means 5 and 0, variances 1 and 1, n = 3 each: se = sqrt(2/3), df = 4, t(0.975, 4) = 2.7764451
    difference = welch_interval([4.0, 5.0, 6.0], [-1.0, 0.0, 1.0])
    half = 2.7764451051977987 * math.sqrt(2 / 3)
    assert difference.df == pytest.approx(4.0)
    assert (difference.low, difference.high) == pytest.approx((5 - half, 5 + half))
    assert difference.shown and difference.positive


def test_an_interval_that_includes_zero_is_not_shown() -> None:
    difference = welch_interval([98.1, 98.3, 98.2], [98.15, 98.35, 98.05])
    assert difference.low < 0 < difference.high and not difference.shown and not difference.positive
    assert "not shown at this scale" in str(difference) and "95% interval" in str(difference)


def test_a_negative_difference_is_shown_but_not_positive() -> None:
    difference = welch_interval([1.0, 1.1, 0.9], [2.0, 2.1, 1.9])
    assert difference.shown and not difference.positive and difference.high < 0


def test_a_wider_confidence_gives_a_wider_interval() -> None:
    a, b = [1.0, 1.5, 2.0, 1.2], [0.0, 0.4, 0.3]
    narrow, wide = welch_interval(a, b, 0.9), welch_interval(a, b, 0.99)
    assert wide.low < narrow.low < narrow.high < wide.high


def test_two_constant_samples_give_the_difference_itself() -> None:
    difference = welch_interval([2.0, 2.0], [1.0, 1.0])
    assert (difference.low, difference.high, difference.df) == (1.0, 1.0, math.inf)


@pytest.mark.parametrize(
    ("a", "b", "confidence", "message"),
    [
        ([1.0], [1.0, 2.0], 0.95, "at least 2 values"),
        ([1.0, 2.0], [], 0.95, "at least 2 values"),
        ([1.0, float("nan")], [1.0, 2.0], 0.95, "must be finite"),
        ([1.0, 2.0], [1.0, 2.0], 1.0, "strictly between 0 and 1"),
        ([1.0, 2.0], [1.0, 2.0], 0.0, "strictly between 0 and 1"),
    ],
)
def test_bad_samples_are_refused(a: list[float], b: list[float], confidence: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        welch_interval(a, b, confidence)


def test_a_sample_prints_mean_std_and_n() -> None:
    assert str(Sample.of([1.0, 2.0, 3.0])) == "2.00 ± 1.00 (n=3)"


def test_the_unit_is_printed_as_asked() -> None:
    assert str(welch_interval([1.0, 2.0], [0.0, 0.5])).startswith("+1.25 points, 95% interval")
    assert str(welch_interval([1.0, 2.0], [0.0, 0.5], unit="")).startswith("+1.25, 95% interval")
    assert "+1.25 nats" in str(welch_interval([1.0, 2.0], [0.0, 0.5], unit="nats"))
