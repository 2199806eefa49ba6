"""The weight-diffusion experiment: its configs at every profile, and the high-learning-rate part of a run's log."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gapbook.experiments import experiment_config, write_synthetic_data
from gapbook.experiments.diffusion import diffusion_config, diffusion_scale
from gapbook.experiments.profiles import PROFILES
from gapbook.train import train


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(write_synthetic_data(tmp_path_factory.mktemp("synthetic")))


@pytest.mark.parametrize("profile", PROFILES)
def test_plain_runs_keep_the_small_batch_learning_rate_and_matched_runs_scale_it(profile: str) -> None:
    scale = diffusion_scale(profile)
    for batch in scale.batches:
        plain = diffusion_config(batch, profile)
        matched = diffusion_config(batch, profile, matched=True)
        assert plain.effective_regime().phases == scale.regime.phases  # one constant phase, lr 0.1
        assert len(plain.effective_regime().phases) == 1 and plain.ghost_batch_size is None
        expected = scale.regime.phases[0].lr * math.sqrt(batch / scale.small_batch)
        assert matched.effective_regime().phases[0].lr == pytest.approx(expected, rel=1e-12)
        if batch == scale.small_batch:
            assert matched.config_hash() == plain.config_hash()
        else:
            assert matched.ghost_batch_size == scale.small_batch


def test_the_mini_scale_is_f1_on_mnist_for_four_epochs_without_augmentation() -> None:
    config = diffusion_config(2048, "mini")
    assert (config.model, config.dataset, config.augment) == ("f1", "mnist", False)
    assert config.effective_regime().epochs == 4 and diffusion_scale("mini").small_batch == 128


def test_an_unknown_profile_is_refused() -> None:
    with pytest.raises(ValueError, match="profile"):
        diffusion_scale("huge")


def test_the_high_lr_phase_ends_at_the_first_learning_rate_change(data_root: str) -> None:
    stepped = train(experiment_config("mnist-f1", "SB", "smoke", data_root=data_root, progress=False))
    phase = stepped.high_lr_distances
    t, d = phase.iterations, phase.distances
    end = round(stepped.regime.phases[1].start_epoch * stepped.steps_per_epoch)
    assert stepped.high_lr_updates == end
    assert t.min() >= 1 and t.max() == end < stepped.iterations
    assert np.all(np.isfinite(d)) and len(t) == len(d)


def test_a_constant_run_is_all_high_lr_phase(data_root: str) -> None:
    constant = train(diffusion_config(4, "smoke", data_root=data_root, progress=False))
    t, d = constant.high_lr_distances.iterations, constant.high_lr_distances.distances
    assert constant.high_lr_updates == constant.iterations
    assert t.max() == constant.iterations and d[-1] == pytest.approx(constant.distance["distances"][-1])
