"""The generalization gap chapter's claims: distances compared after equal updates, and per-run metrics."""

from __future__ import annotations

from pathlib import Path

import pytest

from gapbook.claims import Runs, Stores, claim, evaluate
from gapbook.claims.catalog.generalization_gap import epoch_error, final_distance, running_shortfall, train_test_gap
from gapbook.claims.distances import DistanceAtUpdates, end_update

BOOK_RESULTS = Path(__file__).resolve().parents[1] / "book" / "results"
SB, LB = Runs.column("mnist-f1", "SB"), Runs.column("mnist-f1", "LB")


@pytest.fixture(scope="module")
def stores() -> Stores:
    return Stores([BOOK_RESULTS])


def test_the_distance_after_equal_updates_reads_each_log_at_the_clock_runs_end(stores: Stores) -> None:
    sb, lb = stores.runs(SB, "mini"), stores.runs(LB, "mini")
    t = end_update(lb[0], "run")
    assert t == lb[0].iterations  # the large batch's last update
    a, b = DistanceAtUpdates(SB, LB, clock="b").samples(stores, "mini")
    assert a == tuple(r.distance_log.at(t) for r in sb)
    assert b == tuple(final_distance(r) for r in lb)
    assert min(a) > max(b)  # the small batch is further out after as many updates


def test_the_distance_at_the_phase_end_is_the_phase_end_distance(stores: Stores) -> None:
    from gapbook.experiments import phase_end_distance

    lb = stores.runs(LB, "mini")
    a, _ = DistanceAtUpdates(LB, SB, clock="a", at="phase").samples(stores, "mini")
    assert a == pytest.approx([phase_end_distance(r).distance for r in lb])


def test_a_distance_needs_a_known_clock_and_span() -> None:
    with pytest.raises(ValueError, match="clock"):
        DistanceAtUpdates(SB, LB, clock="c")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="clock"):
        DistanceAtUpdates(SB, LB, at="epoch")  # type: ignore[arg-type]


def test_no_runs_give_no_interval(tmp_path: Path) -> None:
    verdict = evaluate(claim("gg_distance_equal_updates"), Stores([tmp_path]))
    assert verdict.interval is None and verdict.holds is None


def test_per_run_metrics_read_the_stored_run(stores: Stores) -> None:
    run = stores.runs(SB, "mini")[0]
    assert epoch_error("train_acc", 1)(run) == pytest.approx(100 * (1 - run.epochs[0].train_acc))
    assert epoch_error("test_acc", len(run.epochs) + 1)(run) is None
    assert train_test_gap(run) == pytest.approx(100 * (run.final_train_acc - run.final_test_acc))
    assert running_shortfall(run) == pytest.approx(100 * (run.final_train_acc - run.epochs[-1].train_acc))
    assert final_distance(run) == run.distance_log.distances[-1]
