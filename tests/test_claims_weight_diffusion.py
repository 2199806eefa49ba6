"""The weight_diffusion chapter's measures: a statistic of two experiments at the last update both logged (as a
difference or a percentage), and a statistic of each run of one experiment with its t interval."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from gapbook.claims import Runs, Stores, claim, evaluate
from gapbook.claims.catalog.weight_diffusion import Between, WithinRuns, distance_at, last_logged
from gapbook.stats import welch_interval

BOOK_RESULTS = Path(__file__).resolve().parents[1] / "book" / "results"
SB, LB = Runs.column("mnist-f1", "SB"), Runs.column("mnist-f1", "LB")


def test_a_relative_interval_is_welch_on_the_logs_as_a_percentage() -> None:
    measure = Between(LB, SB, distance_at, "distance", relative=True)
    a, b = (4.0, 4.4, 4.2), (10.0, 10.5, 9.8)
    found = measure.interval((a, b), 0.95)
    d = welch_interval(np.log(a), np.log(b))
    assert found is not None and found.unit == "%" and found.n == (3, 3)
    assert found.estimate == pytest.approx(100 * (math.exp(d.estimate) - 1))
    assert (found.low, found.high) == pytest.approx((100 * (math.exp(d.low) - 1), 100 * (math.exp(d.high) - 1)))
    assert found.high < 0  # a ratio below 1 is a percentage below zero


def test_a_plain_difference_and_too_few_runs() -> None:
    measure = Between(LB, SB, distance_at, "distance")
    found = measure.interval(((1.0, 2.0, 3.0), (0.0, 1.0, 1.0)), 0.95)
    assert found is not None and found.unit == "" and found.estimate == pytest.approx(4 / 3)
    assert measure.interval(((1.0,), (0.0, 1.0)), 0.95) is None


def test_within_runs_is_a_one_sample_t_interval() -> None:
    measure = WithinRuns(SB, last_logged, "last update")
    found = measure.interval(((1.0, 2.0, 3.0),), 0.95)
    assert found is not None and found.estimate == pytest.approx(2.0) and found.n == (3,)
    assert found.high - 2.0 == pytest.approx(4.302653 / math.sqrt(3), rel=1e-5)  # t(0.975, 2) * sd / sqrt(n)
    assert measure.interval(((1.0,),), 0.95) is None


def test_the_slope_claim_reads_every_stored_seed_at_the_last_shared_update(tmp_path: Path) -> None:
    store = tmp_path / "store"
    (store / "mini").mkdir(parents=True)
    for pattern in ("f1-mnist-b128-*.json", "f1-mnist-b2048-*.json"):
        for path in (BOOK_RESULTS / "mini").glob(pattern):
            shutil.copy(path, store / "mini" / path.name)
    stores = Stores([store])
    slope = claim("wd_mini_slope_lb")
    sb, lb = slope.measure.samples(stores, "mini")
    assert len(sb) == len(stores.runs(SB, "mini")) and len(lb) == len(stores.runs(LB, "mini"))
    verdict = evaluate(slope, stores)
    assert verdict.interval is not None and verdict.holds  # the small batch's slope is steeper
