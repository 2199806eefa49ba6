"""Tests for the random-walk-on-random-potential simulator."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gapbook.fits import fit_log_power, fit_power
from gapbook.random_walk import (
    BrownianPotential,
    Exponent,
    FourierPotential,
    FractionalPotential,
    Walk,
    bootstrap,
    exit_exponent,
    fractional_walk,
    free_walk,
    lattice_walk,
    log_exit_times,
    log_times,
    random_field_walk,
    sinai_mean_distance,
    sinai_walk,
    walk_exponent,
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
        (lambda: FractionalPotential.sample(4, 10, alpha=0.0), "alpha"),
        (lambda: FractionalPotential.sample(4, 10, alpha=2.5), "alpha"),
        (lambda: FractionalPotential.sample(4, 10, alpha=2.0, period=8), "period"),
        (lambda: fractional_walk(4, 10, alpha=2.0), "half_width"),
        (lambda: fractional_walk(4, 10, alpha=3.0), "alpha"),
        (lambda: log_exit_times(BrownianPotential.sample(2, 10), temperature=0.0), "temperature"),
        (lambda: bootstrap(np.mean, 0), "n_units"),
        (lambda: bootstrap(np.mean, 4, confidence=1.0), "confidence"),
        (lambda: walk_exponent(free_walk(4, 100), 50, 60), "fit needs 3"),
        (lambda: walk_exponent(free_walk(4, 100), 2, 100, law="sqrt"), "law"),  # type: ignore[arg-type]
        (lambda: exit_exponent(np.ones((4, 100)), 1, 100), "r_min"),
        (lambda: exit_exponent(np.ones((4, 100)), 10, 200), "r_max"),
        (lambda: exit_exponent(np.ones((4, 100)), 90, 100, points_per_decade=5), "radii"),
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
    smooth = FractionalPotential.sample(8, 100, 2.0, generator=torch.Generator(device="cuda").manual_seed(0))
    assert np.isfinite(log_exit_times(smooth, temperature=0.5)).all()


@pytest.mark.parametrize("alpha", [0.5, 1.0, 1.5])
def test_fractional_potential_has_increments_sigma_squared_r_to_the_alpha_at_every_distance(alpha: float) -> None:
    potential = FractionalPotential.sample(400, 1024, alpha, sigma=0.5, generator=torch.Generator().manual_seed(0))
    values = potential.values.double()
    assert potential.table.shape == (400, 2 * 1024 + 3)
    assert torch.all(potential.values[:, 1024] == 0)  # U(0) = 0
    assert torch.all(torch.isinf(potential.table[:, [0, -1]]))
    for lag in (1, 10, 100, 1000):
        increments = ((values[:, lag:] - values[:, :-lag]) ** 2).mean().item()
        # exact in law; 400 potentials estimate it to a few percent at the largest lag
        assert increments / (0.25 * lag**alpha) == pytest.approx(1.0, abs=0.1), (alpha, lag, increments)


def test_fractional_potentials_drawn_together_are_independent() -> None:
    # walkers 2k and 2k + 1 share one FFT (its real and imaginary parts): their difference must have twice the
    # variogram of each, as for independent fields
    values = FractionalPotential.sample(400, 256, 1.5, generator=torch.Generator().manual_seed(1)).values.double()
    lag = 100
    difference = values[0::2] - values[1::2]
    ratio = (difference[:, 256 + lag] ** 2).mean().item() / (2 * lag**1.5)
    assert ratio == pytest.approx(1.0, abs=0.2), ratio


def test_alpha_two_potential_is_smooth_with_a_logarithmic_correction() -> None:
    potential = FractionalPotential.sample(200, 512, 2.0, sigma=2.0, generator=torch.Generator().manual_seed(0))
    values = potential.values.double()
    variogram = {lag: ((values[:, lag:] - values[:, :-lag]) ** 2).mean().item() for lag in (1, 10, 100)}
    assert variogram[1] == pytest.approx(4.0, rel=0.05)  # sigma^2 per step
    # grows almost as r^2, but slower: r^2 log(period / r)
    for short, long in ((1, 10), (10, 100)):
        growth = variogram[long] / variogram[short]
        assert 10**1.6 < growth < 100, (short, long, growth)
    assert variogram[100] / 100**2 < variogram[10] / 10**2 < variogram[1]


def test_exit_times_without_a_potential_are_r_squared() -> None:
    flat = BrownianPotential(table=torch.cat([torch.full((2, 1), math.inf), torch.zeros(2, 41),
                                              torch.full((2, 1), math.inf)], dim=1), half_width=20)
    assert np.allclose(np.exp(log_exit_times(flat, temperature=0.7)), np.arange(1, 21) ** 2)


def test_exit_times_match_simulated_first_passages() -> None:
    potential = FractionalPotential.sample(1, 12, 1.5, generator=torch.Generator().manual_seed(3))
    temperature, radius = 0.8, 6
    exact = math.exp(log_exit_times(potential, temperature)[0, radius - 1])
    # the first passage of 8000 Metropolis walkers on that potential, as lattice_walk moves them
    rng = np.random.default_rng(0)
    energy = potential.values[0].double().numpy()
    position, steps = np.zeros(8000, dtype=np.int64), np.zeros(8000)
    running = np.ones(8000, dtype=bool)
    step = 0
    while running.any():
        step += 1
        moving = np.flatnonzero(running)
        proposal = position[moving] + rng.choice([-1, 1], moving.size)
        rise = energy[proposal + 12] - energy[position[moving] + 12]
        position[moving] = np.where(rise <= temperature * rng.exponential(size=moving.size), proposal,
                                    position[moving])
        out = moving[np.abs(position[moving]) >= radius]
        steps[out], running[out] = step, False
    error = steps.std() / math.sqrt(steps.size)
    assert abs(steps.mean() - exact) < 4 * error, (steps.mean(), exact, error)


def test_exit_times_are_finite_for_astronomically_long_waits() -> None:
    potential = FractionalPotential.sample(4, 2000, 2.0, generator=torch.Generator().manual_seed(0))
    log_tau = log_exit_times(potential, temperature=0.1)
    assert np.isfinite(log_tau).all()
    assert log_tau[:, -1].max() > 1000  # waits of more than e^1000 steps
    assert np.all(np.diff(log_tau, axis=1) >= -1e-9)  # a wider interval takes longer to leave


def test_sinai_exit_exponent_is_two() -> None:
    # Brownian potentials (alpha = 1): r ~ (ln t)^2; at T = 0.5 and these radii the exponent is 2 within 0.15
    potentials = BrownianPotential.sample(256, 2048, generator=torch.Generator().manual_seed(0))
    beta = exit_exponent(log_exit_times(potentials, temperature=0.5), 200, n_resamples=200)
    assert abs(beta.estimate - 2) < 0.15 and beta.low < beta.estimate < beta.high, beta


def test_bootstrap_interval_of_a_mean_covers_it() -> None:
    values = np.random.default_rng(0).normal(3.0, 1.0, 400)
    interval = bootstrap(lambda rows: values[rows].mean(), values.size, n_resamples=500, seed=1)
    assert interval.estimate == pytest.approx(values.mean())
    # the percentile interval of a mean is about +-1.96 standard errors
    assert interval.high - interval.low == pytest.approx(2 * 1.96 / math.sqrt(400), rel=0.2)
    assert 3.0 in interval and 2.0 not in interval
    assert bootstrap(lambda rows: values[rows].mean(), values.size, n_resamples=500, seed=1) == interval
    assert str(Exponent(1.234, 1.1, 1.3, 0.95, 10)) == "1.23 (95% interval 1.10 to 1.30)"
    assert f"{Exponent(0.5012, 0.498, 0.504, 0.95, 10):.3f}" == "0.501 (95% interval 0.498 to 0.504)"


def test_exit_exponent_recovers_a_known_law() -> None:
    # ln E[tau_r] = c r^(1 / beta) with beta = 4/3, scattered by potential
    radii = np.arange(1, 1001)
    scale = np.random.default_rng(0).lognormal(0.0, 0.3, size=(300, 1))
    beta = exit_exponent(scale * 2.0 * radii ** 0.75, 10, n_resamples=300)
    assert beta.estimate == pytest.approx(4 / 3, rel=1e-6)
    assert beta.low <= 4 / 3 <= beta.high


def test_walk_exponent_of_a_free_walk_is_one_half() -> None:
    walk = free_walk(1000, 10**4, seed=2)
    p = walk_exponent(walk, 10, 10**4, law="power", n_resamples=300)
    assert 0.5 in p and p.high - p.low < 0.05, p
    # on a log-log-of-t scale a free walk is steep: its beta keeps growing
    assert walk_exponent(walk, 10**3, 10**4, n_resamples=100).estimate > 2


def test_fractional_walk_is_reproducible_and_stays_on_its_lattice() -> None:
    walk = fractional_walk(16, 2000, alpha=1.5, temperature=0.5, seed=4)
    again = fractional_walk(16, 2000, alpha=1.5, temperature=0.5, seed=4)
    assert np.array_equal(walk.positions, again.positions)
    assert not np.array_equal(walk.positions, fractional_walk(16, 2000, alpha=1.5, temperature=0.5, seed=5).positions)
    smooth = fractional_walk(16, 2000, alpha=2.0, temperature=0.5, half_width=4000, seed=0)
    assert smooth.positions.shape == (len(log_times(2000)), 16, 1)
    with pytest.raises(RuntimeError, match="half_width"):
        fractional_walk(64, 2000, alpha=2.0, temperature=2.0, half_width=4, seed=0)
