"""DistributedDataParallel on the CPU: two Gloo processes under torchrun train like one process at the same
global batch, with Ghost BN normalizing within each process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gapbook.train import RunResult, TrainConfig, result_filename, train
from train_support import regime, write_dataset

BATCH, GHOST = 32, 8  # 16 samples per process: two ghost batches each, four in the one-process run


def test_two_processes_match_one_process_at_the_same_global_batch(tmp_path: Path) -> None:
    data_root = write_dataset(tmp_path, "mnist", n_train=128, n_test=50)
    base = regime(lr=0.02, epochs=2, drop_at=1)
    output = tmp_path / "ddp"
    launch = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "gapbook"]
    options = [
        "train", "--model", "f1", "--batch-size", str(BATCH), "--ghost-batch-size", str(GHOST), "--device", "cpu",
        "--regime", json.dumps(base.to_dict()), "--data-root", str(data_root), "--no-progress", "--output", str(output),
        "--eval-points-per-decade", "5",
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(launch + options, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("result written to") == 1  # rank 0 only

    config = TrainConfig(
        "f1", batch_size=BATCH, ghost_batch_size=GHOST, device="cpu", regime=base, data_root=str(data_root),
        eval_points_per_decade=5,
    )
    name = Path(result_filename(config))
    distributed = RunResult.load(output / name)
    single = train(config.replace(progress=False, checkpoint_path=str(tmp_path / "single.pt")))
    assert distributed.world_size == 2 and distributed.config_hash == single.config_hash
    assert distributed.iterations == single.iterations == 8

    ddp_state = torch.load(output / name.with_suffix(".pt"), weights_only=True)
    one_state = torch.load(tmp_path / "single.pt", weights_only=True)
    assert ddp_state["world_size"] == 2 and len(ddp_state["rng"]) == 2
    # Parameters only: each process keeps running statistics of its own ghost batches (rank 0's are saved).
    parameters = [key for key in one_state["model"] if "running" not in key and "num_batches" not in key]
    assert len(parameters) == 2 * 6 + 2 * 5  # weights and biases of F1's 6 linear and 5 BN layers
    for key in parameters:
        torch.testing.assert_close(ddp_state["model"][key], one_state["model"][key], rtol=1e-4, atol=1e-5)
    train_losses = [e.train_loss for e in distributed.epochs]
    assert train_losses == pytest.approx([e.train_loss for e in single.epochs], rel=1e-5)
    assert distributed.distance["distances"] == pytest.approx(single.distance["distances"], rel=1e-5)
    assert distributed.distance["iterations"] == single.distance["iterations"]
    # Log-spaced evaluations at the same updates, over every process's share (their values differ with the
    # running statistics, which each process keeps from its own ghost batches).
    logged = [p.iteration for p in distributed.evaluations]
    assert logged == [p.iteration for p in single.evaluations] == [1, 2, 3, 4, 6]
    assert all(0 <= p.test_acc <= 1 and p.train_loss is not None for p in distributed.evaluations)
