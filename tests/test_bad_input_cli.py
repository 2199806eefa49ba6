"""Bad input to ``gapbook train``, ``reproduce`` and ``table``: refused before any training, in one line that names
the problem and the fix, never with a traceback."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from gapbook.cli import main
from gapbook.train import DistEnv, TrainConfig, result_filename, train
from train_support import regime, write_dataset


def quick(data_root: str, output: Path | None, *extra: str) -> list[str]:
    """A two-epoch F1 run on the synthetic data (``output`` ``None``: the options in ``extra`` give it)."""
    where = [] if output is None else ["--output", str(output)]
    return [
        "train", "--model", "f1", "--batch-size", "32", "--regime", json.dumps(regime().to_dict()),
        "--data-root", data_root, "--no-progress", *where, *extra,
    ]  # fmt: skip


def refused(args: list[str], capsys: pytest.CaptureFixture[str], command: str = "train") -> str:
    """Run the command line, check it failed with status 2 and one error line; return that line."""
    assert main(args) == 2
    error = capsys.readouterr().err
    assert "Traceback" not in error
    lines = error.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"gapbook {command}: error: "), error
    return lines[0]


def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "a-file"
    path.write_text("not a folder")
    return path


# gapbook train: paths -------------------------------------------------------------------------------------------

PATH_CASES: dict[str, tuple[Callable[[Path], list[str]], str]] = {
    "output is a file": (lambda tmp: ["--output", str(a_file(tmp))], "--output"),
    "output under a file": (lambda tmp: ["--output", str(a_file(tmp) / "sub")], "is a file; fix the path"),
    "output not creatable": (lambda tmp: ["--output", "/proc/gapbook-cannot-be-here"], "not a folder this process"),
    "checkpoint is a folder": (lambda tmp: ["--checkpoint-path", str(tmp)], "is a folder; give the path of a file"),
    "checkpoint under a file": (lambda tmp: ["--checkpoint-path", str(a_file(tmp) / "run.pt")], "is a file"),
    "config is a folder": (lambda tmp: ["--config", str(tmp)], "cannot read a JSON config"),
    "config is missing": (lambda tmp: ["--config", str(tmp / "nope.json")], "cannot read a JSON config"),
}


@pytest.mark.parametrize("case", PATH_CASES)
def test_bad_paths_are_refused_before_training(
    case: str, mnist_root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gapbook.train.cli.train", lambda *a, **k: pytest.fail("trained despite a bad path"))
    make_extra, message = PATH_CASES[case]
    extra = make_extra(tmp_path)
    output = None if "--output" in extra else tmp_path / "out"
    assert message in refused(quick(mnist_root, output, *extra), capsys)


# gapbook train: config files and values ------------------------------------------------------------------------

CONFIG_FILES = {
    "garbage": ("{not json", "cannot read a JSON config"),
    "a list": ("[1, 2]", "expected a JSON object"),
    "a truncated result": ('{"config": {"model": "f1", "batch_', "cannot read a JSON config"),
    "unknown field": ('{"model": "f1", "batch": 4}', "unknown TrainConfig field"),
    "no model": ('{"batch_size": 4}', "needs a 'model'"),
    "null phases": ('{"model": "f1", "regime": {"phases": null, "epochs": 3}}', "regime phases must be a list"),
    "nested too deeply": ("[" * 100_000 + "]" * 100_000, "cannot read a JSON config from it (maximum recursion"),
}


@pytest.mark.parametrize("case", CONFIG_FILES)
def test_bad_config_files_are_one_line_errors(
    case: str, mnist_root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, message = CONFIG_FILES[case]
    path = tmp_path / "config.json"
    path.write_text(text)
    assert message in refused(["train", "--config", str(path), "--output", str(tmp_path / "out")], capsys)


BAD_OPTIONS = {
    "null phases": (["--regime", '{"phases": null, "epochs": 3}'], "regime phases must be a list"),
    "phases as a dict": (["--regime", '{"phases": {"0": {"lr": 0.1}}, "epochs": 3}'], "must be a list of dicts"),
    "lr as text": (["--regime", '{"phases": [{"epoch": 0, "lr": "fast"}], "epochs": 3}'], "lr must be a finite"),
    "regime without epochs": (["--regime", '{"phases": [{"epoch": 0, "lr": 0.1}]}'], "missing key(s) ['epochs']"),
    "mps absent": (["--device", "mps"], "needs Apple's MPS backend"),
    "meta device": (["--device", "meta"], "device of kind cpu, cuda, mps"),
    "nonsense device": (["--device", "cpu:x"], "device of kind cpu, cuda, mps"),
    "fp16 on cpu": (["--device", "cpu", "--precision", "fp16"], "precision fp16 needs a CUDA device"),
    "clip nan": (["--grad-clip", "nan"], "grad_clip must be a finite number > 0"),
    "adaptation inf": (["--regime-adaptation", "inf"], "regime_adaptation must be a finite number > 0"),
    "batch zero": (["--batch-size", "0"], "batch_size must be an int >= 1"),
    "seed negative": (["--seed", "-1"], "seed must be an int >= 0"),
    "ghost larger than batch": (["--ghost-batch-size", "64"], "does not divide batch_size 32"),
    "eval every zero": (["--eval-every", "0"], "eval_every must be an int >= 1"),
    "workers negative": (["--workers", "-1"], "workers must be an int >= 0"),
    "dataset folder missing": (["--model", "alexnet", "--dataset", "imagenet"], "imagenet"),
    "train size too large": (["--train-size", "100000"], "100000"),
    "seed 2**64": (["--seed", str(2**64)], "seed must be an int >= 0 and <= 2**53 = 9007199254740992 (torch takes"),
    "seed above 2**53": (["--seed", str(2**53 + 1)], "seed must be an int >= 0 and <= 2**53"),
    "batch of one": (["--batch-size", "1"], "batch_size 1: network 'f1' has BatchNorm layers"),
    "ghost batch of one": (["--ghost-batch-size", "1"], "ghost_batch_size 1: network 'f1' has BatchNorm layers"),
    "momentum 1.5": (["--regime", json.dumps(regime().to_dict()).replace("0.9", "1.5")], "momentum must be in [0, 1)"),
    "momentum 1": (["--regime", json.dumps(regime().to_dict()).replace("0.9", "1.0")], "momentum must be in [0, 1)"),
    "momentum negative": (["--regime", json.dumps(regime().to_dict()).replace("0.9", "-0.9")], "momentum must be >= 0"),
}
if torch.cuda.is_available():  # these two ask for a GPU that this machine lacks; elsewhere they are other errors
    del BAD_OPTIONS["fp16 on cpu"]
else:
    BAD_OPTIONS["cuda absent"] = (["--device", "cuda:3"], "needs CUDA, which this machine lacks")


@pytest.mark.parametrize("case", BAD_OPTIONS)
def test_bad_options_are_one_line_errors(
    case: str, mnist_root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra, message = BAD_OPTIONS[case]
    assert message in refused(quick(mnist_root, tmp_path / "out", *extra), capsys)


def test_a_batch_of_one_is_refused_before_any_data_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = refused(quick(str(tmp_path / "no-data-here"), tmp_path / "out", "--batch-size", "1"), capsys)
    assert "batch_size 1" in line and "use a batch_size of 2 or more" in line


def test_a_per_process_batch_of_one_is_refused_before_any_data_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gapbook.train.engine.current", lambda: DistEnv(rank=1, world_size=2))
    config = TrainConfig("f1", batch_size=2, regime=regime(), data_root=str(tmp_path / "no-data-here"), progress=False)
    with pytest.raises(ValueError, match="per-process batch 1: network 'f1' has BatchNorm layers"):
        train(config)


@pytest.mark.parametrize("command", [["info"], ["minima", "mnist-f1", "--weights", "."], ["steps"]])
def test_an_unknown_profile_in_the_environment_is_one_line(
    command: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAPBOOK_PROFILE", "bogus")
    line = refused(command, capsys, command[0])
    assert "GAPBOOK_PROFILE='bogus' is not a profile; use one of smoke, mini, full" in line


def test_an_existing_result_is_not_replaced_without_force(
    mnist_root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = quick(mnist_root, tmp_path, "--regime", json.dumps(regime(epochs=1, drop_at=None).to_dict()))
    assert main(args) == 0
    capsys.readouterr()
    monkeypatch.setattr("gapbook.train.cli.train", lambda *a, **k: pytest.fail("replaced without --force"))
    assert "pass --force to train again" in refused(args, capsys)


def test_force_trains_a_finished_run_again_over_its_checkpoint(
    mnist_root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = quick(mnist_root, tmp_path, "--regime", json.dumps(regime(epochs=1, drop_at=None).to_dict()))
    assert main(args) == 0
    (result,) = tmp_path.glob("*.json")
    assert result.with_suffix(".pt").exists()  # a finished run keeps its checkpoint beside its result
    result.write_text(result.read_text().replace('"profile": null', '"profile": "replaced?"'))
    capsys.readouterr()
    assert main([*args, "--force"]) == 0, capsys.readouterr().err
    assert '"profile": null' in result.read_text() and result.with_suffix(".pt").exists()


# gapbook train: checkpoints -------------------------------------------------------------------------------------


def _checkpointed_run(mnist_root: str, tmp_path: Path) -> tuple[list[str], Path]:
    """The arguments of a quick run with its checkpoint path, after a one-epoch run wrote a real checkpoint."""
    checkpoint = tmp_path / "run.pt"
    one_epoch = TrainConfig("f1", batch_size=32, regime=regime(epochs=1, drop_at=None), data_root=mnist_root,
                            progress=False, checkpoint_path=str(tmp_path / "real.pt"))  # fmt: skip
    train(one_epoch)
    return quick(mnist_root, tmp_path / "out", "--checkpoint-path", str(checkpoint), "--resume"), checkpoint


CHECKPOINTS: dict[str, tuple[Callable[[Path], None], str]] = {
    "garbage": (lambda path: path.write_bytes(b"\x00garbage" * 10), "cannot be read as a gapbook training checkpoint"),
    "empty": (lambda path: path.write_bytes(b""), "cannot be read as a gapbook training checkpoint"),
    "truncated": (
        lambda path: path.write_bytes((path.parent / "real.pt").read_bytes()[:5000]),
        "cannot be read as a gapbook training checkpoint",
    ),
    "another config's": (
        lambda path: path.write_bytes((path.parent / "real.pt").read_bytes()),
        "was made by a run with config hash",
    ),
    "a plain tensor file": (lambda path: torch.save(torch.zeros(3), path), "is not a gapbook training checkpoint"),
}


@pytest.mark.parametrize("case", CHECKPOINTS)
def test_bad_checkpoints_are_one_line_errors(
    case: str, mnist_root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args, checkpoint = _checkpointed_run(mnist_root, tmp_path)
    write, message = CHECKPOINTS[case]
    write(checkpoint)
    line = refused(args, capsys)
    assert message in line and str(checkpoint) in line


# Damaged data caches --------------------------------------------------------------------------------------------


def _damage_inside_compressed_stream(path: Path) -> None:
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("x_train.npy")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for offset in range(start + 200, start + 260):
        data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def _drop_class_from_training(path: Path, label: int = 3) -> None:
    with np.load(path) as npz:
        arrays = {key: npz[key] for key in npz.files}
    keep = arrays["y_train"] != label
    arrays["x_train"], arrays["y_train"] = arrays["x_train"][keep], arrays["y_train"][keep]
    np.savez_compressed(path, **arrays)


def test_a_data_cache_whose_training_split_lacks_a_class_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_dataset(tmp_path / "data", "mnist", n_train=64, n_test=20)
    _drop_class_from_training(root / "mnist.npz")
    line = refused(quick(str(root), tmp_path / "out", "--train-size", "40"), capsys)
    assert "mnist.npz" in line and "y_train has no image of class(es) 3 (class3)" in line
    assert "(9 of 10 classes)" in line and "Delete or replace the file" in line


DAMAGE: dict[str, Callable[[Path], None]] = {
    "random bytes": lambda path: path.write_bytes(np.random.default_rng(0).bytes(4096)),
    "truncated": lambda path: path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2]),
    "empty": lambda path: path.write_bytes(b""),
    "inside the compressed stream": _damage_inside_compressed_stream,
    "a folder": lambda path: (path.unlink(), path.mkdir()),  # type: ignore[func-returns-value]
}


@pytest.mark.parametrize("case", DAMAGE)
def test_a_damaged_data_cache_is_named_with_the_fix(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_dataset(tmp_path / "data", "mnist", n_train=64, n_test=20)
    DAMAGE[case](root / "mnist.npz")
    line = refused(quick(str(root), tmp_path / "out"), capsys)
    assert "mnist.npz" in line and ("Delete or replace the file" in line or "not available" in line)


# gapbook reproduce and gapbook table ----------------------------------------------------------------------------

REPRODUCE = {
    "results dir is a file": (lambda tmp: ["--results-dir", str(a_file(tmp))], "--results-dir"),
    "results dir under a file": (lambda tmp: ["--results-dir", str(a_file(tmp) / "r")], "is a file; fix the path"),
    "results dir not creatable": (lambda tmp: ["--results-dir", "/proc/gapbook-nope"], "not a folder this process"),
    "mps absent": (lambda tmp: ["--device", "mps"], "needs Apple's MPS backend"),
    "unknown device": (lambda tmp: ["--device", "tpu"], "device of kind cpu, cuda, mps"),
}


@pytest.mark.parametrize("case", REPRODUCE)
def test_reproduce_refuses_bad_input_before_training(
    case: str, synthetic_root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra, message = REPRODUCE[case]
    args = ["reproduce", "mnist-f1", "--profile", "smoke", "--data-root", synthetic_root, "--no-progress"]
    if not any(arg == "--results-dir" for arg in extra(tmp_path)):
        args += ["--results-dir", str(tmp_path / "results")]
    assert message in refused([*args, *extra(tmp_path)], capsys, "reproduce")


USAGE = {
    "seed twice": (["--seeds", "0,0"], "given twice"),
    "seed not a number": (["--seeds", "a"], "seeds must be ints"),
    "unknown column": (["--columns", "XX"], "unknown column 'XX'"),
    "threads zero": (["--threads", "0"], "threads must be an int >= 1"),
    "seed 2**64": (["--seeds", f"0,{2**64}"], "seed must be an int >= 0 and <= 2**53 = 9007199254740992"),
}


@pytest.mark.parametrize("case", USAGE)
def test_reproduce_usage_errors_list_the_valid_values(case: str, capsys: pytest.CaptureFixture[str]) -> None:
    extra, message = USAGE[case]
    with pytest.raises(SystemExit) as exit_info:
        main(["reproduce", "mnist-f1", "--profile", "smoke", *extra])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["missing", "a file"])
def test_table_refuses_a_results_folder_that_is_not_one(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "nothing-here" if kind == "missing" else a_file(tmp_path)
    line = refused(["table", "--profile", "mini", "--results-dir", str(folder)], capsys, "table")
    assert str(folder) in line and ("does not exist" if kind == "missing" else "is a file") in line


def test_reproduce_refuses_a_damaged_result_naming_it(
    synthetic_root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gapbook.experiments import experiment_config

    config = experiment_config("mnist-f1", "SB", "smoke", data_root=synthetic_root)
    path = tmp_path / "smoke" / result_filename(config)
    path.parent.mkdir(parents=True)
    path.write_text('{"config": ')
    args = ["reproduce", "mnist-f1", "--profile", "smoke", "--columns", "SB", "--results-dir", str(tmp_path)]
    line = refused([*args, "--data-root", synthetic_root, "--no-progress"], capsys, "reproduce")
    assert str(path) in line and "not a readable result" in line
