"""The summary's own claim reads the runs stored apart, under a sub-folder of each results folder."""

from __future__ import annotations

from pathlib import Path

from gapbook.claims import Runs, Stores, Welch, claim, evaluate
from gapbook.claims.catalog.table1_summary import DRIFT, InSubfolder

BOOK_RESULTS = Path(__file__).resolve().parents[1] / "book" / "results"
GAP = Welch(Runs.column("mnist-f1", "SB"), Runs.column("mnist-f1", "LB"))


def test_a_sub_folder_measure_reads_the_runs_under_that_sub_folder_only() -> None:
    stores = Stores([BOOK_RESULTS])
    apart = InSubfolder(GAP, DRIFT)
    assert apart.samples(stores, "mini") == GAP.samples(Stores([BOOK_RESULTS / DRIFT]), "mini")
    assert apart.samples(stores, "mini") != GAP.samples(stores, "mini")  # another thread count, other numbers
    assert apart.unit == GAP.unit and apart.describe().endswith(f"under {DRIFT}/")


def test_a_sub_folder_missing_from_a_folder_gives_no_runs_and_no_claim(tmp_path: Path) -> None:
    verdict = evaluate(claim("f1_mini_gap_two_threads"), Stores([tmp_path]))
    assert verdict.interval is None and verdict.holds is None and not verdict.fragile
