"""Faults during a run: Ctrl-C, an exploding loss, an output that cannot be written at the end, a write killed half
way, two identical runs at once. Nothing is lost and nothing is reported wrongly."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import pytest
import torch

from gapbook import Regime
from gapbook.support.atomic import atomic_write, atomic_write_text
from gapbook.cli import INTERRUPTED, main
from gapbook.experiments import ResultStore, experiment_config, run_config
from gapbook.train import RunResult, TrainConfig, result_filename, train
from gapbook.train import outputs
from gapbook.train.outputs import RunLockedError, UnsavedResultError, run_lock
from train_support import regime


def quick(data_root: str, output: Path, *extra: str) -> list[str]:
    return [
        "train", "--model", "f1", "--batch-size", "32", "--regime", json.dumps(regime().to_dict()),
        "--data-root", data_root, "--no-progress", "--output", str(output), *extra,
    ]  # fmt: skip


def interrupt(*args: object, **kwargs: object) -> None:
    raise KeyboardInterrupt


# Ctrl-C ---------------------------------------------------------------------------------------------------------


def test_ctrl_c_in_train_exits_130_with_the_exact_resume_command(
    mnist_root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gapbook.train.cli.train", interrupt)
    args = quick(mnist_root, tmp_path)
    assert main(args) == INTERRUPTED == 130
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "Traceback" not in error
    assert error.startswith("gapbook train: interrupted;") and "continue with: gapbook train --model f1" in error
    assert error.endswith("--resume") and "is kept" in error


def test_ctrl_c_without_checkpoints_says_so(
    mnist_root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gapbook.train.cli.train", interrupt)
    assert main(quick(mnist_root, tmp_path, "--checkpoint-path", "none")) == 130
    assert "no checkpoint was kept (--checkpoint-path none); start again with: gapbook train" in capsys.readouterr().err


def test_ctrl_c_in_reproduce_exits_130_with_the_same_command(
    synthetic_root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gapbook.experiments.runner.train_model", interrupt)
    args = ["reproduce", "mnist-f1", "--profile", "smoke", "--results-dir", str(tmp_path), "--data-root", synthetic_root]
    assert main([*args, "--force"]) == 130
    error = capsys.readouterr().err
    assert "gapbook reproduce: interrupted;" in error and "continue with: gapbook reproduce mnist-f1" in error
    assert "--force" not in error.split("continue with:")[1]  # the hint resumes instead of starting afresh


def test_a_real_sigint_stops_train_cleanly_and_the_hint_finishes_the_run(mnist_root: str, tmp_path: Path) -> None:
    slow = Regime.from_authors([{"epoch": 0, "lr": 0.05, "momentum": 0.9}], epochs=400).to_dict()
    args = ["train", "--model", "f1", "--batch-size", "32", "--regime", json.dumps(slow), "--data-root", mnist_root,
            "--no-progress", "--output", str(tmp_path)]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen([sys.executable, "-m", "gapbook", *args], stderr=subprocess.PIPE, text=True, env=env)
    checkpoints = tmp_path.glob("*.pt")
    deadline = time.monotonic() + 120
    while not any(tmp_path.glob("*.pt")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert any(checkpoints), "no checkpoint was written"
    process.send_signal(signal.SIGINT)
    _, error = process.communicate(timeout=60)
    assert process.returncode == 130 and "Traceback" not in error, error
    hint = error.strip().splitlines()[-1].split("continue with: ")[1]
    assert hint.startswith("gapbook train ") and hint.endswith(" --resume")
    assert not list(tmp_path.glob("*.lock")) and not list(tmp_path.glob("*.json"))


# A loss that explodes without becoming NaN ----------------------------------------------------------------------


def test_an_exploding_loss_is_recorded_as_diverged_at_its_iteration(mnist_root: str) -> None:
    huge = Regime.from_authors([{"epoch": 0, "lr": 1e8, "momentum": 0.0}], epochs=2)
    config = TrainConfig("f1", batch_size=32, regime=huge, data_root=mnist_root, progress=False, grad_clip=5.0)
    result = train(config)
    assert result.status == "diverged" and result.final_test_acc is None
    assert result.diverged_at is not None and result.diverged_at["iteration"] <= 8
    assert result.diverged_at["reason"] in ("loss above 100 x ln(10 classes)", "loss not finite")
    assert result.iterations < 64  # it stopped instead of completing at chance accuracy


def test_a_healthy_run_is_not_called_diverged(mnist_root: str) -> None:
    result = train(TrainConfig("f1", batch_size=32, regime=regime(), data_root=mnist_root, progress=False))
    assert result.status == "completed" and result.diverged_at is None


# No finished run is lost ----------------------------------------------------------------------------------------


def test_a_result_that_cannot_be_written_goes_to_a_fallback_file(
    mnist_root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outputs, "FALLBACK_FOLDER", tmp_path / "fallback")
    real_save = RunResult.save

    def fail_in_output(self: RunResult, path: str | os.PathLike[str]) -> Path:
        if Path(path).parent == tmp_path / "out":
            raise PermissionError(13, "Permission denied")
        return real_save(self, path)

    monkeypatch.setattr(RunResult, "save", fail_in_output)
    assert main(quick(mnist_root, tmp_path / "out")) == 2
    error = capsys.readouterr().err
    (saved,) = (tmp_path / "fallback").glob("*.json")
    assert f"it was saved to {saved} instead" in error and "Permission denied" in error
    assert RunResult.load(saved).status == "completed"


def test_save_result_raises_naming_the_fallback(
    mnist_root: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outputs, "FALLBACK_FOLDER", tmp_path / "fallback")
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a folder should be")
    result = train(TrainConfig("f1", batch_size=32, regime=regime(epochs=1, drop_at=None), data_root=mnist_root,
                               progress=False))  # fmt: skip
    with pytest.raises(UnsavedResultError, match="it was saved to"):
        outputs.save_result(result, blocked / "result.json")
    assert RunResult.load(tmp_path / "fallback" / "result.json") == result


FULL_DISK = "[enforce fail at inline_container.cc:672] . unexpected pos 704 vs 598"
"""What ``torch.save`` raises when the disk fills up half way through a checkpoint (a RuntimeError, no OSError)."""


def disk_full_at_epoch(monkeypatch: pytest.MonkeyPatch, epoch: int) -> None:
    """Make the checkpoint of ``epoch`` fail as ``torch.save`` fails on a full disk, after writing a few bytes."""
    real_save = torch.save

    def save(data: object, f: BinaryIO) -> None:
        if isinstance(data, dict) and data.get("epoch") == epoch:
            f.write(b"PK\x03\x04 half a checkpoint")
            raise RuntimeError(FULL_DISK)
        real_save(data, f)

    monkeypatch.setattr(torch, "save", save)


def test_a_final_checkpoint_that_cannot_be_written_leaves_the_result(
    mnist_root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    disk_full_at_epoch(monkeypatch, 2)  # the run's last epoch
    assert main(quick(mnist_root, tmp_path)) == 0
    error = capsys.readouterr().err
    (saved,) = tmp_path.glob("*.json")
    checkpoint = saved.with_suffix(".pt")
    assert f"warning: the checkpoint could not be written to {checkpoint} (RuntimeError: {FULL_DISK})" in error
    assert "its result is complete" in error and "Traceback" not in error
    assert RunResult.load(saved).status == "completed"
    assert not checkpoint.exists() and not list(tmp_path.glob(".*.tmp"))  # the epoch 1 checkpoint is gone too


def test_a_checkpoint_that_fails_mid_run_stops_it_resumable(
    mnist_root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    three_epochs = ["--regime", json.dumps(regime(epochs=3).to_dict())]
    with monkeypatch.context() as patch:
        disk_full_at_epoch(patch, 2)
        assert main(quick(mnist_root, tmp_path, *three_epochs)) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and error.startswith("gapbook train: error: the checkpoint could not be")
    assert f"(RuntimeError: {FULL_DISK})" in error and "stopped after epoch 2" in error and "--resume" in error
    assert not list(tmp_path.glob("*.json"))
    assert main(quick(mnist_root, tmp_path, *three_epochs, "--resume")) == 0
    (saved,) = tmp_path.glob("*.json")
    assert RunResult.load(saved).resumed_at_epochs == [1]


def test_reproduce_stores_a_run_whose_final_checkpoint_cannot_be_written(
    synthetic_root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = experiment_config("mnist-f1", "SB", "smoke", data_root=synthetic_root, progress=False)
    disk_full_at_epoch(monkeypatch, math.ceil(config.effective_regime().epochs))
    args = ["reproduce", "mnist-f1", "--profile", "smoke", "--columns", "SB", "--results-dir", str(tmp_path)]
    assert main([*args, "--data-root", synthetic_root, "--no-progress"]) == 0
    assert "its result is complete" in capsys.readouterr().err
    assert ResultStore(tmp_path, "smoke").lookup(config) is not None


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs: room for a result, not for an F1 checkpoint (skipped where mounting is not permitted)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_a_run_on_a_full_disk_leaves_its_result(
    mnist_root: str, small_disk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(quick(mnist_root, small_disk, "--checkpoint-every", "10")) == 0  # one checkpoint: the last
    error = capsys.readouterr().err
    (saved,) = small_disk.glob("*.json")
    assert f"warning: the checkpoint could not be written to {saved.with_suffix('.pt')}" in error
    assert RunResult.load(saved).status == "completed" and not list(small_disk.glob("*.pt"))
    assert not list(small_disk.glob(".*")), "a temporary or lock file was left on the full disk"


def test_a_stale_temporary_file_of_a_killed_write_is_removed(tmp_path: Path) -> None:
    target = tmp_path / "result.json"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".result.json.{int(dead.stdout)}.0123abcd.tmp"
    stale.write_text("half written")
    live = tmp_path / f".result.json.{os.getpid()}.4567cdef.tmp"
    live.write_text("being written by this process")
    atomic_write_text(target, "done")
    assert target.read_text() == "done" and not stale.exists() and live.exists()


# Two identical runs ---------------------------------------------------------------------------------------------


@contextmanager
def locked_by_another_process(target: Path) -> Iterator[subprocess.Popen[str]]:
    """A process that holds the run lock of ``target`` until it is killed (SIGKILL: it cannot clean up)."""
    code = (
        "import time\nfrom gapbook.train.outputs import run_lock\n"
        f"with run_lock({str(target)!r}):\n    print('held', flush=True)\n    time.sleep(120)"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield holder
    finally:
        holder.kill()
        holder.wait()


def test_a_second_identical_run_is_refused_while_the_first_trains(mnist_root: str, tmp_path: Path) -> None:
    config = TrainConfig("f1", batch_size=32, regime=regime(), data_root=mnist_root, progress=False,
                         checkpoint_path=str(tmp_path / "run.pt"))  # fmt: skip
    with locked_by_another_process(tmp_path / "run.pt") as holder:
        with pytest.raises(RunLockedError, match=f"process {holder.pid} is already training this run"):
            train(config)
    assert (tmp_path / "run.pt.lock").read_text() == str(holder.pid)  # the killed holder left its lock file
    assert train(config).status == "completed"  # but its lock died with it
    assert not (tmp_path / "run.pt.lock").exists()


def test_a_lock_file_naming_a_live_unrelated_process_blocks_nothing(mnist_root: str, tmp_path: Path) -> None:
    config = TrainConfig("f1", batch_size=32, regime=regime(), data_root=mnist_root, progress=False,
                         checkpoint_path=str(tmp_path / "run.pt"))  # fmt: skip
    (tmp_path / "run.pt.lock").write_text(str(os.getppid()))  # a killed run's lock file, its process id recycled
    assert train(config).status == "completed"
    assert not (tmp_path / "run.pt.lock").exists()


def test_reproduce_refuses_a_run_another_process_is_training(
    synthetic_root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = experiment_config("mnist-f1", "SB", "smoke", data_root=synthetic_root, progress=False)
    store = ResultStore(tmp_path, "smoke")
    checkpoint = store.checkpoint_path(config)
    args = ["reproduce", "mnist-f1", "--profile", "smoke", "--columns", "SB", "--results-dir", str(tmp_path)]
    with locked_by_another_process(checkpoint):
        assert main([*args, "--data-root", synthetic_root, "--no-progress"]) == 2
    error = capsys.readouterr().err
    assert "is already training this run" in error and "Traceback" not in error
    assert run_config(config, store)[1] == "trained" and not Path(f"{checkpoint}.lock").exists()


def test_a_lock_is_reentrant_for_nobody_and_released_on_exit(tmp_path: Path) -> None:
    target = tmp_path / "run.pt"
    with run_lock(target):
        assert Path(f"{target}.lock").read_text() == str(os.getpid())
        with pytest.raises(RunLockedError, match=f"process {os.getpid()} is already training this run"):
            with run_lock(target):
                pass
    assert not Path(f"{target}.lock").exists()


def test_the_lock_is_released_when_training_fails(mnist_root: str, tmp_path: Path) -> None:
    config = TrainConfig("f1", batch_size=32, regime=regime(), data_root=mnist_root + "-missing", progress=False,
                         checkpoint_path=str(tmp_path / "run.pt"))  # fmt: skip
    with pytest.raises(FileNotFoundError, match="is not available"):
        train(config)
    assert not (tmp_path / "run.pt.lock").exists()


def test_the_result_is_named_by_its_config(mnist_root: str, tmp_path: Path) -> None:
    config = TrainConfig("f1", batch_size=32, regime=regime(epochs=1, drop_at=None), data_root=mnist_root,
                         progress=False)  # fmt: skip
    train(config, output_dir=tmp_path)
    assert [path.name for path in tmp_path.iterdir()] == [result_filename(config)]


def test_ctrl_c_during_an_atomic_write_waits_for_the_write(tmp_path: Path) -> None:
    target = tmp_path / "checkpoint.bin"

    def write_then_get_interrupted(f: object) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # arrives half way through the write
        f.write(b"complete")  # type: ignore[attr-defined]

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, write_then_get_interrupted)
    assert target.read_bytes() == b"complete" and not list(tmp_path.glob(".*.tmp"))
