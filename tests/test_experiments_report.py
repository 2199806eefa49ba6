"""What a chapter shows about a row: column settings, the stored runs per column, phase-end distances, the row table."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest

from gapbook.book import COLUMN_COLORS, FIGURE_SIZE, ROW_QUANTITIES, plot_longer_sb, plot_row
from gapbook.experiments import (
    COLUMN_KEYS,
    ROW_KEYS,
    ResultStore,
    column_settings,
    extrapolated_seconds,
    experiment_config,
    longer_sb_config,
    longer_sb_factors,
    phase_end_distance,
    render,
    row,
    row_markdown,
    row_runs,
    samples_per_second,
    scale,
    settings_markdown,
    stored_longer_sb,
    write_synthetic_data,
)
from gapbook.train import train


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(write_synthetic_data(tmp_path_factory.mktemp("synthetic")))


def test_the_mnist_mini_settings_are_the_ones_the_chapters_describe() -> None:
    settings = {s.column: s for s in column_settings("mnist-f1", "mini")}
    assert [s for s in settings] == list(COLUMN_KEYS)
    assert (settings["SB"].batch, settings["SB"].updates, settings["SB"].peak_lr) == (128, 2340, 0.1)
    assert (settings["LB"].batch, settings["LB"].updates, settings["LB"].ghost_batch_size) == (2048, 145, None)
    assert settings["+LR"].peak_lr == pytest.approx(0.4, rel=1e-12)
    assert settings["+GBN"].ghost_batch_size == 128 and settings["+GBN"].updates == 145
    assert (settings["+RA"].epochs, settings["+RA"].updates) == (80, 2320)


@pytest.mark.parametrize("key", ROW_KEYS)
def test_the_full_settings_follow_the_paper(key: str) -> None:
    entry = row(key)
    settings = {s.column: s for s in column_settings(key, "full")}
    base_peak = max(phase.lr for phase in entry.regime.phases)
    assert settings["SB"].batch == entry.small_batch and settings["LB"].batch == entry.large_batch
    assert settings["LB"].peak_lr == pytest.approx(base_peak, rel=1e-12)
    assert settings["+LR"].peak_lr == pytest.approx(base_peak * math.sqrt(entry.large_batch / entry.small_batch))
    assert settings["+GBN"].ghost_batch_size == entry.ghost_batch_size
    adaptation = math.ceil(entry.large_batch / entry.small_batch)
    assert settings["+RA"].epochs == pytest.approx(adaptation * settings["LB"].epochs)
    images = settings["SB"].train_images
    assert settings["+RA"].updates == round(settings["+RA"].epochs * (images // entry.large_batch))


def test_subsets_count_their_own_images() -> None:
    chosen = scale("cifar10-c1", "mini")
    settings = column_settings("cifar10-c1", "mini")
    assert {s.train_images for s in settings} == {chosen.train_size} == {16384}
    assert [s.updates for s in settings] == [2048, 256, 256, 256, 2048]


def test_the_smoke_profile_has_no_settings_table() -> None:
    with pytest.raises(ValueError, match="mini or full"):
        column_settings("mnist-f1", "smoke")


def test_the_settings_table_has_a_line_per_profile_and_column() -> None:
    text = settings_markdown("cifar10-c1")
    lines = text.strip().splitlines()
    assert "`mini` profile, 16,384 training images:" in lines and "`full` profile, 50,000 training images:" in lines
    assert "| +RA | 1,024 | 128 | 0.02828 | 128 | 2,048 |" in lines
    assert "| LB | 4,096 | — | 0.01 | 200 | 2,400 |" in lines
    assert sum(line.startswith("| ") for line in lines) == 2 * (1 + len(COLUMN_KEYS))  # a narrow table per profile
    assert text.startswith(settings_markdown("cifar10-c1", "mini")) and text.endswith(settings_markdown("cifar10-c1", "full"))


def test_runs_are_gathered_per_column_and_seed(tmp_path: Path, data_root: str) -> None:
    store = ResultStore(tmp_path, "smoke")
    for seed in (1, 0):
        store.save(train(experiment_config("mnist-f1", "LB", "smoke", seed=seed, data_root=data_root, progress=False)))
    runs = row_runs(tmp_path, "mnist-f1", "smoke")
    assert list(runs) == ["LB"] and [r.config["seed"] for r in runs["LB"]] == [0, 1]
    assert row_runs(tmp_path, "cifar10-c1", "smoke") == {}


def test_the_phase_end_distance_is_the_last_logged_point_of_the_first_learning_rate(data_root: str) -> None:
    result = train(experiment_config("mnist-f1", "SB", "smoke", data_root=data_root, progress=False))
    end = phase_end_distance(result)
    iterations = result.distance["iterations"]
    assert end.phase_updates == round(result.effective_regime["phases"][1]["epoch"] * result.steps_per_epoch)
    assert end.iteration == max(t for t in iterations if t <= end.phase_updates)
    assert end.distance == pytest.approx(result.distance["distances"][iterations.index(end.iteration)])
    assert 0 < end.distance


def test_the_row_table_shows_one_row_and_marks_missing_results(tmp_path: Path) -> None:
    text = row_markdown(tmp_path, "cifar10-c1", "mini")
    assert "C1 on CIFAR-10" in text and "F1 on MNIST" not in text and "`cifar10-c1`" in text
    assert "| `mini` |" in text and text.count("| — |") == len(COLUMN_KEYS)
    assert "decoded from JPEG" in text
    assert "decoded from JPEG" not in row_markdown(tmp_path, "mnist-f1", "mini")


def test_the_row_figure_draws_every_column_given_in_three_panels(tmp_path: Path, data_root: str) -> None:
    runs = {
        key: [train(experiment_config("mnist-f1", key, "smoke", seed=seed, data_root=data_root, progress=False))
              for seed in (0, 1)]
        for key in ("SB", "+RA")
    }  # fmt: skip
    for quantity in ROW_QUANTITIES:
        figure = plot_row(runs, "smoke", quantity)
        (ax,) = figure.axes
        assert ax.get_xscale() == "log" and ax.get_ylabel() == ROW_QUANTITIES[quantity]
        assert tuple(figure.get_size_inches()) == FIGURE_SIZE  # fits the book's text column
        assert [text.get_text() for text in ax.get_legend().get_texts()] == ["SB", "+RA"]
    means = [line for line in ax.get_lines() if line.get_label() == "+RA"]
    assert len(means) == 1 and means[0].get_color() == COLUMN_COLORS["+RA"]
    assert means[0].get_xdata()[-1] == runs["+RA"][0].distance["iterations"][-1]
    figure.savefig(tmp_path / "row.png")
    assert (tmp_path / "row.png").stat().st_size > 0


def test_sb_is_trained_longer_by_doubling_factors_up_to_the_sample_matched_control() -> None:
    assert longer_sb_factors("mnist-f1", "mini") == [1, 2, 4, 8, 16]
    assert longer_sb_factors("cifar10-c1", "mini") == [1, 2, 4, 8]
    for key in ROW_KEYS:
        for profile in ("smoke", "mini", "full"):
            factors = longer_sb_factors(key, profile)
            assert factors[0] == 1 and factors[-1] == scale(key, profile).batches.adaptation
            assert all(b == 2 * a for a, b in zip(factors[:-2], factors[1:-1], strict=True))


def test_the_stored_longer_sb_runs_are_read_by_factor_and_missing_ones_plotted_as_missing(
    tmp_path: Path, data_root: str
) -> None:
    store = ResultStore(tmp_path, "smoke")
    trained = {
        (factor, seed): train(longer_sb_config("mnist-f1", "smoke", factor, seed=seed, data_root=data_root,
                                               progress=False))
        for factor, seed in ((1, 0), (4, 0))
    }  # fmt: skip
    for result in trained.values():
        store.save(result)
    longer = stored_longer_sb(store, "mnist-f1", "smoke")
    assert list(longer) == longer_sb_factors("mnist-f1", "smoke") == [1, 2, 4]
    assert [r.config_hash for r in longer[4]] == [trained[4, 0].config_hash] and longer[2] == []
    assert [r.config_hash for r in longer[1]] == [trained[1, 0].config_hash]

    adapted = [train(experiment_config("mnist-f1", "+RA", "smoke", data_root=data_root, progress=False))]
    sb_epochs = trained[1, 0].regime.epochs
    figure = plot_longer_sb(longer, adapted, sb_epochs)
    (ax,) = figure.axes
    assert tuple(figure.get_size_inches()) == FIGURE_SIZE and ax.get_xscale() == "log"
    texts = [text.get_text() for text in ax.texts]
    assert texts == ["not stored yet: factor(s) 2"]
    (errorbar,) = ax.containers
    assert list(errorbar.lines[0].get_xdata()) == [sb_epochs, 4 * sb_epochs]
    assert list(errorbar.lines[0].get_ydata()) == pytest.approx(
        [100 * trained[1, 0].final_test_acc, 100 * trained[4, 0].final_test_acc])
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend[0].startswith(f"+RA: {adapted[0].regime.epochs:g} epochs at B = {adapted[0].batch_size}")
    assert legend[1] == "SB trained longer (mean ± std)"
    assert ax.get_xlabel() == f"epochs of SB (B = {trained[1, 0].batch_size})"


def test_the_row_figure_refuses_an_unknown_column() -> None:
    with pytest.raises(ValueError, match="unknown column"):
        plot_row({"XL": []}, "nothing")
    with pytest.raises(ValueError, match="unknown quantity 'loss'"):
        plot_row({}, "nothing", "loss")


def test_speed_is_samples_over_wall_time_and_the_estimate_scales_it_to_the_full_row(data_root: str) -> None:
    results = [train(experiment_config("mnist-f1", "SB", "smoke", seed=s, data_root=data_root, progress=False))
               for s in (0, 1)]  # fmt: skip
    speeds = [samples_per_second(r) for r in results]
    assert speeds[0] == pytest.approx(results[0].iterations * 2 / results[0].wall_time)
    estimate = extrapolated_seconds("mnist-f1", {"SB": results})
    full_sb = next(s for s in column_settings("mnist-f1", "full") if s.column == "SB")
    assert list(estimate) == ["SB"]
    assert estimate["SB"] == pytest.approx(full_sb.updates * full_sb.batch / (sum(speeds) / 2))
    with pytest.raises(ValueError, match="no run"):
        extrapolated_seconds("mnist-f1", {"LB": []})


def test_short_runs_are_labelled_cost_only_in_the_table(tmp_path: Path, data_root: str) -> None:
    assert scale("cifar10-vgg", "mini").cost_only and not scale("cifar10-resnet44", "mini").cost_only
    assert not scale("cifar10-c1", "mini").cost_only and not scale("cifar10-vgg", "full").cost_only
    assert "†" not in row_markdown(tmp_path, "cifar10-vgg", "mini")
    config = experiment_config("cifar10-vgg", "SB", "mini", data_root=data_root, progress=False)
    result = train(experiment_config("cifar10-vgg", "SB", "smoke", data_root=data_root, progress=False))
    stored = dataclasses.replace(result, config=config.to_dict(), config_hash=config.config_hash())
    ResultStore(tmp_path, "mini").save(stored)  # a smoke run filed as the mini SB run, for the label only
    text = row_markdown(tmp_path, "cifar10-vgg", "mini")
    assert "(n=1) † |" in text and "† A short run that measures cost" in text
    lines = {tuple(line.split(",")[:4]): line for line in render(tmp_path, "mini", "csv").splitlines()}
    assert lines["cifar10-vgg", "VGG", "cifar10", "SB"].endswith(",true")
    assert lines["cifar10-c1", "C1", "cifar10", "SB"].endswith(",false")
