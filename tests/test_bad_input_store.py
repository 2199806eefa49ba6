"""The results store and the table cannot show a wrong number: invalid files are refused naming them, one
computation is one run, every seed counts once, and a table of diverged runs says so without crashing."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gapbook.cli import main
from gapbook.experiments import ResultStore, StoreError, experiment_config, render, run_config
from gapbook.train import RunResult, TrainConfig, result_filename


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory, synthetic_root: str) -> RunResult:
    """One real smoke run of mnist-f1 SB, as the store saved it."""
    store = ResultStore(tmp_path_factory.mktemp("store"), "smoke")
    config = experiment_config("mnist-f1", "SB", "smoke", data_root=synthetic_root, progress=False)
    result, action = run_config(config, store)
    assert action == "trained"
    return result


def store_with(tmp_path: Path, result: RunResult, edit: Callable[[dict[str, Any]], None] | None = None) -> Path:
    """A smoke store holding ``result``'s JSON, edited by ``edit``; returns the file's path."""
    path = tmp_path / "smoke" / result_filename(result.train_config)
    result.save(path)
    if edit is not None:
        data = json.loads(path.read_text())
        edit(data)
        path.write_text(json.dumps(data))
    return path


def _set(*keys: str | int, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        target = data
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return edit


INVALID: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "accuracy above 1": (_set("final_test_acc", value=1.5), "final_test_acc must be an accuracy in [0, 1]"),
    "negative accuracy": (_set("best_test_acc", value=-0.1), "best_test_acc must be an accuracy in [0, 1]"),
    "accuracy as text": (_set("final_test_acc", value="0.9"), "final_test_acc must be an accuracy"),
    "epoch accuracy above 1": (_set("epochs", 0, "test_acc", value=97.5), "epoch 1 test_acc must be an accuracy"),
    "train accuracy infinite": (_set("epochs", 0, "train_acc", value=1e999), "train_acc must be an accuracy"),
    "completed without accuracy": (_set("final_test_acc", value=None), "a completed run has a final test accuracy"),
    "diverged with accuracy": (_set("status", value="diverged"), "a diverged run records where it diverged"),
    "unknown status": (_set("status", value="finished"), "status must be one of completed, diverged"),
    "hash edited": (_set("config_hash", value="0" * 64), "records hash 000000000000"),
    "hash not a hash": (_set("config_hash", value="abc"), "config_hash must be 64 hex digits"),
    "config edited": (_set("config", "seed", value=99), "but its config hashes to"),
    "config field unknown": (_set("config", "batch", value=2), "unknown TrainConfig field"),
    "field missing": (lambda data: data.pop("wall_time"), "missing fields ['wall_time']"),
    "field unknown": (_set("accuracy", value=0.9), "unknown fields ['accuracy']"),
    "epochs not a list": (_set("epochs", value=3), "not a readable result"),
    "accuracy true": (_set("final_test_acc", value=True), "final_test_acc must be an accuracy in [0, 1]"),
    "wall time as text": (_set("wall_time", value="fast"), "wall_time must be a finite number of seconds >= 0"),
    "wall time infinite": (_set("wall_time", value=1e999), "wall_time must be a finite number of seconds"),
    "epoch lr negative": (_set("epochs", 0, "lr", value=-0.1), "epoch 1 lr must be a finite learning rate >= 0"),
    "epoch field missing": (lambda data: data["epochs"][0].pop("lr"), "epoch 1: 'lr' is a required property"),
    "distance negative": (_set("distance", "distances", 0, value=-1.0), "distance distances[0] must be a finite"),
    "iterations fractional": (_set("iterations", value=2.5), "iterations must be an int >= 0, got 2.5"),
    "world size zero": (_set("world_size", value=0), "world_size must be an int >= 1, got 0"),
    "precision unknown": (_set("precision", value="fp8"), "precision must be one of fp32, bf16, fp16"),
    "versions nested": (_set("versions", "torch", value={"major": 2}), "versions torch must be a string"),
    "created_at not a time": (_set("created_at", value="yesterday"), "created_at must be a time such as"),
    "divergence half told": (_set("diverged_at", value={"epoch": 1}), "diverged_at: 'iteration' is a required"),
    "regime edited": (_set("effective_regime", "phases", value="fast"), "regime phases must be a list"),
}


@pytest.mark.parametrize("case", INVALID)
def test_an_invalid_result_is_refused_naming_the_file(case: str, stored: RunResult, tmp_path: Path) -> None:
    edit, message = INVALID[case]
    path = store_with(tmp_path, stored, edit)
    with pytest.raises(StoreError) as error:
        ResultStore(tmp_path, "smoke").results()
    assert str(path) in str(error.value) and message in str(error.value)


def test_nan_in_a_result_file_is_refused(stored: RunResult, tmp_path: Path) -> None:
    path = store_with(tmp_path, stored)
    path.write_text(path.read_text().replace(f'"final_test_acc": {stored.final_test_acc}', '"final_test_acc": NaN'))
    with pytest.raises(StoreError, match="final_test_acc must be an accuracy"):
        ResultStore(tmp_path, "smoke").results()


@pytest.mark.parametrize("text", ["", "not json", "[]", '{"config": {}}', "null"])
def test_a_file_that_is_not_a_result_is_refused(text: str, tmp_path: Path) -> None:
    path = tmp_path / "smoke" / "f1-mnist-b2-000000000000.json"
    path.parent.mkdir()
    path.write_text(text)
    with pytest.raises(StoreError, match="is not a readable result"):
        ResultStore(tmp_path, "smoke").results()


def test_a_result_nested_too_deeply_is_refused_naming_the_file(stored: RunResult, tmp_path: Path) -> None:
    path = store_with(tmp_path, stored)
    deep = "[" * 100_000 + "]" * 100_000
    path.write_text(path.read_text().replace('"versions": {', f'"deep": {deep}, "versions": {{', 1))
    with pytest.raises(StoreError, match="is not a readable result .its JSON is nested too deeply") as error:
        ResultStore(tmp_path, "smoke").results()
    assert str(path) in str(error.value)


@pytest.mark.parametrize("command", ["table", "reproduce"])
@pytest.mark.parametrize("edit", ["accuracy true", "wall time as text"])
def test_table_and_reproduce_name_the_file_and_field_of_a_wrong_type(
    command: str, edit: str, stored: RunResult, synthetic_root: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    change, message = INVALID[edit]
    path = store_with(tmp_path, stored, change)
    args = [command, "--profile", "smoke", "--results-dir", str(tmp_path)]
    if command == "reproduce":
        args = [*args[:1], "mnist-f1", *args[1:], "--columns", "SB", "--data-root", synthetic_root, "--no-progress"]
    assert main(args) == 2
    error = capsys.readouterr().err
    assert "Traceback" not in error and len(error.strip().splitlines()) == 1
    assert str(path) in error and message in error


def test_a_renamed_result_is_refused(stored: RunResult, tmp_path: Path) -> None:
    path = store_with(tmp_path, stored)
    path.rename(path.with_name("f1-mnist-b2-111111111111.json"))
    with pytest.raises(StoreError, match="a result must keep the name its config gives"):
        ResultStore(tmp_path, "smoke").results()


def test_the_table_names_an_invalid_file_and_fails(
    stored: RunResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = store_with(tmp_path, stored, _set("final_test_acc", value=2.0))
    assert main(["table", "--profile", "smoke", "--results-dir", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert str(path) in error and "Traceback" not in error


def test_an_unknown_profile_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown profile 'huge'"):
        ResultStore(tmp_path, "huge")


# One computation, one run ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("alias", ["auto", "cpu", "cpu:0"])
def test_device_aliases_find_the_same_stored_run(alias: str, stored: RunResult, tmp_path: Path) -> None:
    store_with(tmp_path, stored)
    store = ResultStore(tmp_path, "smoke")
    config = stored.train_config.replace(device=alias, precision="auto")
    assert store.lookup(config) == store.results()[0]
    assert store.path(config) == store.path(stored.train_config)


def as_run_on(result: RunResult, device: str, precision: str, created_at: str) -> RunResult:
    """``result`` as if computed on another device or precision (a different computation, a new hash)."""
    config = result.train_config.replace(device=device, precision=precision)
    return dataclasses.replace(
        result, config=config.to_dict(), config_hash=config.config_hash(), created_at=created_at, precision=precision
    )


def test_a_seed_run_on_several_devices_counts_once(stored: RunResult, tmp_path: Path) -> None:
    other = as_run_on(stored, "cpu", "bf16", "2000-01-01T00:00:00+00:00")
    for result in (stored, other):
        store_with(tmp_path, result)
    store = ResultStore(tmp_path, "smoke")
    assert len(store.results()) == 2
    (runs,) = store.by_experiment().values()
    assert runs == [store.lookup(stored.train_config)]  # the run computed as this machine computes it
    assert store.runs_of(stored.train_config) == runs


def test_without_a_local_run_the_first_made_counts(stored: RunResult, tmp_path: Path) -> None:
    early = as_run_on(stored, "cpu", "bf16", "2000-01-01T00:00:00+00:00")
    late = as_run_on(stored, "cuda", "bf16", "2001-01-01T00:00:00+00:00")
    for result in (late, early):
        store_with(tmp_path, result)
    (runs,) = ResultStore(tmp_path, "smoke").by_experiment().values()
    assert [run.created_at for run in runs] == [early.created_at]


# The table with diverged runs -----------------------------------------------------------------------------------


def diverged(result: RunResult, seed: int) -> RunResult:
    config = result.train_config.replace(seed=seed)
    return dataclasses.replace(
        result, config=config.to_dict(), config_hash=config.config_hash(), status="diverged", final_test_acc=None,
        diverged_at={"epoch": 1, "iteration": 2, "reason": "loss not finite"},
    )  # fmt: skip


def test_a_cell_whose_runs_all_diverged_renders_in_both_formats(stored: RunResult, tmp_path: Path) -> None:
    for seed in (0, 1):
        store_with(tmp_path, diverged(stored, seed))
    markdown = render(tmp_path, "smoke", "markdown")
    assert "diverged (x2)" in markdown
    rows = [line for line in render(tmp_path, "smoke", "csv").splitlines() if line.startswith("mnist-f1,F1,mnist,SB")]
    assert len(rows) == 1 and ",,,0,2," in rows[0]  # no mean, no std, n = 0, 2 diverged


def test_diverged_is_shown_only_for_runs_that_diverged(stored: RunResult, tmp_path: Path) -> None:
    store_with(tmp_path, stored)
    assert "diverged" not in render(tmp_path, "smoke", "markdown")
    csv_row = [line for line in render(tmp_path, "smoke", "csv").splitlines() if ",SB," in line and "mnist" in line]
    assert csv_row[0].split(",")[10] == "0"


def test_a_result_holds_no_absolute_path(stored: RunResult, tmp_path: Path) -> None:
    path = store_with(tmp_path, stored)
    text = path.read_text()
    assert str(tmp_path) not in text and '"/' not in text
    assert RunResult.load(path).checkpoint_path == stored.checkpoint_path


def test_a_config_json_with_an_absolute_path_round_trips(tmp_path: Path) -> None:
    config = TrainConfig("f1", checkpoint_path=str(tmp_path / "x.pt"))
    assert TrainConfig.from_json(config.to_json()) == config
