"""The sweep's claims: a scaling slope and a speed-up read from the sweep's own store, no interval where a run
never reached its target, leave-one-seed-out across every batch of a range, and a two-sided "about perfect"."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from gapbook.claims import Stores, claims_of, evaluate
from gapbook.claims.catalog.steps_to_target import ABOUT_PERFECT, HIGH, LOW, StepsSlope, StepsSpeedup
from gapbook.experiments.steps import scaling_slope, speedup

BOOK_RESULTS = Path(__file__).resolve().parents[1] / "book" / "results"
PERFECT = ((800.0, 1000.0, 1200.0), (400.0, 500.0, 600.0), (200.0, 250.0, 300.0))


def test_the_slope_is_the_sweeps_least_squares_slope_over_every_run() -> None:
    measure = StepsSlope("sqrt", (128, 256, 512), "test_acc")
    found = measure.interval(PERFECT, 0.95)
    expected = scaling_slope(dict(zip((128, 256, 512), PERFECT)))
    assert found is not None and found.estimate == pytest.approx(-1.0)
    assert (found.low, found.high, found.n) == (pytest.approx(expected.low), pytest.approx(expected.high), (9,))


def test_a_run_that_never_reached_the_target_leaves_no_interval() -> None:
    censored = (PERFECT[0], PERFECT[1], (200.0, 250.0, math.inf))
    assert StepsSlope("sqrt", (128, 256, 512), "test_acc").interval(censored, 0.95) is None
    assert StepsSpeedup(("sqrt", 128), ("sqrt", 256), "test_acc").interval(censored[1:], 0.95) is None


def test_leave_one_seed_out_drops_that_seed_at_every_batch() -> None:
    variants = list(StepsSlope("sqrt", (128, 256, 512), "test_acc").leave_one_out(PERFECT))
    assert len(variants) == 3
    assert variants[0] == ((1000.0, 1200.0), (500.0, 600.0), (250.0, 300.0))


def test_the_speedup_is_the_sweeps_welch_interval_on_log2_updates() -> None:
    found = StepsSpeedup(("sqrt", 128), ("sqrt", 256), "test_acc").interval(PERFECT[:2], 0.95)
    expected = speedup(*PERFECT[:2])
    assert found is not None and found.estimate == pytest.approx(1.0)
    assert (found.low, found.high) == (pytest.approx(expected.low), pytest.approx(expected.high))


def test_about_perfect_is_two_sided_and_disclosed_as_fixed_after() -> None:
    assert ABOUT_PERFECT.fixed == "after"
    steep = StepsSlope("sqrt", (128, 256), "test_acc").interval(((1000.0, 1010.0, 990.0), (120.0, 121.0, 119.0)), 0.95)
    assert steep is not None and steep.high < -1.25 and ABOUT_PERFECT.holds(steep) is False


def test_the_chapters_claims_read_the_sweeps_store() -> None:
    stores = Stores([BOOK_RESULTS])
    verdicts = {c.key: evaluate(c, stores) for c in claims_of("steps_to_target")}
    low, high = verdicts["steps_low_sqrt_test"], verdicts["steps_high_none_test"]
    assert low.n == (3 * len(LOW),) and high.n == (3 * len(HIGH),)
    assert low.loo_total == 3  # one variant per seed left out
    assert verdicts["steps_epochs_none"].n == (3, 3)
