"""Claims on the course of a run (gapbook.claims.course): metrics read at an epoch or an update, and the change
between two points of the same runs, checked on the book's stored F1 runs at mini."""

from __future__ import annotations

from pathlib import Path

import pytest

from gapbook.claims import Paired, Runs, Stores
from gapbook.claims.course import (
    Within,
    distance_at_update,
    distance_growth,
    accuracy_at_epoch,
    accuracy_at_update,
)

BOOK_RESULTS = Path(__file__).resolve().parents[1] / "book" / "results"
F1 = "mnist-f1"


@pytest.fixture(scope="module")
def stores() -> Stores:
    return Stores([BOOK_RESULTS])


def test_accuracy_at_an_epoch_reads_that_epochs_evaluation(stores: Stores) -> None:
    run = stores.runs(Runs.column(F1, "+RA"), "mini")[0]
    evaluated = [e for e in run.epochs if e.test_acc is not None]
    assert accuracy_at_epoch(evaluated[0].epoch)(run) == pytest.approx(100 * evaluated[0].test_acc)
    assert accuracy_at_epoch(evaluated[-1].epoch)(run) == pytest.approx(100 * run.final_test_acc)
    not_evaluated = next(e.epoch for e in run.epochs if e.test_acc is None)
    assert accuracy_at_epoch(not_evaluated)(run) is None


def test_accuracy_at_an_update_allows_a_large_batch_to_fall_a_little_short(stores: Stores) -> None:
    sb = stores.runs(Runs.column(F1, "SB"), "mini")[0]
    ra = stores.runs(Runs.column(F1, "+RA"), "mini")[0]
    first_sb, first_ra = (next(e for e in r.epochs if e.test_acc is not None) for r in (sb, ra))
    assert first_ra.iteration < first_sb.iteration  # 464 against 468
    metric = accuracy_at_update(first_sb.iteration)
    assert metric(sb) == pytest.approx(100 * first_sb.test_acc)
    assert metric(ra) == pytest.approx(100 * first_ra.test_acc)
    assert accuracy_at_update(first_sb.iteration, within=0.001)(ra) is None


def test_distance_at_a_logged_update_is_the_logged_distance(stores: Stores) -> None:
    run = stores.runs(Runs.column(F1, "SB"), "mini")[0]
    log = run.distance_log
    assert distance_at_update(log.iterations[3])(run) == pytest.approx(log.distances[3])
    assert distance_at_update(10 * log.iterations[-1])(run) is None


def test_distance_growth_is_the_rise_per_epoch(stores: Stores) -> None:
    run = stores.runs(Runs.column(F1, "+RA"), "mini")[0]
    at = {e.epoch: e.distance for e in run.epochs}
    assert distance_growth(0, 10)(run) == pytest.approx(at[10] / 10)
    assert distance_growth(30, 40)(run) == pytest.approx((at[40] - at[30]) / 10)
    assert distance_growth(30, 10_000)(run) is None
    with pytest.raises(ValueError, match="first < last"):
        distance_growth(10, 10)


def test_within_is_the_paired_interval_of_the_per_seed_changes(stores: Stores) -> None:
    ra = Runs.column(F1, "+RA")
    measure = Within(ra, accuracy_at_epoch(48), accuracy_at_epoch(32), "epoch 48 − epoch 32")
    (changes,) = measure.samples(stores, "mini")
    runs = stores.runs(ra, "mini")
    assert len(changes) == len(runs) >= 2
    expected = [accuracy_at_epoch(48)(r) - accuracy_at_epoch(32)(r) for r in runs]
    assert changes == pytest.approx(expected)
    interval = measure.interval((changes,), 0.95)
    assert interval == Paired(ra, ra).interval((changes,), 0.95)
    assert interval.low < sum(changes) / len(changes) < interval.high
    assert all(len(variant[0]) == len(changes) - 1 for variant in measure.leave_one_out((changes,)))
    assert measure.interval((changes[:1],), 0.95) is None
