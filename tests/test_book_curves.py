"""Curves over seeds: shared points kept, unmeasured epochs skipped, mean and sample std, mismatches refused."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from gapbook.book.curves import METRICS, Curve, distance_curve, metric_curve, plot_curve
from gapbook.experiments import experiment_config, write_synthetic_data
from gapbook.train import RunResult, train


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[RunResult]]:
    """Two seeds of SB and one of +RA, at smoke, on synthetic data."""
    root = str(write_synthetic_data(tmp_path_factory.mktemp("synthetic")))

    def run(column: str, seed: int) -> RunResult:
        return train(experiment_config("mnist-f1", column, "smoke", seed=seed, data_root=root, progress=False))

    return {"SB": [run("SB", 0), run("SB", 1)], "+RA": [run("+RA", 0)]}


def test_a_metric_curve_stacks_the_seeds_and_averages_them(runs: dict[str, list[RunResult]]) -> None:
    curve = metric_curve(runs["SB"], "train_loss", x="iteration")
    assert curve.seeds == (0, 1)
    assert curve.x.tolist() == [epoch.iteration for epoch in runs["SB"][0].epochs]
    expected = np.array([[epoch.train_loss for epoch in result.epochs] for result in runs["SB"]])
    np.testing.assert_allclose(curve.values, expected)
    np.testing.assert_allclose(curve.mean, expected.mean(axis=0))
    np.testing.assert_allclose(curve.std, expected.std(axis=0, ddof=1))
    np.testing.assert_allclose(curve.at(curve.x[-1]), expected[:, -1])
    np.testing.assert_allclose(curve.map(lambda v: 2 * v).values, 2 * expected)
    with pytest.raises(ValueError, match="no point"):
        curve.at(-1)


def test_epochs_without_the_metric_are_skipped(runs: dict[str, list[RunResult]]) -> None:
    result = runs["+RA"][0]
    evaluated = [epoch.epoch for epoch in result.epochs if epoch.test_acc is not None]
    assert len(evaluated) < len(result.epochs)  # +RA evaluates every few epochs only
    curve = metric_curve([result], "test_acc")
    assert curve.x.tolist() == evaluated
    assert np.all(curve.std == 0)


def test_runs_measured_at_different_points_are_refused(runs: dict[str, list[RunResult]]) -> None:
    with pytest.raises(ValueError, match="different points"):
        metric_curve([runs["SB"][0], runs["+RA"][0]], "train_acc")
    with pytest.raises(ValueError, match="unknown metric"):
        metric_curve(runs["SB"], "accuracy")
    with pytest.raises(ValueError, match="x must be"):
        metric_curve(runs["SB"], "train_acc", x="seconds")
    with pytest.raises(ValueError, match="at least one run"):
        metric_curve([], "train_acc")
    assert "test_acc" in METRICS and "epoch" not in METRICS


def test_the_distance_curve_follows_the_distance_log(runs: dict[str, list[RunResult]]) -> None:
    curve = distance_curve(runs["SB"])
    log = runs["SB"][1].distance
    assert curve.x.tolist() == log["iterations"]
    np.testing.assert_allclose(curve.values[1], log["distances"])


def test_plot_curve_draws_each_seed_the_mean_and_a_band() -> None:
    curve = Curve(np.arange(4), np.array([[1.0, 2, 3, 4], [2, 3, 4, 5], [0, 1, 2, 3]]), (0, 1, 2))
    fig, ax = plt.subplots()
    line = plot_curve(ax, curve, label="three seeds", color="C1")
    assert len(ax.lines) == 4 and len(ax.collections) == 1
    np.testing.assert_allclose(line.get_ydata(), [1, 2, 3, 4])
    assert line.get_label() == "three seeds"
    plt.close(fig)


def test_plain_log_ticks_label_a_log_axis_with_plain_numbers() -> None:
    from gapbook.book import plain_log_ticks

    fig, ax = plt.subplots()
    ax.set_yscale("log")
    plain_log_ticks(ax.yaxis)
    major, minor = ax.yaxis.get_major_formatter(), ax.yaxis.get_minor_formatter()
    assert [major(value, 0) for value in (1, 10, 100)] == ["1", "10", "100"]
    assert [minor(value, 0) for value in (2, 3, 5, 20, 40)] == ["2", "", "5", "20", ""]
    plt.close(fig)
