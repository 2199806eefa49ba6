"""``gapbook train``: documented options, a run that reports its result file, config replay, clear errors."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch

from gapbook.cli import main
from gapbook.train import RunResult, TrainConfig, result_filename
from train_support import regime, write_dataset


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(write_dataset(tmp_path_factory.mktemp("data"), "mnist", n_train=128, n_test=50))


def quick(data_root: str, output: Path, *extra: str) -> list[str]:
    """A two-epoch F1 run on the synthetic data."""
    return [
        "train", "--model", "f1", "--batch-size", "32", "--regime", json.dumps(regime().to_dict()),
        "--data-root", data_root, "--no-progress", "--output", str(output), *extra,
    ]  # fmt: skip


def written(out: str) -> Path:
    """The result path that a run printed."""
    (line,) = [line for line in out.splitlines() if line.startswith("result written to ")]
    return Path(line.removeprefix("result written to "))


def test_help_documents_every_config_field_with_its_default(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    lines: dict[str, str] = {}  # option -> its whole entry, continuation lines included
    for line in text.split("options:")[1].splitlines():
        if line.strip().startswith("-"):
            option = line.split()[0].rstrip(",")
            lines[option] = line
        elif line.strip():
            lines[option] += " " + line.strip()
    for field in dataclasses.fields(TrainConfig):
        option = "--" + field.name.replace("_", "-")
        assert option in lines and "(default: " in lines[option], option
    assert "(default: 128)" in lines["--batch-size"] and "(default: 5.0)" in lines["--grad-clip"]
    assert "(default: true)" in lines["--augment"] and "--no-augment" in lines["--augment"]
    assert "(default: results)" in lines["--output"] and "--config" in lines and "--resume" in lines
    assert "(default: PyTorch's)" in lines["--threads"]


def test_a_run_prints_where_its_result_is(data_root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(quick(data_root, tmp_path, "--profile", "smoke")) == 0
    path = written(capsys.readouterr().out)
    result = RunResult.load(path)
    config = TrainConfig.from_dict(result.config)
    assert path == tmp_path / result_filename(config) and result.profile == "smoke"
    assert config.batch_size == 32 and config.progress is False and config.regime == regime().to_dict()
    assert Path(result.checkpoint_path or "") == (tmp_path / path.name).with_suffix(".pt").resolve()


def test_a_saved_config_replays_and_options_beside_it_override(
    data_root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(quick(data_root, tmp_path / "first")) == 0
    original = RunResult.load(written(capsys.readouterr().out))
    saved = tmp_path / "first" / "run.json"
    saved.write_text(TrainConfig.from_dict(original.config).to_json())

    for source in (saved, tmp_path / "first" / result_filename(original.train_config)):  # a config or a result
        output = tmp_path / f"replay-{source.stem}"
        assert main(["train", "--config", str(source), "--output", str(output)]) == 0
        replayed = RunResult.load(written(capsys.readouterr().out))
        assert replayed.config_hash == original.config_hash
        assert [e.train_loss for e in replayed.epochs] == [e.train_loss for e in original.epochs]

    assert main(["train", "--config", str(saved), "--batch-size", "16", "--output", str(tmp_path / "b16")]) == 0
    changed = RunResult.load(written(capsys.readouterr().out))
    assert changed.config["batch_size"] == 16 and changed.config["regime"] == original.config["regime"]
    assert changed.config_hash != original.config_hash and changed.steps_per_epoch == 8


def test_print_config_shows_the_config_without_training(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["train", "--model", "f1", "--batch-size", "4096", "--base-batch-size", "128", "--ghost-batch-size", "128",
            "--regime-adaptation", "32", "--grad-clip", "none", "--output", str(tmp_path), "--print-config"]
    assert main(args) == 0
    config = TrainConfig.from_json(capsys.readouterr().out)
    assert (config.batch_size, config.base_batch_size, config.ghost_batch_size) == (4096, 128, 128)
    assert config.regime_adaptation == 32 and config.grad_clip is None and config.effective_regime().epochs == 1600
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "f9"], "unknown model 'f9'; known models: f1, c1"),
        (["--model", "f1", "--batch-size", "64", "--ghost-batch-size", "24"], "ghost_batch_size 24 does not divide"),
        (["--model", "f1", "--batch-size", "256"], "larger than the 128 training samples"),
        (["--batch-size", "64"], "needs a 'model'"),
        (["--model", "f1", "--config", "missing.json"], "--config missing.json: cannot read"),
        (["--model", "c1", "--dataset", "mnist"], "takes inputs of shape (3, 32, 32)"),
        (["--model", "f1", "--regime", "{\"epochs\": 3}"], "missing key(s) ['phases']"),
    ],
)
def test_bad_options_get_one_clear_line(
    data_root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code = main(["train", *args, "--data-root", data_root, "--no-progress", "--output", str(tmp_path)])
    error = capsys.readouterr().err
    assert code == 2 and error.startswith("gapbook train: error: ") and message in error
    assert "Traceback" not in error


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--batch-size", "many"], "argument --batch-size: invalid int value: 'many'"),
        (["--threads", "0"], "argument --threads: threads must be an int >= 1, got '0'"),
    ],
)
def test_an_unparsable_value_is_an_argparse_error(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--model", "f1", *args])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_threads_sets_pytorchs_cpu_threads(
    data_root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    threads = torch.get_num_threads()
    try:
        assert main(quick(data_root, tmp_path, "--threads", "1")) == 0
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(threads)
    result = RunResult.load(written(capsys.readouterr().out))
    assert result.status == "completed" and "threads" not in result.config  # not part of the run's identity


def test_the_info_command_is_kept(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info"]) == 0 and "models" in capsys.readouterr().out
