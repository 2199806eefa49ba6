"""The claims registry: verdicts in the book's three words, equivalence only by two one-sided tests, the
leave-one-seed-out check, extra runs entering every verdict, and glued numbers that follow the store."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from gapbook.claims import (
    CLAIMS,
    NOT_SHOWN,
    SHOWN_ABOVE,
    SHOWN_BELOW,
    Claim,
    Expect,
    Interval,
    Runs,
    Stores,
    Welch,
    changes,
    claim,
    evaluate,
    status_of,
)
from gapbook.claims.cli import run_claims
from gapbook.cli import main
from gapbook.train import RunResult, result_filename

BOOK_RESULTS = Path(__file__).resolve().parents[1] / "book" / "results"
GAP = claim("f1_mini_gap")


def interval(low: float, high: float) -> Interval:
    return Interval((low + high) / 2, low, high, (5, 5), 0.95, "Welch")


def test_status_words_follow_the_interval_and_never_say_equal() -> None:
    assert status_of(interval(0.1, 0.4)) == SHOWN_ABOVE
    assert status_of(interval(-0.4, -0.1)) == SHOWN_BELOW
    assert status_of(interval(-0.1, 0.4)) == NOT_SHOWN


@pytest.mark.parametrize(
    ("expect", "low", "high", "holds"),
    [
        (Expect("above"), 0.01, 1.0, True),
        (Expect("above"), -0.01, 1.0, False),
        (Expect("below", threshold=1.0), 0.2, 0.9, True),
        (Expect("band", band=(-1.2, -0.8)), -1.1, -0.9, True),
        (Expect("band", band=(-1.2, -0.8)), -3.0, -0.9, False),  # a slope of -3 is not "about -1"
        (Expect("equivalent", margin=0.5), -0.3, 0.4, True),
        (Expect("equivalent", margin=0.5), -0.3, 0.6, False),
        (Expect("report"), -0.3, 0.6, None),
    ],
)
def test_expectations(expect: Expect, low: float, high: float, holds: bool | None) -> None:
    assert expect.holds(interval(low, high)) is holds


def test_an_expectation_in_brief_says_what_and_when() -> None:
    assert Expect("above").brief() == "> 0, before"
    assert Expect("band", band=(-1.25, -0.75), fixed="after").brief() == "in [−1.25, −0.75], after"
    assert Expect("equivalent", margin=0.5).brief() == "within ±0.5, before"
    assert Expect("report").brief() == "—"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "sideways"}, "unknown expectation"),
        ({"kind": "band", "band": (1.0, -1.0)}, "low < high"),
        ({"kind": "equivalent"}, "margin > 0"),
        ({"kind": "above", "fixed": "during"}, "before"),
    ],
)
def test_bad_expectations_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Expect(**kwargs)


def test_every_claim_has_a_unique_key_a_chapter_and_a_profile() -> None:
    keys = [c.key for c in CLAIMS]
    assert len(keys) == len(set(keys))
    chapters = {p.stem for p in (BOOK_RESULTS.parent).glob("*.ipynb")}
    assert all(c.chapter in chapters for c in CLAIMS), {c.chapter for c in CLAIMS} - chapters
    assert all(c.profile in ("mini", "full") for c in CLAIMS)


def test_a_claim_key_must_be_gluable() -> None:
    with pytest.raises(ValueError, match="letters, digits"):
        dataclasses.replace(GAP, key="gap::mini")


def _copy_store(tmp_path: Path, *patterns: str) -> Path:
    """A results store in ``tmp_path`` holding the stored mini runs of the patterns' files."""
    store = tmp_path / "store"
    (store / "mini").mkdir(parents=True)
    for pattern in patterns:
        for path in (BOOK_RESULTS / "mini").glob(pattern):
            shutil.copy(path, store / "mini" / path.name)
    return store


def _runs(store: Path, column: str) -> list[RunResult]:
    return Stores([store]).runs(Runs.column("mnist-f1", column), "mini")


def _write(result: RunResult, folder: Path, **changes: object) -> Path:
    """``result`` with its config or metrics changed, written where a store keeps it."""
    data = result.to_dict()
    data["config"].update(changes.pop("config", {}))
    data.update(changes)
    config = RunResult.from_dict({**data, "config_hash": "0" * 64}).train_config
    data["config_hash"] = config.config_hash()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / result_filename(config)
    path.write_text(json.dumps(data))
    return path


def test_the_verdict_matches_welch_on_the_stored_runs(tmp_path: Path) -> None:
    store = _copy_store(tmp_path, "f1-mnist-b128-*.json", "f1-mnist-b2048-*.json")
    verdict = evaluate(GAP, Stores([store]))
    sb = [100 * r.final_test_acc for r in _runs(store, "SB")]
    lb = [100 * r.final_test_acc for r in _runs(store, "LB")]
    assert verdict.interval is not None and verdict.n == (len(sb), len(lb))
    assert verdict.interval.estimate == pytest.approx(sum(sb) / len(sb) - sum(lb) / len(lb))
    assert verdict.status == status_of(verdict.interval)
    assert verdict.holds is (verdict.interval.low > 0)
    assert verdict.loo_total == len(sb) + len(lb)  # each seed of each side left out once


