"""The sharpness chapter's claims: the minima store's measurements, compared column against column by Welch."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gapbook.claims import Stores, claim, evaluate
from gapbook.claims.catalog.sharpness import MinimaWelch
from gapbook.experiments import MinimaStore
from gapbook.stats import welch_interval

BOOK_RESULTS = Path(__file__).resolve().parents[1] / "book" / "results"
TOP = claim("sh_lb_sb_top")


def _copy(tmp_path: Path, with_minima: bool) -> Path:
    """The stored mini runs of SB and LB (batches 128 and 2048), with or without their measurements."""
    store = tmp_path / "store"
    (store / "mini" / "minima").mkdir(parents=True)
    for pattern in ("f1-mnist-b128-*.json", "f1-mnist-b2048-*.json"):
        for path in (BOOK_RESULTS / "mini").glob(pattern):
            shutil.copy(path, store / "mini" / path.name)
            minimum = BOOK_RESULTS / "mini" / "minima" / path.name
            if with_minima and minimum.exists():
                shutil.copy(minimum, store / "mini" / "minima" / path.name)
    return store


def test_the_measure_is_welch_on_the_measured_seeds(tmp_path: Path) -> None:
    store = _copy(tmp_path, with_minima=True)
    stores = Stores([store])
    measure = TOP.measure
    assert isinstance(measure, MinimaWelch)
    lb, sb = measure.samples(stores, "mini")
    minima = MinimaStore(store, "mini")
    expected = [minima.lookup(r).top_eigenvalue for r in stores.runs(measure.b, "mini")]
    assert sorted(sb) == pytest.approx(sorted(expected)) and len(lb) >= 2
    verdict = evaluate(TOP, stores)
    d = welch_interval(lb, sb)
    assert verdict.interval is not None
    assert (verdict.interval.low, verdict.interval.high) == pytest.approx((d.low, d.high))
    assert verdict.n == (len(lb), len(sb))


def test_runs_without_measurements_give_no_interval(tmp_path: Path) -> None:
    verdict = evaluate(TOP, Stores([_copy(tmp_path, with_minima=False)]))
    assert verdict.interval is None and verdict.holds is None
