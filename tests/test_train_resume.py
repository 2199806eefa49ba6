"""Kill a real training process after its first checkpoint, resume it, and get the uninterrupted run's weights."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

from gapbook.train import RunResult, TrainConfig, result_filename, train
from train_support import regime, write_dataset

EPOCHS = 8
ONE_THREAD = {**os.environ, "OMP_NUM_THREADS": "1"}
"""Every run here uses one thread: equal thread counts give bitwise equal sums, and one thread avoids waits on a
busy machine."""


def command(data_root: Path, output: Path, *extra: str) -> list[str]:
    """``python -m gapbook train`` on the synthetic data, checkpointing every epoch into ``output``."""
    return [
        sys.executable, "-m", "gapbook", "train", "--model", "f1", "--batch-size", "16", "--data-root", str(data_root),
        "--regime", json.dumps(regime(lr=0.05, epochs=EPOCHS, drop_at=6).to_dict()), "--no-progress",
        "--output", str(output), *extra,
    ]  # fmt: skip


def kill_after_first_checkpoint(args: list[str], checkpoint: Path) -> int:
    """Start ``args``, SIGKILL the process as soon as ``checkpoint`` exists; returns its exit status."""
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, env=ONE_THREAD)
    give_up = time.monotonic() + 300
    while process.poll() is None and not checkpoint.exists():
        if time.monotonic() > give_up:
            process.kill()
            raise RuntimeError("the training process wrote no checkpoint")
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    return process.wait()


def test_a_killed_run_resumes_to_bitwise_the_same_weights(tmp_path: Path) -> None:
    data_root = write_dataset(tmp_path, "mnist", n_train=256, n_test=100)
    output = tmp_path / "killed"
    base = regime(lr=0.05, epochs=EPOCHS, drop_at=6)
    config = TrainConfig("f1", batch_size=16, regime=base, data_root=str(data_root))
    name = Path(result_filename(config))
    checkpoint = output / name.with_suffix(".pt")

    assert kill_after_first_checkpoint(command(data_root, output), checkpoint) == -signal.SIGKILL
    killed_at = torch.load(checkpoint, weights_only=True)["epoch"]
    assert 1 <= killed_at < EPOCHS and not (output / name).exists()

    resumed = subprocess.run(
        command(data_root, output, "--resume"), capture_output=True, text=True, check=True, env=ONE_THREAD
    )
    assert f"result written to {output / name}" in resumed.stdout

    reference = tmp_path / "reference.pt"
    uninterrupted = train(config.replace(progress=False, checkpoint_path=str(reference)))
    final, expected = torch.load(checkpoint, weights_only=True), torch.load(reference, weights_only=True)
    assert final["epoch"] == expected["epoch"] == EPOCHS
    assert final["model"].keys() == expected["model"].keys()
    assert all(torch.equal(final["model"][key], expected["model"][key]) for key in expected["model"])
    for state in (final, expected):
        state["optimizer"]["state"] = {k: v["momentum_buffer"] for k, v in state["optimizer"]["state"].items()}
    assert all(torch.equal(final["optimizer"]["state"][k], v) for k, v in expected["optimizer"]["state"].items())

    result = RunResult.load(output / name)
    assert result.resumed_at_epochs == [killed_at] and result.config_hash == uninterrupted.config_hash
    assert [e.train_loss for e in result.epochs] == [e.train_loss for e in uninterrupted.epochs]
    assert [e.test_acc for e in result.epochs] == [e.test_acc for e in uninterrupted.epochs]
    assert result.distance["distances"] == uninterrupted.distance["distances"]
    assert result.checkpoint_path == str(checkpoint.resolve()) and os.path.exists(result.checkpoint_path)
