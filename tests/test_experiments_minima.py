"""The sharpness of the minima of stored runs, measured from their kept weights and stored beside their results."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch

from gapbook.cli import main
from gapbook.experiments import ResultStore, reproduce
from gapbook.experiments.minima import MinimaStore, MinimumSettings, measure_minimum
from gapbook.sharpness import cross_entropy_loss, lanczos
from gapbook.train import initial_model


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, synthetic_root: str) -> tuple[Path, Path]:
    """mnist-f1 SB and LB at smoke, with their final weights kept; returns (results dir, weights dir)."""
    base = tmp_path_factory.mktemp("minima")
    reproduce("mnist-f1", "smoke", columns=["SB", "LB"], results_dir=base / "results", data_root=synthetic_root,
              progress=False, weights_dir=base / "weights", echo=lambda line: None)  # fmt: skip
    return base / "results", base / "weights"


def test_a_measurement_is_the_sharpness_of_the_kept_weights(trained: tuple[Path, Path], synthetic_root: str) -> None:
    results, weights = trained
    (run, *_) = ResultStore(results, "smoke").results()
    kept = next(weights.glob(f"*{run.config_hash[:12]}.pt"))
    settings = MinimumSettings(samples=40, eigenvalues=2, max_iter=20, steps=3)
    measured = measure_minimum(run, kept, settings, data_root=synthetic_root)
    assert measured.config_hash == run.config_hash and measured.seed == run.seed
    assert len(measured.eigenvalues) == 2 and measured.eigenvalues[0] >= measured.eigenvalues[1]
    assert measured.epsilon_sharpness >= 0 and measured.loss > 0 and measured.settings["samples"] == 40
    # The same numbers by hand: the kept weights, the same sample, the same Lanczos.
    from gapbook.data import eval_loader, load_arrays

    model = initial_model(run.train_config)
    model.load_state_dict(torch.load(kept, weights_only=True))
    data = load_arrays("mnist", root=synthetic_root)
    sample = data.subset(len(data.y_train), seed=0)  # 40 asked, the synthetic split has fewer: all of it
    x, y = next(iter(eval_loader(sample, len(sample.y_train), split="train")))
    by_hand = lanczos(model, cross_entropy_loss(x, y), 2, tol=settings.tol, max_iter=20)
    assert measured.eigenvalues == pytest.approx(list(by_hand.eigenvalues), rel=1e-6)


def test_the_command_measures_every_run_once_and_stores_it(
    trained: tuple[Path, Path], synthetic_root: str, capsys: pytest.CaptureFixture[str]
) -> None:
    results, weights = trained
    args = ["minima", "mnist-f1", "--profile", "smoke", "--weights", str(weights), "--results-dir", str(results),
            "--samples", "40", "--data-root", synthetic_root]  # fmt: skip
    assert main(args) == 0
    assert capsys.readouterr().out.count("top eigenvalue") == 2
    minima = MinimaStore(results, "smoke")
    for run in ResultStore(results, "smoke").results():
        measured = minima.lookup(run)
        assert measured is not None and measured.result_name == minima.path(run).name
    assert main(args) == 0 and capsys.readouterr().out.count(": measured") == 2  # nothing measured twice


def test_a_measurement_of_another_run_is_refused(trained: tuple[Path, Path]) -> None:
    results, _ = trained
    minima = MinimaStore(results, "smoke")
    first, second = ResultStore(results, "smoke").results()
    measured = minima.lookup(first)
    if measured is None:
        pytest.skip("the command test measures first")
    path = minima.path(second)
    backup = path.read_text()
    path.write_text(json.dumps({**dataclasses.asdict(measured), "result_name": path.name}))
    try:
        with pytest.raises(ValueError, match="measures the run with hash"):
            minima.lookup(second)
    finally:
        path.write_text(backup)


def test_missing_weights_are_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["minima", "mnist-f1", "--profile", "smoke", "--weights", str(tmp_path / "none"), "--results-dir",
            str(tmp_path)]  # fmt: skip
    assert main(args) == 2 and "is not a folder of kept weights" in capsys.readouterr().err