def test_too_few_runs_give_no_interval_and_no_claim(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    verdict = evaluate(GAP, Stores([empty]))
    assert verdict.interval is None and verdict.holds is None and verdict.text == "missing"
    assert "too few runs" in verdict.sentence


@dataclasses.dataclass(frozen=True)
class FixedSamples(Welch):
    """Welch's difference on given samples instead of stored runs."""

    given: tuple = ()

    def samples(self, stores: Stores, profile: str) -> tuple:
        return self.given


def test_a_verdict_that_one_seed_can_change_is_fragile(tmp_path: Path) -> None:
    lb = Runs.column("mnist-f1", "LB")
    fragile = FixedSamples(lb, lb, given=((1.0, 1.1, 1.2, 1.05), (0.0, 0.1, 0.05, 0.95)))
    verdict = evaluate(dataclasses.replace(GAP, measure=fragile), Stores([tmp_path]))
    assert verdict.holds is True and verdict.loo_total == 8
    assert verdict.loo_changes == 3 and verdict.fragile  # without either low b value, not shown
    robust = FixedSamples(lb, lb, given=((1.0, 1.1, 1.2, 1.05), (0.0, 0.1, 0.05, 0.08)))
    assert not evaluate(dataclasses.replace(GAP, measure=robust), Stores([tmp_path])).fragile


def test_extra_runs_enter_the_verdicts_and_the_changes_are_named(tmp_path: Path) -> None:
    store = _copy_store(tmp_path, "f1-mnist-b128-*.json", "f1-mnist-b2048-*.json")
    extra = tmp_path / "extra" / "mini"
    lb = _runs(store, "LB")[0]
    for seed in (11, 12, 13):  # new LB seeds as good as SB: the gap stops being shown
        _write(lb, extra, config={"seed": seed}, final_test_acc=0.9860)
    found = {c.before.claim.key: c for c in changes(Stores([store]), str(tmp_path / "extra"), [GAP])}
    change = found["f1_mini_gap"]
    assert change.after.n == (change.before.n[0], change.before.n[1] + 3)
    assert change.before.holds is True and change.changed
    assert change.after.status != SHOWN_ABOVE or change.after.holds is not True


def test_an_equivalence_claim_uses_the_90_percent_interval(tmp_path: Path) -> None:
    store = _copy_store(tmp_path, "f1-mnist-b2048-*.json")
    same = Welch(Runs.column("mnist-f1", "LB"), Runs.column("mnist-f1", "LB"))
    wide = Claim("lb_vs_lb", "table1_mnist", "mini", "LB − LB", same, Expect("equivalent", margin=5.0))
    narrow = dataclasses.replace(wide, expect=Expect("equivalent", margin=0.01))
    assert evaluate(wide, Stores([store])).status.startswith("equivalent within ±5.00")
    assert evaluate(wide, Stores([store])).equivalence.confidence == 0.90
    assert "nor equivalent" in evaluate(narrow, Stores([store])).status


def test_the_command_lists_verdicts_and_refuses_bad_folders(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    store = _copy_store(tmp_path, "f1-mnist-b128-*.json", "f1-mnist-b2048-*.json")
    assert main(["claims", "--results-dir", str(store), "--chapter", "table1_mnist", "--profile", "mini"]) == 0
    out = capsys.readouterr().out
    assert "`f1_mini_gap`" in out and "shown above zero" in out
    assert main(["claims", "--results-dir", str(tmp_path / "nowhere")]) == 2
    assert "is not a folder" in capsys.readouterr().out
    assert main(["claims", "--chapter", "no_such_chapter"]) == 2


def test_glued_numbers_follow_a_changed_stored_accuracy(tmp_path: Path) -> None:
    """A page that glues a verdict and pastes it: change a stored accuracy, re-execute, and the text changes."""
    store = _copy_store(tmp_path, "f1-mnist-b128-*.json", "f1-mnist-b2048-*.json")
    page = nbformat.v4.new_notebook()
    page.cells = [
        nbformat.v4.new_markdown_cell("The gap is {glue:text}`f1_mini_gap` ({glue:text}`f1_mini_gap_status`)."),
        nbformat.v4.new_code_cell(
            "from gapbook.book import glue_verdict\nfrom gapbook.claims import Stores, claim, evaluate\n"
            f"glue_verdict(evaluate(claim('f1_mini_gap'), Stores([{str(store)!r}])))"
        ),
    ]
    page.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}

    def rendered() -> str:
        NotebookClient(page, timeout=120, kernel_name="python3").execute()
        path = tmp_path / "page.ipynb"
        nbformat.write(page, path)
        html = subprocess.run(
            [str(Path(sys.executable).parent / "mystnb-docutils-html"), str(path)],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        return html

    before = rendered()
    expected = evaluate(GAP, Stores([store]))
    assert expected.text in before and expected.status in before
    sb = _runs(store, "SB")[0]
    _write(sb, store / "mini", final_test_acc=sb.final_test_acc - 0.02)  # one SB seed 2 points lower
    after = rendered()
    changed = evaluate(GAP, Stores([store]))
    assert changed.text != expected.text
    assert changed.text in after and expected.text not in after


def test_an_experiment_read_in_any_precision_takes_seeds_run_on_the_fast_path(tmp_path: Path) -> None:
    store = _copy_store(tmp_path, "f1-mnist-b128-*.json")
    sb = _runs(store, "SB")
    _write(sb[0], store / "mini", config={"seed": 99, "precision": "bf16"}, precision="bf16")
    anywise = dataclasses.replace(Runs.column("mnist-f1", "SB"), precision=None)
    assert [r.seed for r in Stores([store]).runs(anywise, "mini")] == [*(r.seed for r in sb), 99]
    assert 99 not in [r.seed for r in _runs(store, "SB")]  # float32 only, by default
