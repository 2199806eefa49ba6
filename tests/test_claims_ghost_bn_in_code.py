"""The ghost batch size sweep's claims: each size against BatchNorm is reported, never asserted; the small batch
is expected ahead of every size, on every stored seed."""

from __future__ import annotations

from pathlib import Path

from gapbook.claims import Stores, claims_of, evaluate
from gapbook.claims.catalog.ghost_bn_in_code import GHOST_SIZES, ghost_runs

BOOK_RESULTS = Path(__file__).resolve().parents[1] / "book" / "results"


def test_ghost_batches_of_128_are_the_rows_gbn_column_and_one_ghost_batch_its_lr_column() -> None:
    stores = Stores([BOOK_RESULTS])
    assert stores.runs(ghost_runs(128), "mini") and stores.runs(ghost_runs(None), "mini")
    assert all(stores.runs(ghost_runs(g), "mini") for g in GHOST_SIZES)


def test_the_knob_is_reported_and_the_gap_expected() -> None:
    chapter = claims_of("ghost_bn_in_code")
    assert {c.expect.kind for c in chapter if c.key.startswith("ghost_knob_")} == {"report"}
    verdicts = [evaluate(c, Stores([BOOK_RESULTS])) for c in chapter if c.key.startswith("ghost_gap_")]
    assert len(verdicts) == len(GHOST_SIZES) + 1 and all(v.holds for v in verdicts)
