"""Tests for the SGD noise statistics: per-sample gradients, frozen BatchNorm, and the eta^2 / M law."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from gapbook.ghost_bn import convert_ghost_batchnorm
from gapbook.noise import (
    GradientStatistics,
    flat_gradient,
    freeze_batchnorm_statistics,
    full_gradient,
    gradient_statistics,
    per_sample_gradients,
    sampled_gradient_variance,
)


def _net(seed: int = 0) -> nn.Sequential:
    """A small MLP with BatchNorm, like F1."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))


def _data(n: int = 200, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 6, generator=generator) * 2 + 1
    return x, torch.randint(0, 3, (n,), generator=generator)


def test_frozen_statistics_make_eval_mode_equal_training_mode_on_that_batch() -> None:
    model, (x, _) = _net(), _data()
    reference = copy.deepcopy(model).train()(x)
    tracked = model[1].num_batches_tracked.clone()
    freeze_batchnorm_statistics(model, x)
    assert model.training and torch.equal(model[1].num_batches_tracked, tracked)
    assert torch.allclose(model.eval()(x), reference, atol=1e-5)


def test_frozen_statistics_are_those_of_the_whole_batch_for_ghost_batch_norm() -> None:
    plain, (x, _) = _net(), _data()
    ghost = convert_ghost_batchnorm(copy.deepcopy(plain), ghost_batch_size=8)
    freeze_batchnorm_statistics(plain, x)
    freeze_batchnorm_statistics(ghost, x)
    assert torch.allclose(ghost[1].running_mean, plain[1].running_mean, atol=1e-6)
    assert torch.allclose(ghost[1].running_var, plain[1].running_var, atol=1e-6)


def test_freezing_refuses_batchnorm_without_running_statistics() -> None:
    model = nn.Sequential(nn.Linear(6, 4), nn.BatchNorm1d(4, track_running_stats=False))
    with pytest.raises(ValueError, match="track_running_stats"):
        freeze_batchnorm_statistics(model, _data()[0])


def test_per_sample_gradients_equal_one_backward_per_sample() -> None:
    model, (x, y) = _net(), _data(5)
    freeze_batchnorm_statistics(model, _data()[0])
    grads = per_sample_gradients(model, x, y)
    assert model.training  # the mode is restored
    model.eval()
    for n in range(len(x)):
        one = flat_gradient(model, x[n : n + 1], y[n : n + 1])
        flat = torch.cat([g[n].flatten() for g in grads.values()])
        assert torch.allclose(flat, one, rtol=1e-5, atol=1e-7), n


def test_statistics_match_the_mean_gradient_and_do_not_depend_on_the_chunk_size() -> None:
    model, (x, y) = _net(), _data()
    freeze_batchnorm_statistics(model, x)
    stats = gradient_statistics(model, x, y, chunk_size=7)
    other = gradient_statistics(model, x, y, chunk_size=200)
    assert stats.samples == 200
    assert torch.allclose(stats.mean, full_gradient(model, x, y, chunk_size=64), rtol=1e-5, atol=1e-7)
    assert stats.mean_square == pytest.approx(other.mean_square, rel=1e-6)  # float32 gradients, batched differently
    grads = per_sample_gradients(model, x, y)
    flat = torch.cat([g.flatten(1) for g in grads.values()], dim=1).double()
    assert torch.allclose(stats.norms_sq, flat.square().sum(1), rtol=1e-6)
    assert stats.mean_square == pytest.approx(float(flat.square().sum(1).mean()), rel=1e-6)
    assert stats.trace == pytest.approx(float((flat - flat.mean(0)).square().sum(1).mean()), rel=1e-5)


def test_update_variance_is_eta_squared_over_m_times_the_trace() -> None:
    norms = torch.tensor([100.0, 150.0], dtype=torch.float64)
    stats = GradientStatistics(mean=torch.tensor([3.0, 4.0]), norms_sq=norms)
    assert stats.samples == 2 and stats.mean_square == pytest.approx(125.0)
    assert stats.mean_norm_sq == pytest.approx(25.0)
    assert stats.trace == pytest.approx(100.0)
    assert stats.update_variance(0.1, 20) == pytest.approx(0.01 * 100 / 20)
    assert stats.paper_update_variance(0.1, 20) == pytest.approx(0.01 * 125 / 20)
    assert stats.noise_scale() == pytest.approx(100 / 25) and stats.noise_scale(50.0) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="squared gradient norm must be > 0"):
        GradientStatistics(mean=torch.zeros(2), norms_sq=norms).noise_scale()


def test_share_of_largest_counts_the_largest_gradients() -> None:
    norms = torch.tensor([1.0, 1.0, 2.0, 6.0], dtype=torch.float64)
    stats = GradientStatistics(mean=torch.zeros(2), norms_sq=norms)
    assert stats.share_of_largest(0.25) == pytest.approx(0.6)
    assert stats.share_of_largest(0.3) == pytest.approx(0.8)  # ceil(0.3 * 4) = 2 samples
    assert stats.share_of_largest(1.0) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="fraction"):
        stats.share_of_largest(0.0)


def test_sampled_variance_of_mini_batch_gradients_is_trace_over_m() -> None:
    model, (x, y) = _net(), _data()
    freeze_batchnorm_statistics(model, x)
    stats = gradient_statistics(model, x, y)
    generator = torch.Generator().manual_seed(2)
    for m in (4, 32):
        centred = sampled_gradient_variance(model, x, y, m, 1500, mean=stats.mean, generator=generator)
        uncentred = sampled_gradient_variance(model, x, y, m, 1500, generator=generator)
        # a variance estimated from 1500 draws: a few percent of statistical error (fixed seed)
        assert centred == pytest.approx(stats.trace / m, rel=0.1), m
        assert uncentred == pytest.approx(stats.trace / m, rel=0.1), m


def test_sampled_variance_with_batch_statistics_leaves_the_model_alone() -> None:
    model, (x, y) = _net(), _data()
    state = copy.deepcopy(model.state_dict())
    model.eval()
    variance = sampled_gradient_variance(model, x, y, 16, 20, batch_statistics=True)
    assert variance > 0 and not model.training
    assert all(torch.equal(value, state[key]) for key, value in model.state_dict().items())


def test_bad_arguments_are_refused() -> None:
    model, (x, y) = _net(), _data()
    with pytest.raises(ValueError, match="same"):
        gradient_statistics(model, x, y[:-1])
    with pytest.raises(ValueError, match="chunk_size"):
        gradient_statistics(model, x, y, chunk_size=0)
    with pytest.raises(ValueError, match="draws"):
        sampled_gradient_variance(model, x, y, 4, 1)
    with pytest.raises(ValueError, match="batch_size"):
        sampled_gradient_variance(model, x, y, 0, 4)
