"""What the chapters print: folded to the page, means and intervals said one way."""

from __future__ import annotations

import pytest

from gapbook.book import WIDTH, interval_text, mean_std, precisions_text, say, wrapped
from gapbook.stats import enough_for_interval, welch_interval

LONG = "the weights drift from their initialization only logarithmically in time " * 4


def test_wrapped_folds_to_the_page_with_the_given_indents() -> None:
    lines = wrapped(LONG, indent="- ", hanging="  ").splitlines()
    assert len(lines) > 1 and all(len(line) <= WIDTH == 79 for line in lines)
    assert lines[0].startswith("- the") and all(line.startswith("  ") for line in lines[1:])
    assert " ".join(line[2:] for line in lines) == LONG.strip()
    assert all(line.startswith("  ") for line in wrapped(LONG).splitlines())


def test_say_prints_a_hanging_paragraph(capsys: pytest.CaptureFixture[str]) -> None:
    say(LONG)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("the weights") and all(line.startswith("    ") for line in lines[1:])
    assert max(map(len, lines)) <= WIDTH


def test_mean_std_says_each_count_of_values() -> None:
    assert mean_std([]) == "missing" and mean_std([], missing="—") == "—"
    assert mean_std([98.4]) == "98.40 (n=1)"
    assert mean_std([1.0, 2.0, 3.0]) == "2.00 ± 1.00 (n=3)"


def test_interval_text_says_the_difference_in_the_unit_asked() -> None:
    difference = welch_interval([1.0, 2.0, 3.0], [0.0, 1.0, 1.0])
    assert str(difference).startswith("+1.33 points, 95% interval [-0.72, +3.38]")
    assert interval_text(difference).startswith("  +1.33 points, 95% interval")
    assert interval_text(difference, "%").startswith("  +1.33 %, 95% interval")
    assert interval_text(difference, "").startswith("  +1.33, 95% interval")
    assert "not shown at this scale" in interval_text(difference).replace("\n  ", " ")


def test_an_interval_needs_two_values_in_every_sample() -> None:
    assert enough_for_interval([1, 2], [3, 4, 5]) and enough_for_interval()
    assert not enough_for_interval([1, 2], [3])
    assert not enough_for_interval([])


def test_the_precisions_of_an_experiment_name_their_seeds() -> None:
    class Run:
        def __init__(self, seed: int, precision: str) -> None:
            self.seed, self.precision = seed, precision

    runs = [Run(2, "bf16"), Run(0, "fp32"), Run(1, "bf16")]
    assert precisions_text(runs) == "float32: seed 0; bfloat16: seeds 1 and 2"
    assert precisions_text([Run(3, "fp32")]) == "float32: seed 3"
    assert precisions_text([]) == "no run"
