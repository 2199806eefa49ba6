"""Tests for the random-walk-on-random-potential simulator."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gapbook.fits import fit_log_power, fit_power
from gapbook.random_walk import (
    BrownianPotential,
    FourierPotential,
    Walk,
    free_walk,
    lattice_walk,
    log_times,
    random_field_walk,
    sinai_mean_distance,
    sinai_walk,
)


def _window(walk: Walk, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """The times and mean distances of ``walk`` with low <= t <= high."""
    keep = (walk.times >= low) & (walk.times <= high)
    return walk.times[keep], walk.mean_distance[keep]


def test_log_times_span_one_to_t_max_at_the_requested_density() -> None:
    times = log_times(10**4, points_per_decade=10)
    assert times[0] == 1 and times[-1] == 10**4
    assert np.all(np.diff(times) > 0)
    assert 35 <= len(times) <= 41  # 41 grid points, a few merge below t = 10 after rounding
    assert log_times(1).tolist() == [1]


@pytest.mark.parametrize("dim", [1, 3])
def test_free_walk_mean_square_distance_is_t(dim: int) -> None:
    walk = free_walk(4000, 2000, dim=dim, seed=1)
    ratio = walk.rms_distance**2 / walk.times
    # E||x_t||^2 = t exactly; 4000 walkers estimate it to about 2.2% (one standard deviation) at most.
    assert np.all(np.abs(ratio[walk.times >= 10] - 1) < 0.1), ratio


def test_free_walk_distance_grows_as_sqrt_t() -> None:
    walk = free_walk(2000, 10**4, seed=0)
    p = fit_power(*_window(walk, 10, 10**4)).parameters["p"]
    assert abs(p - 0.5) < 0.03, p


def test_sinai_walk_grows_slower_than_sqrt_t_and_like_log_squared() -> None:
    walk = sinai_walk(256, 20000, sigma=1.0, temperature=0.5, increments="gaussian", seed=0)
    free = free_walk(256, 20000, seed=0)
    t, d = _window(walk, 100, 20000)
    assert fit_power(t, d).parameters["p"] < 0.35
    assert walk.mean_distance[-1] < 0.25 * free.mean_distance[-1]
    beta = fit_log_power(t, d).parameters["beta"]
    assert 1.5 < beta < 3.0, beta
    # Sinai's law with Kesten's constant, to 30%: finite-time corrections and 256 walkers.
    assert walk.mean_distance[-1] == pytest.approx(sinai_mean_distance(walk.times[-1], 1.0, 0.5), rel=0.3)


def test_metropolis_walkers_relax_to_the_boltzmann_distribution() -> None:
    energies = torch.tensor([0.0, 1.0, -0.5, 0.5, 2.0])
    n = 8000
    table = torch.cat([torch.tensor([math.inf]), energies, torch.tensor([math.inf])]).repeat(n, 1)
    potential = BrownianPotential(table=table, half_width=2)
    walk = lattice_walk(potential, n, 1, 400, temperature=0.7, generator=torch.Generator().manual_seed(0))
    observed = np.bincount(walk.positions[-1, :, 0] + 2, minlength=5) / n
    boltzmann = torch.softmax(-energies / 0.7, dim=0).numpy()
    assert np.allclose(observed, boltzmann, atol=0.02), (observed, boltzmann)


def test_brownian_potential_is_a_random_walk_in_space_with_walls() -> None:
    generator = torch.Generator().manual_seed(0)
    potential = BrownianPotential.sample(3, half_width=50, sigma=0.5, increments="binary", generator=generator)
    assert potential.table.shape == (3, 103)
    inside = potential.table[:, 1:-1]
    assert torch.all(inside[:, 50] == 0)  # U(0) = 0
    assert torch.all(inside.diff(dim=1).abs() == 0.5)
    assert torch.all(torch.isinf(potential.table[:, [0, -1]]))
    sites = torch.tensor([[0], [-50], [50]])
    assert torch.equal(potential(sites), inside[[0, 1, 2], [50, 0, 100]])


@pytest.mark.parametrize("alpha", [0.5, 1.0, 1.5])
def test_fourier_field_increments_scale_as_r_to_the_alpha(alpha: float) -> None:
    field = FourierPotential.sample(4000, 2, alpha, sigma=2.0, generator=torch.Generator().manual_seed(0))
    lags = np.array([10.0, 30.0, 100.0])
    ratio = field.variogram(lags, generator=torch.Generator().manual_seed(1)) / (4.0 * lags**alpha)
    # sigma^2 r^alpha inside the band; the estimate from 4000 fields is good to a few percent.
    assert np.all(np.abs(ratio - 1) < 0.2), ratio


def test_random_field_walk_shapes_and_reproducibility() -> None:
    walk = random_field_walk(16, 300, alpha=1.0, dim=3, n_features=8, seed=5)
    assert walk.positions.shape == (len(log_times(300)), 16, 3)
    assert walk.positions.dtype == np.int64
    assert np.array_equal(walk.times, log_times(300))
    assert walk.distances.shape == walk.mean_distance.shape + (16,)
    # one lattice hop at most per step
    assert np.all(np.abs(walk.positions).sum(-1) <= walk.times[:, None])
    again = random_field_walk(16, 300, alpha=1.0, dim=3, n_features=8, seed=5)
    assert np.array_equal(walk.positions, again.positions)
    other = random_field_walk(16, 300, alpha=1.0, dim=3, n_features=8, seed=6)
    assert not np.array_equal(walk.positions, other.positions)


def test_gaussian_increments_have_variance_sigma_squared() -> None:
    potential = BrownianPotential.sample(200, half_width=250, sigma=0.5, generator=torch.Generator().manual_seed(0))
    steps = potential.table[:, 1:-1].diff(dim=1)
    assert steps.mean().item() == pytest.approx(0.0, abs=0.005)  # 10^5 increments: standard error 0.0016
    assert steps.var().item() == pytest.approx(0.25, rel=0.02)


def test_a_walk_on_the_cpu_leaves_the_thread_count_as_it_was() -> None:
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        random_field_walk(4, 50, alpha=1.0, n_features=4)  # runs its steps on one thread
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(previous)


def test_sinai_and_free_walks_are_reproducible_with_a_seed() -> None:
    assert np.array_equal(sinai_walk(8, 500, seed=3).positions, sinai_walk(8, 500, seed=3).positions)
    assert np.array_equal(free_walk(8, 500, seed=3).positions, free_walk(8, 500, seed=3).positions)
    assert not np.array_equal(sinai_walk(8, 500, seed=3).positions, sinai_walk(8, 500, seed=4).positions)


def test_sinai_walk_refuses_a_lattice_its_walkers_outgrow() -> None:
    with pytest.raises(RuntimeError, match="half_width"):
        sinai_walk(64, 2000, temperature=2.0, half_width=4)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: free_walk(0, 10), "n_walkers"),
        (lambda: free_walk(4, 0), "t_max"),
        (lambda: free_walk(4, 10, dim=0), "dim"),
        (lambda: sinai_walk(4, 10, temperature=0.0), "temperature"),
        (lambda: sinai_walk(4, 10, sigma=-1.0), "sigma"),
        (lambda: sinai_walk(4, 10, increments="uniform"), "increments"),  # type: ignore[arg-type]
        (lambda: random_field_walk(4, 10, alpha=2.0), "alpha"),
        (lambda: random_field_walk(4, 10, alpha=0.0), "alpha"),
        (lambda: random_field_walk(4, 10, alpha=1.0, wavelengths=(1.0, 100.0)), "wavelengths"),
        (lambda: random_field_walk(4, 10, alpha=1.0, wavelengths=(50.0, 10.0)), "wavelengths"),
        (lambda: log_times(100, points_per_decade=0), "points_per_decade"),
        (lambda: lattice_walk(BrownianPotential.sample(4, 10), 5, 1, 10), "potential"),
    ],
)
def test_bad_arguments_raise_clear_value_errors(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.cuda
def test_walks_run_on_the_gpu() -> None:
    walk = random_field_walk(64, 1000, alpha=1.0, seed=0, device="cuda")
    assert walk.positions.shape == (len(log_times(1000)), 64, 2)
    assert sinai_walk(64, 1000, seed=0, device="cuda").positions.shape[1:] == (64, 1)
