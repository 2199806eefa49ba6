"""The book's figure tools: one style at twice the pixels, the forest of verdicts, the finals of a row, the explorer
over a row's runs, and listings without their argument checks."""

from __future__ import annotations

import dataclasses

import matplotlib

matplotlib.use("Agg")

import pytest
from matplotlib.colors import to_hex

from gapbook.book import (
    BOOK_STYLE,
    COLUMN_COLORS,
    RunsExplorer,
    essential_source,
    listing,
    plot_finals,
    plot_forest,
    use_book_style,
)
from gapbook.claims import Interval, NOT_SHOWN, SHOWN_ABOVE, claim
from gapbook.claims.claim import Verdict
from gapbook.experiments import experiment_config, write_synthetic_data
from gapbook.random_walk import BrownianPotential
from gapbook.train import RunResult, train


def verdict(key: str, low: float, high: float, unit: str = "points") -> Verdict:
    interval = Interval((low + high) / 2, low, high, (5, 5), 0.95, "Welch", unit)
    status = SHOWN_ABOVE if low > 0 else NOT_SHOWN
    return Verdict(claim(key), interval, None, status, None, 0, 10)


def test_the_book_style_is_applied_to_matplotlib() -> None:
    use_book_style()
    assert all(matplotlib.rcParams[key] == value for key, value in BOOK_STYLE.items() if key != "figure.figsize")
    assert tuple(matplotlib.rcParams["figure.figsize"]) == BOOK_STYLE["figure.figsize"]


def test_a_forest_draws_each_interval_and_greys_what_is_not_shown() -> None:
    verdicts = [verdict("f1_mini_gap", 0.1, 0.4), verdict("f1_mini_lr", -0.2, 0.3)]
    figure = plot_forest(verdicts, ["the gap", "+LR − LB"], title="F1")
    ax = figure.axes[0]
    bars = [line for line in ax.lines if len(line.get_xdata()) == 2 and line.get_linewidth() > 2]
    assert sorted(tuple(bar.get_xdata()) for bar in bars) == [(-0.2, 0.3), (0.1, 0.4)]
    colors = {tuple(bar.get_xdata()): to_hex(bar.get_color()) for bar in bars}
    assert colors[(0.1, 0.4)] != colors[(-0.2, 0.3)] == "#8c8c8c"
    assert [tick.get_text() for tick in ax.get_yticklabels()] == ["+LR − LB", "the gap"]  # first verdict on top
    assert "points" in ax.get_xlabel()
    words = [tick.get_text() for tick in ax.child_axes[0].get_yticklabels()]  # the right-hand axis
    assert words == [f"{NOT_SHOWN}, n = 5 and 5", f"{SHOWN_ABOVE}, n = 5 and 5"]


def test_a_forest_refuses_mixed_units_and_wrong_labels() -> None:
    with pytest.raises(ValueError, match="mix units"):
        plot_forest([verdict("f1_mini_gap", 0.1, 0.4), verdict("f1_mini_lr", 0.1, 0.2, unit="")])
    with pytest.raises(ValueError, match="one label per verdict"):
        plot_forest([verdict("f1_mini_gap", 0.1, 0.4)], ["a", "b"])
    with pytest.raises(ValueError, match="at least one"):
        plot_forest([])


def test_a_missing_interval_is_written_as_missing() -> None:
    missing = dataclasses.replace(verdict("f1_mini_gap", 0.1, 0.4), interval=None, status="too few runs")
    ax = plot_forest([missing]).axes[0]
    assert [text.get_text() for text in ax.texts] == ["missing"]
    assert [tick.get_text() for tick in ax.child_axes[0].get_yticklabels()] == ["too few runs"]


def _checked(n: int, rule: str = "sqrt") -> int:
    """A function with argument checks, for the listing test."""
    _positive_int("n", n)  # noqa: F821 (never run: only its source is read)
    if rule not in ("sqrt", "linear"):
        raise ValueError(rule)
    if rule == "sqrt":
        return n * 2
    else:
        raise ValueError("unreachable")


def test_a_listing_leaves_out_the_argument_checks_and_keeps_the_logic() -> None:
    source = essential_source(_checked)
    assert "_positive_int" not in source and "raise ValueError(rule)" not in source
    assert source.count("checks of the arguments left out") == 1  # one comment for a run of checks
    assert 'if rule == "sqrt":' in source and 'raise ValueError("unreachable")' in source  # a branch of the logic
    with pytest.raises(ValueError, match="private"):
        listing(_checked)
    public = BrownianPotential.sample
    assert "_positive_int" in listing(public, essential=False).data
    assert "_positive_int" not in listing(public).data


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[RunResult]]:
    """Two seeds of SB and one of LB, at smoke, on synthetic data."""
    root = str(write_synthetic_data(tmp_path_factory.mktemp("synthetic")))

    def run(column: str, seed: int) -> RunResult:
        return train(experiment_config("mnist-f1", column, "smoke", seed=seed, data_root=root, progress=False))

    return {"SB": [run("SB", 0), run("SB", 1)], "LB": [run("LB", 0)]}


def test_the_finals_show_every_seed_and_the_papers_values(runs: dict[str, list[RunResult]]) -> None:
    ax = plot_finals(runs, "smoke", {"SB": 98.0, "LB": 97.0, "+RA": 98.5}).axes[0]
    dots = {to_hex(line.get_color()): len(line.get_xdata()) for line in ax.lines if line.get_marker() == "o"}
    assert dots == {to_hex(COLUMN_COLORS["SB"]): 2, to_hex(COLUMN_COLORS["LB"]): 1}
    diamonds = [line.get_ydata()[0] for line in ax.lines if line.get_marker() == "D"]
    assert diamonds == pytest.approx([2.0, 3.0, 1.5])
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["SB", "LB", "+RA"]
    assert [text.get_text() for text in ax.texts] == ["no run"]  # +RA has the paper's value but no run


def test_the_explorer_filters_and_carries_a_sharp_static_view(runs: dict[str, list[RunResult]]) -> None:
    explorer = RunsExplorer(runs, "smoke")
    assert explorer.seeds == [0, 1]
    one_seed = explorer.figure(["SB"], [1], "train_error", "linear").axes[0]
    assert one_seed.get_yscale() == "linear" and len(one_seed.lines) == 2  # the mean and the one seed
    data, metadata = explorer._repr_mimebundle_()
    png = data["image/png"]
    assert isinstance(png, bytes) and png[:8] == b"\x89PNG\r\n\x1a\n"  # bytes: a notebook output can store it
    assert int.from_bytes(png[16:20], "big") >= 2 * metadata["image/png"]["width"] - 1
    assert "application/vnd.jupyter.widget-view+json" in data
    panel = explorer.widget()
    image = panel.children[-1]
    first = image.value
    panel.children[0].children[3].value = "linear"  # the y-axis toggle redraws the image
    assert image.value[:8] == b"\x89PNG\r\n\x1a\n" and image.value != first
    with pytest.raises(ValueError, match="scale"):
        explorer.figure(scale="cubic")
    empty = RunsExplorer({"SB": []}, "empty")
    assert [text.get_text() for text in empty.figure().texts] == ["empty: no stored run yet"]
