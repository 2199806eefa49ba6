"""The committed mini results follow from the code: the committed replay run, re-run from scratch, matches its JSON.

The replay run (:func:`gapbook.experiments.replay_config`: mnist-f1 SB at mini on 4,096 training images for
2 epochs, 64 steps) was committed from a run on two threads; this test trains it on one, so sums add up in
another order and the numbers agree to rounding, not bit for bit (measured here: train losses within 3e-5 and the
weight distance within 2e-7, relative; the same test accuracy). Tolerances, with room for other CPUs: final test
accuracy within 0.5 points (10 of the 2,000 test images); train loss of each epoch and final weight distance
within 1%, relative.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gapbook.data import ENV_VAR
from gapbook.experiments import ResultStore, replay_config
from gapbook.train import train

RESULTS = Path(__file__).resolve().parents[1] / "book" / "results"


def test_the_committed_replay_run_is_reproduced_from_scratch() -> None:
    root = os.environ.get(ENV_VAR)
    if not root or not (Path(root) / "mnist.npz").is_file():
        pytest.skip(f"{ENV_VAR} does not point at a folder with mnist.npz")
    config = replay_config(data_root=root, progress=False)
    committed = ResultStore(RESULTS, "mini").lookup(config)
    assert committed is not None, "the replay run's result is not committed under book/results/mini"
    assert committed.profile == "mini" and committed.status == "completed"

    rerun = train(config)
    assert (rerun.iterations, rerun.train_samples, rerun.test_samples) == (64, 4096, 2000)
    assert (rerun.iterations, rerun.train_samples) == (committed.iterations, committed.train_samples)
    assert rerun.effective_regime == committed.effective_regime
    assert rerun.final_test_acc == pytest.approx(committed.final_test_acc, abs=0.005)
    assert [e.train_loss for e in rerun.epochs] == pytest.approx([e.train_loss for e in committed.epochs], rel=0.01)
    assert rerun.distance["iterations"] == committed.distance["iterations"]
    assert rerun.distance["distances"][-1] == pytest.approx(committed.distance["distances"][-1], rel=0.01)
