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
import statistics
from pathlib import Path

import pytest

from gapbook.data import ENV_VAR
from gapbook.experiments import ResultStore, experiment_config, replay_config
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


def test_a_whole_committed_mini_run_lands_inside_the_committed_seed_distribution(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """SB of the MNIST row at mini, seed 0, re-run from scratch (about a minute on one thread): on another machine
    its floating-point path differs and SGD amplifies that, so it need not match its committed JSON bit for bit;
    but a drift larger than the spread between seeds would change what the book claims, so the re-run must lie
    within three standard deviations of the committed seeds' mean."""
    root = os.environ.get(ENV_VAR)
    if not root or not (Path(root) / "mnist.npz").is_file():
        pytest.skip(f"{ENV_VAR} does not point at a folder with mnist.npz")
    store = ResultStore(RESULTS, "mini")
    config = experiment_config("mnist-f1", "SB", "mini", seed=0, data_root=root, progress=False)
    seeds = [100 * r.final_test_acc for r in store.runs_of(config) if r.final_test_acc is not None]
    committed = store.lookup(config)
    assert committed is not None and len(seeds) >= 3, "the MNIST row's SB runs at mini are not committed"
    rerun = train(config)
    spread = statistics.stdev(seeds)
    drift = 100 * (rerun.final_test_acc - committed.final_test_acc)
    with capsys.disabled():
        print(f"\nre-run of mnist-f1 SB seed 0 at mini: {100 * rerun.final_test_acc:.2f}% (committed "
              f"{100 * committed.final_test_acc:.2f}%, drift {drift:+.2f} points; seeds {statistics.fmean(seeds):.2f} "
              f"± {spread:.2f}, n={len(seeds)})")  # fmt: skip
    assert abs(100 * rerun.final_test_acc - statistics.fmean(seeds)) <= 3 * spread, (rerun.final_test_acc, seeds)
