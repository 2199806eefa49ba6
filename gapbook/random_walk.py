"""Random walks on random potentials: the model behind the paper's "ultra-slow diffusion".

Section 3 of the paper models SGD in its high-learning-rate phase as a walker driven by noise over a random
potential (the loss). If the potential's increments grow as ``E[(U(w1) - U(w2))^2] ~ ||w1 - w2||^alpha``,
reaching distance r means crossing barriers of height ``~ r^(alpha/2)``, which takes a time
``~ exp(r^(alpha/2) / T)`` (Arrhenius). Inverting, ``r ~ (T log t)^(2/alpha)``:
``E||w_t - w_0||^2 ~ (log t)^(4/alpha)``, "ultra-slow diffusion" (Bouchaud & Georges 1990). Without a potential
the walk diffuses freely, ``E||w_t - w_0||^2 = t``. In one dimension with a Brownian potential (alpha = 1) this is
Sinai's walk (Sinai 1982), ``|x_t| ~ (log t)^2``, where the limit law of ``x_t / (T log t / sigma)^2`` is known
exactly (Kesten 1986, Golosov 1986).

The simulator moves many independent walkers at once on the lattice Z^d, each over its own independent
potential: at every step each walker proposes a hop to one of its 2d neighbours, chosen uniformly, and accepts it
with the Metropolis probability min(1, exp(-(U_new - U_old) / T)). Walkers start at the origin, so their
positions are their displacements w_t - w_0. The arithmetic is vectorized over walkers with torch (CPU or GPU),
and every random number comes from one seeded ``torch.Generator``.

In one dimension the walk can also be solved exactly for any potential: ``log_exit_times`` gives the mean time a
walker takes to get ``r`` sites away, for every ``r`` at once, however astronomically long that time is, so the
asymptotic exponent can be measured where no simulation reaches (``exit_exponent``). ``FractionalPotential`` draws
the 1-D potentials for any 0 < alpha <= 2; ``walk_exponent`` and ``exit_exponent`` fit the exponent beta of
``d ~ (log t)^beta`` with a bootstrap interval (``bootstrap``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import torch

from gapbook.stats import check_confidence

__all__ = [
    "BrownianPotential",
    "Exponent",
    "FourierPotential",
    "FractionalPotential",
    "Potential",
    "TablePotential",
    "Walk",
    "bootstrap",
    "exit_exponent",
    "fractional_walk",
    "free_walk",
    "lattice_walk",
    "log_exit_times",
    "log_times",
    "random_field_walk",
    "sinai_half_width",
    "sinai_mean_distance",
    "sinai_walk",
    "walk_exponent",
]

_CHUNK = 512  # steps whose random numbers are drawn at once


class Potential(Protocol):
    """A random potential per walker, evaluated at lattice sites."""

    @property
    def n_walkers(self) -> int: ...

    @property
    def dim(self) -> int: ...

    def __call__(self, sites: torch.Tensor) -> torch.Tensor:
        """Energies (n_walkers,) of walker i's potential at sites[i]; sites is (n_walkers, dim), int64."""
        ...


@dataclass(frozen=True)
class Walk:
    """Walker positions (displacements from the start) at log-spaced times.

    ``times`` (K,) are the step counts t at which positions were recorded; ``positions`` (K, n_walkers, dim)
    are w_t - w_0 on the integer lattice.
    """

    times: np.ndarray
    positions: np.ndarray

    @property
    def distances(self) -> np.ndarray:
        """``||w_t - w_0||`` per time and walker, shape (K, n_walkers)."""
        return np.linalg.norm(self.positions.astype(np.float64), axis=-1)

    @property
    def mean_distance(self) -> np.ndarray:
        """Mean over walkers of ``||w_t - w_0||``, shape (K,): the quantity the paper plots."""
        return self.distances.mean(axis=1)

    @property
    def rms_distance(self) -> np.ndarray:
        """``sqrt(E||w_t - w_0||^2)`` over walkers, shape (K,): the moment the theory states."""
        return np.sqrt((self.distances**2).mean(axis=1))


def _positive_int(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _positive(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")


def log_times(t_max: int, points_per_decade: int = 10) -> np.ndarray:
    """Distinct integers ``round(10**(j / points_per_decade))``, from 1 up to and including ``t_max``."""
    _positive_int("t_max", t_max)
    _positive_int("points_per_decade", points_per_decade)
    n = int(math.ceil(points_per_decade * math.log10(t_max))) + 1
    grid = np.rint(np.logspace(0.0, math.log10(t_max), n)).astype(np.int64)
    return np.unique(grid)


@dataclass(frozen=True)
class TablePotential:
    """A potential per walker on the sites ``|x| <= half_width`` of Z, stored as a table, with walls beyond.

    ``table[i, x + half_width + 1]`` is walker i's U(x) for ``|x| <= half_width``; the two outermost columns are
    +inf, walls that reject every hop onto them.
    """

    table: torch.Tensor
    half_width: int

    @property
    def n_walkers(self) -> int:
        return self.table.shape[0]

    @property
    def dim(self) -> int:
        return 1

    @property
    def values(self) -> torch.Tensor:
        """U(x) at the sites x = -half_width .. half_width, shape (n_walkers, 2 half_width + 1), walls left out."""
        return self.table[:, 1:-1]

    def __call__(self, sites: torch.Tensor) -> torch.Tensor:
        return self.table.gather(1, sites + (self.half_width + 1)).squeeze(1)


def _with_walls(values: torch.Tensor) -> torch.Tensor:
    """The table of a ``TablePotential``: ``values`` (n_walkers, 2h + 1) between two columns of +inf."""
    wall = torch.full((values.shape[0], 1), math.inf, dtype=values.dtype, device=values.device)
    return torch.cat([wall, values, wall], dim=1)


@dataclass(frozen=True)
class BrownianPotential(TablePotential):
    """Sinai's potential: a 1-D random walk in space, U(0) = 0, U(x + 1) - U(x) i.i.d. with variance sigma^2.

    A ``TablePotential``. Increments of U over a distance r have variance sigma^2 r: alpha = 1.
    """

    @classmethod
    def sample(
        cls,
        n_walkers: int,
        half_width: int,
        sigma: float = 1.0,
        increments: Literal["binary", "gaussian"] = "gaussian",
        generator: torch.Generator | None = None,
    ) -> BrownianPotential:
        """Draw one potential per walker; increments are +-sigma ("binary") or N(0, sigma^2) ("gaussian")."""
        _positive_int("n_walkers", n_walkers)
        _positive_int("half_width", half_width)
        _positive("sigma", sigma)
        generator = generator if generator is not None else torch.Generator()
        device = generator.device
        shape = (n_walkers, 2 * half_width)
        if increments == "binary":
            steps = torch.randint(0, 2, shape, generator=generator, device=device).float() * 2 - 1
        elif increments == "gaussian":
            steps = torch.randn(shape, generator=generator, device=device)
        else:
            raise ValueError(f"increments must be 'binary' or 'gaussian', got {increments!r}")
        inside = torch.cat([steps.new_zeros(n_walkers, 1), (sigma * steps).cumsum(1)], dim=1)
        inside = inside - inside[:, half_width : half_width + 1]
        return cls(table=_with_walls(inside), half_width=half_width)


_FFT_ELEMENTS = 1 << 22  # complex numbers per FFT batch: 64 MiB in complex128


def _circulant_increments(
    eigenvalues: torch.Tensor, n: int, n_walkers: int, generator: torch.Generator
) -> torch.Tensor:
    """``n`` consecutive values (n_walkers, n) of stationary Gaussian sequences whose circulant covariance has
    ``eigenvalues`` (its FFT; length m >= n, all >= 0): the real and the imaginary part of FFT(sqrt(eigenvalues / m)
    Z), Z complex standard normal, are two independent such sequences (Davies & Harte 1987). Drawn in batches of
    walkers so that memory stays bounded."""
    m = eigenvalues.shape[0]
    scale = torch.sqrt(eigenvalues / m).to(torch.complex128)
    pairs = (n_walkers + 1) // 2
    batch = max(1, _FFT_ELEMENTS // m)
    parts = []
    for start in range(0, pairs, batch):
        rows = min(batch, pairs - start)
        real = torch.randn(rows, m, generator=generator, device=eigenvalues.device, dtype=torch.float64)
        imag = torch.randn(rows, m, generator=generator, device=eigenvalues.device, dtype=torch.float64)
        both = torch.fft.fft(torch.complex(real, imag) * scale)[:, :n]
        parts.extend([both.real, both.imag])
    return torch.cat(parts)[:n_walkers]


def _fgn_eigenvalues(alpha: float, n: int, device: torch.device) -> torch.Tensor:
    """The circulant embedding (size 2n) of the covariance of fractional Gaussian noise with Hurst index alpha / 2
    and unit variance, ``(|k + 1|^alpha - 2 |k|^alpha + |k - 1|^alpha) / 2``; its eigenvalues are >= 0 for every
    0 < alpha < 2 (Craigmile 2003), up to rounding, which is clipped."""
    k = torch.arange(n + 1, dtype=torch.float64, device=device)
    covariance = 0.5 * ((k + 1) ** alpha - 2 * k**alpha + (k - 1).abs() ** alpha)
    row = torch.cat([covariance, covariance[1:-1].flip(0)])
    return torch.fft.fft(row).real.clamp(min=0.0)


def _pink_eigenvalues(period: int, device: torch.device) -> torch.Tensor:
    """Eigenvalues of the circulant covariance of 1/f noise on a ring of ``period`` sites with unit variance:
    ``1 / min(k, period - k)`` for every frequency k but the zero one (so the increments sum to zero over a period),
    scaled so that the variance ``mean(eigenvalues)`` is 1."""
    k = torch.arange(period, dtype=torch.float64, device=device)
    folded = torch.minimum(k, period - k)
    eigenvalues = torch.where(folded > 0, 1.0 / folded.clamp(min=1.0), torch.zeros_like(folded))
    return eigenvalues * (period / eigenvalues.sum())


@dataclass(frozen=True)
class FractionalPotential(TablePotential):
    """A 1-D Gaussian potential with ``E[(U(x) - U(y))^2] ~ sigma^2 |x - y|^alpha``, for 0 < alpha <= 2.

    A ``TablePotential`` with U(0) = 0 whose increments ``U(x + 1) - U(x)`` have variance sigma^2.

    - ``0 < alpha < 2``: fractional Brownian motion with Hurst index alpha / 2, drawn exactly (circulant embedding
      of its increments, Davies & Harte 1987): ``E[(U(x) - U(y))^2] = sigma^2 |x - y|^alpha`` at every distance.
      ``alpha = 1`` is Sinai's Brownian potential (``BrownianPotential`` with Gaussian increments), ``alpha < 1``
      rougher, ``alpha > 1`` smoother, with persistent slopes.
    - ``alpha = 2``, the marginal case: the only field with increments of exactly ``sigma^2 r^2`` is a straight
      slope. The field drawn instead has increments with a 1/f ("pink") spectrum on a ring of ``period`` sites:
      waves of every wavelength from 2 sites to ``period``, each octave with an amplitude proportional to its
      wavelength, so the hills and valleys of every scale r are about r high. Its increments grow as
      ``r^2 log(period / r)`` (up to a constant factor): smooth, with long slopes, and periodic. ``period``
      defaults to the first power of two at least 8 times the lattice's width ``2 * half_width``.
    """

    @classmethod
    def sample(
        cls,
        n_walkers: int,
        half_width: int,
        alpha: float,
        sigma: float = 1.0,
        period: int | None = None,
        generator: torch.Generator | None = None,
    ) -> FractionalPotential:
        """Draw one potential per walker on ``|x| <= half_width``; ``period`` is used for ``alpha = 2`` only."""
        _positive_int("n_walkers", n_walkers)
        _positive_int("half_width", half_width)
        _positive("sigma", sigma)
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0 < alpha <= 2:
            raise ValueError(f"alpha must lie in (0, 2], got {alpha!r}")
        generator = generator if generator is not None else torch.Generator()
        device = generator.device
        n = 2 * half_width
        if alpha < 2:
            eigenvalues = _fgn_eigenvalues(float(alpha), n, device)
        else:
            period = 1 << math.ceil(math.log2(8 * n)) if period is None else period
            _positive_int("period", period)
            if period < n:
                raise ValueError(
                    f"period must be at least the lattice's width 2 * half_width = {n}, got {period}: "
                    "the potential would repeat itself within the lattice"
                )
            eigenvalues = _pink_eigenvalues(period, device)
        steps = sigma * _circulant_increments(eigenvalues, n, n_walkers, generator)
        inside = torch.cat([steps.new_zeros(n_walkers, 1), steps.cumsum(1)], dim=1)
        inside = (inside - inside[:, half_width : half_width + 1]).float()
        return cls(table=_with_walls(inside), half_width=half_width)


def _increment_constant(alpha: float, dim: int) -> float:
    """I = int_0^inf u^(-1-alpha) (1 - E cos(u theta_1)) du, theta uniform on the unit sphere of R^dim.

    The 1-D integral is pi / (2 Gamma(1 + alpha) sin(pi alpha / 2)); averaging over directions multiplies it by
    ``E|theta_1|^alpha = Gamma((1 + alpha) / 2) Gamma(dim / 2) / (sqrt(pi) Gamma((dim + alpha) / 2))``.
    """
    one_dim = math.pi / (2 * math.gamma(1 + alpha) * math.sin(math.pi * alpha / 2))
    moment = math.gamma((1 + alpha) / 2) * math.gamma(dim / 2)
    moment /= math.sqrt(math.pi) * math.gamma((dim + alpha) / 2)
    return one_dim * moment


@dataclass(frozen=True)
class FourierPotential:
    """An isotropic random field on R^d with ``E[(U(w1) - U(w2))^2] ~ sigma^2 ||w1 - w2||^alpha``, nearly Gaussian.

    Random Fourier features: ``U(w) = sum_j A_j cos(k_j . w + phi_j)``, with uniform phases, uniform directions
    of ``k_j``, and ``|k_j|`` spread log-uniformly (stratified) between 2 pi / longest and 2 pi / shortest
    wavelength. Amplitudes ``A_j^2`` proportional to ``|k_j|^(-alpha)`` give the power-law spectrum
    ``|k|^(-(d + alpha))`` of a field with self-similar increments, normalized so that the ensemble average of
    ``(U(w + r) - U(w))^2`` is ``sigma^2 |r|^alpha`` for ``shortest << |r| << longest`` (a band, not all scales:
    below it the field is smooth, above it saturates, and a walker that outgrows the band diffuses freely again).
    A finite number of features makes the field only approximately Gaussian. ``wavevectors`` is
    (n_walkers, dim, n_features); ``phases`` and ``amplitudes`` are (n_walkers, n_features): each walker has its
    own field, evaluated at its position on the fly.
    """

    wavevectors: torch.Tensor
    phases: torch.Tensor
    amplitudes: torch.Tensor

    @classmethod
    def sample(
        cls,
        n_walkers: int,
        dim: int,
        alpha: float,
        sigma: float = 1.0,
        n_features: int = 64,
        wavelengths: tuple[float, float] = (2.0, 1e5),
        generator: torch.Generator | None = None,
    ) -> FourierPotential:
        """Draw one field per walker; wavelengths are (shortest, longest) in lattice spacings, shortest >= 2."""
        _positive_int("n_walkers", n_walkers)
        _positive_int("dim", dim)
        _positive_int("n_features", n_features)
        _positive("sigma", sigma)
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0 < alpha < 2:
            raise ValueError(f"alpha must lie strictly between 0 and 2, got {alpha!r}")
        shortest, longest = wavelengths
        if not (2 <= shortest < longest and math.isfinite(longest)):
            raise ValueError(
                f"wavelengths must satisfy 2 <= shortest < longest < inf (a wave shorter than two lattice "
                f"spacings aliases on the lattice), got {wavelengths!r}"
            )
        generator = generator if generator is not None else torch.Generator()
        device = generator.device
        k_min, k_max = 2 * math.pi / longest, 2 * math.pi / shortest
        span = math.log(k_max / k_min)
        offsets = torch.rand(n_walkers, n_features, generator=generator, device=device)
        strata = torch.arange(n_features, device=device) + offsets
        norms = torch.exp(math.log(k_min) + span * strata / n_features)
        directions = torch.randn(n_walkers, dim, n_features, generator=generator, device=device)
        directions = directions / directions.norm(dim=1, keepdim=True)
        phases = 2 * math.pi * torch.rand(n_walkers, n_features, generator=generator, device=device)
        scale = sigma**2 * span / (n_features * _increment_constant(alpha, dim))
        amplitudes = torch.sqrt(scale * norms ** (-alpha))
        return cls(wavevectors=directions * norms.unsqueeze(1), phases=phases, amplitudes=amplitudes)

    @property
    def n_walkers(self) -> int:
        return self.phases.shape[0]

    @property
    def dim(self) -> int:
        return self.wavevectors.shape[1]

    def __call__(self, sites: torch.Tensor) -> torch.Tensor:
        points = sites.to(self.phases.dtype)
        angles = torch.addcmul(self.phases, self.wavevectors[:, 0], points[:, :1])
        for axis in range(1, self.dim):  # one fused multiply-add per axis: fastest for the small dims used here
            angles.addcmul_(self.wavevectors[:, axis], points[:, axis : axis + 1])
        return (self.amplitudes * angles.cos_()).sum(1)

    def variogram(self, lags: np.ndarray, generator: torch.Generator | None = None) -> np.ndarray:
        """Mean over walkers of ``(U(r) - U(0))^2`` at distances ``|r|`` in ``lags``, r in a random direction.

        The field is statistically homogeneous and each walker has its own, so this estimates the ensemble
        variogram, which should be close to ``sigma^2 |r|^alpha`` inside the band of wavelengths.
        """
        generator = generator if generator is not None else torch.Generator(device=self.phases.device)
        direction = torch.randn(self.n_walkers, self.dim, generator=generator, device=self.phases.device)
        direction = direction / direction.norm(dim=1, keepdim=True)
        origin = self(torch.zeros_like(direction))
        return np.array([((self(lag * direction) - origin) ** 2).mean().item() for lag in lags])


@contextmanager
def _one_thread(device: torch.device) -> Iterator[None]:
    """Run torch's CPU ops on one thread for the duration of a walk, then restore the thread count.

    A step's tensors are small; with several intra-op threads each of a step's ops may pay a thread
    synchronization, which on a busy machine costs milliseconds instead of microseconds.
    """
    if device.type != "cpu":
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def lattice_walk(
    potential: Potential | None,
    n_walkers: int,
    dim: int,
    t_max: int,
    temperature: float = 1.0,
    generator: torch.Generator | None = None,
    points_per_decade: int = 10,
) -> Walk:
    """Run Metropolis walkers on Z^dim over ``potential`` (None: free walk) and record them at ``log_times``.

    Each step, every walker proposes a hop to a uniformly chosen neighbour and accepts it with probability
    min(1, exp(-dU / temperature)), implemented as dU <= temperature * E with E ~ Exp(1).
    """
    _positive_int("n_walkers", n_walkers)
    _positive_int("dim", dim)
    _positive("temperature", temperature)
    if potential is not None and (potential.n_walkers, potential.dim) != (n_walkers, dim):
        raise ValueError(
            f"the potential is for {potential.n_walkers} walkers in {potential.dim} dimensions, "
            f"but the walk asks for {n_walkers} walkers in {dim}"
        )
    times = log_times(t_max, points_per_decade)
    generator = generator if generator is not None else torch.Generator()
    device = generator.device
    eye = torch.eye(dim, dtype=torch.int64, device=device)
    hops = torch.cat([eye, -eye])
    position = torch.zeros(n_walkers, dim, dtype=torch.int64, device=device)
    record = torch.empty(len(times), n_walkers, dim, dtype=torch.int64, device=device)
    recorded, next_time, t = 0, int(times[0]), 0
    with _one_thread(device):
        energy = potential(position) if potential is not None else None
        while t < t_max:
            m = min(_CHUNK, t_max - t)
            steps = hops[torch.randint(0, 2 * dim, (m, n_walkers), generator=generator, device=device)]
            if potential is None:  # every hop is accepted: the path is a cumulative sum
                path = position + steps.cumsum(0)
                due = times[(times > t) & (times <= t + m)]
                record[recorded : recorded + len(due)] = path[torch.as_tensor(due - t - 1, device=device)]
                recorded += len(due)
                position = path[-1]
            else:
                thresholds = torch.empty(m, n_walkers, device=device).exponential_(generator=generator)
                for k, (step, threshold) in enumerate(zip(steps.unbind(), (thresholds * temperature).unbind())):
                    proposal = position + step
                    proposed = potential(proposal)
                    accept = proposed - energy <= threshold
                    position = torch.where(accept.unsqueeze(1), proposal, position)
                    energy = torch.where(accept, proposed, energy)
                    if t + k + 1 == next_time:
                        record[recorded] = position
                        recorded += 1
                        next_time = int(times[recorded]) if recorded < len(times) else 0
            t += m
    return Walk(times=times, positions=record.cpu().numpy())


def _generator(seed: int, device: str | torch.device) -> torch.Generator:
    return torch.Generator(device=torch.device(device)).manual_seed(seed)


def free_walk(
    n_walkers: int,
    t_max: int,
    dim: int = 1,
    seed: int = 0,
    device: str | torch.device = "cpu",
    points_per_decade: int = 10,
) -> Walk:
    """Simple random walk on Z^dim, no potential: ``E||w_t - w_0||^2 = t`` exactly; distances grow as sqrt(t)."""
    return lattice_walk(None, n_walkers, dim, t_max, 1.0, _generator(seed, device), points_per_decade)


def sinai_half_width(t_max: int, sigma: float, temperature: float) -> int:
    """A lattice half-width for Sinai walkers up to ``t_max``: 64 sites plus 12 times (T ln t_max / sigma)^2.

    The displacement's limit law has an exponential tail on the scale (T ln t / sigma)^2, so twelve scales leave
    a wide margin; the width is capped at t_max + 1, which no walker can reach.
    """
    scale = (temperature * math.log(max(t_max, 2)) / sigma) ** 2
    return min(t_max + 1, 64 + math.ceil(12 * scale))


def sinai_walk(
    n_walkers: int,
    t_max: int,
    sigma: float = 1.0,
    temperature: float = 1.0,
    increments: Literal["binary", "gaussian"] = "gaussian",
    half_width: int | None = None,
    seed: int = 0,
    device: str | torch.device = "cpu",
    points_per_decade: int = 10,
) -> Walk:
    """Sinai's walk: Metropolis walkers on Z over independent Brownian potentials (alpha = 1).

    Asymptotically ``|x_t| ~ (T log t / sigma)^2`` (Sinai 1982); see ``sinai_mean_distance`` for the constant.
    The lattice spans ``|x| <= half_width`` (default ``sinai_half_width``); a RuntimeError is raised if a walker
    reaches its edge, because the walls would then have changed the walk.
    """
    _positive("sigma", sigma)
    _positive("temperature", temperature)
    _positive_int("t_max", t_max)
    half_width = sinai_half_width(t_max, sigma, temperature) if half_width is None else half_width
    generator = _generator(seed, device)
    potential = BrownianPotential.sample(n_walkers, half_width, sigma, increments, generator)
    walk = lattice_walk(potential, n_walkers, 1, t_max, temperature, generator, points_per_decade)
    if np.abs(walk.positions).max() >= half_width:
        raise RuntimeError(
            f"a walker reached the edge of the lattice (|x| = {half_width}); pass a larger half_width"
        )
    return walk


def sinai_mean_distance(t: np.ndarray, sigma: float = 1.0, temperature: float = 1.0) -> np.ndarray:
    """Sinai's asymptotic ``E|x_t| = (5/6) (T ln t / sigma)^2`` for the walk of ``sinai_walk``.

    For a 1-D walk whose effective potential U / T has increments of variance ``(sigma / T)^2`` per site,
    ``x_t / (T ln t / sigma)^2`` converges in law to Kesten's distribution, with density
    ``(2 / pi) sum_k (-1)^k / (2k + 1) exp(-(2k + 1)^2 pi^2 |b| / 8)`` (Kesten 1986, Golosov 1986), whose mean of
    ``|b|`` is 5/6. The approach to this limit is slow, and from above or below depending on the temperature.
    """
    return 5.0 / 6.0 * (temperature * np.log(np.asarray(t, dtype=np.float64)) / sigma) ** 2


def random_field_walk(
    n_walkers: int,
    t_max: int,
    alpha: float,
    dim: int = 2,
    sigma: float = 1.0,
    temperature: float = 1.0,
    n_features: int = 64,
    wavelengths: tuple[float, float] = (2.0, 1e5),
    seed: int = 0,
    device: str | torch.device = "cpu",
    points_per_decade: int = 10,
) -> Walk:
    """Metropolis walkers on Z^dim over independent ``FourierPotential`` fields with exponent ``alpha``.

    The Arrhenius argument of Bouchaud & Georges (1990) predicts ``||w_t - w_0|| ~ (T log t / sigma)^(2/alpha)``
    asymptotically: once the walkers spend most of their time waiting at barriers, which can take far longer
    than a simulation runs, and while their distances stay well inside the field's band of wavelengths.
    """
    generator = _generator(seed, device)
    potential = FourierPotential.sample(n_walkers, dim, alpha, sigma, n_features, wavelengths, generator)
    return lattice_walk(potential, n_walkers, dim, t_max, temperature, generator, points_per_decade)


def fractional_walk(
    n_walkers: int,
    t_max: int,
    alpha: float,
    sigma: float = 1.0,
    temperature: float = 1.0,
    half_width: int | None = None,
    period: int | None = None,
    seed: int = 0,
    device: str | torch.device = "cpu",
    points_per_decade: int = 10,
) -> Walk:
    """Metropolis walkers on Z over independent ``FractionalPotential`` potentials with exponent ``alpha``.

    Bouchaud & Georges (1990) predict ``|x_t| ~ (T log t / sigma)^(2/alpha)`` asymptotically. For alpha < 2 the
    lattice's half-width defaults to ``sinai_half_width`` stretched to the exponent, 64 sites plus 12 times
    ``(T ln t_max / sigma)^(2/alpha)``; for alpha = 2 it must be given, because walkers first slide down the
    field's long slopes, as far as the nearest deep valley, which no such rule bounds. A RuntimeError is raised if
    a walker reaches the edge of the lattice.
    """
    _positive("sigma", sigma)
    _positive("temperature", temperature)
    _positive_int("t_max", t_max)
    if half_width is None:
        if alpha == 2:
            raise ValueError(
                "pass half_width for alpha = 2: walkers slide down the long slopes of this potential as far as the "
                "nearest deep valley, so no rule bounds how far they get"
            )
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0 < alpha < 2:
            raise ValueError(f"alpha must lie in (0, 2], got {alpha!r}")
        scale = (temperature * math.log(max(t_max, 2)) / sigma) ** (2 / alpha)
        half_width = min(t_max + 1, 64 + math.ceil(12 * scale))
    generator = _generator(seed, device)
    potential = FractionalPotential.sample(n_walkers, half_width, alpha, sigma, period, generator)
    walk = lattice_walk(potential, n_walkers, 1, t_max, temperature, generator, points_per_decade)
    if np.abs(walk.positions).max() >= half_width:
        raise RuntimeError(
            f"a walker reached the edge of the lattice (|x| = {half_width}); pass a larger half_width"
        )
    return walk


def log_exit_times(potential: TablePotential, temperature: float = 1.0) -> np.ndarray:
    """``ln E[tau_r]``, exactly, for r = 1 .. half_width: the mean number of steps a walker of ``lattice_walk``
    started at 0 takes to first reach ``|x| = r``, on each walker's potential; shape (n_walkers, half_width).

    The walk is a reversible birth-death chain: with ``pi(x) = exp(-U(x) / T)`` and the resistance
    ``R_x = 2 exp(max(U(x), U(x + 1)) / T)`` of the link from x to x + 1 (one over ``pi(x)`` times the
    probability of that hop), the expected visits to y before the exit are ``pi(y) v(y)``, v the voltage of a unit current
    from 0 to the two ends ``+-r`` (Levin, Peres & Wilmer, *Markov chains and mixing times*, section 9.4). Summed
    over y, on each side of 0,

        ``E[tau_r] = R(r) (W_right / A_right + W_left / A_left - pi(0))``,

    with ``A`` the resistance from 0 to the end, ``W = sum_{i < r} R_i sum_{0 <= y <= i} pi(y)`` on that side and
    ``R(r) = A_right A_left / (A_right + A_left)`` the resistance between 0 and the two ends. Every sum is a cumulative sum over r, computed in log space in
    float64, so times of ``e^1000`` steps are as easy as ten steps. Without a potential ``E[tau_r] = r^2``.
    """
    _positive("temperature", temperature)
    h = potential.half_width
    scaled = potential.values.to(torch.float64) / temperature
    scaled = scaled - scaled[:, h : h + 1]  # the formula takes U(0) = 0
    log_a, ratio = [], []  # per side: ln A(r) and ln(W(r) / A(r)), r = 1 .. h
    for side in (scaled[:, h:], scaled[:, : h + 1].flip(1)):  # sites 0, 1, .., h outwards
        log_resistance = math.log(2.0) + torch.maximum(side[:, :-1], side[:, 1:])  # links i -> i + 1, i < h
        log_weight = torch.logcumsumexp(-side[:, :-1], dim=1)  # ln sum_{0 <= y <= i} pi(y)
        log_a.append(torch.logcumsumexp(log_resistance, dim=1))
        ratio.append(torch.logcumsumexp(log_resistance + log_weight, dim=1) - log_a[-1])
    log_parallel = log_a[0] + log_a[1] - torch.logaddexp(log_a[0], log_a[1])
    right, left = ratio
    # ln(e^right + e^left - 1), where left >= 0: W / A is a weighted mean of sums that start with pi(0) = 1
    left_less_one = torch.where(
        left > 0, left + torch.log1p(-torch.exp(-left)), torch.full_like(left, -math.inf)
    )
    return (log_parallel + torch.logaddexp(right, left_less_one)).cpu().numpy()


@dataclass(frozen=True)
class Exponent:
    """A fitted exponent and its bootstrap interval [``low``, ``high``] at ``confidence``."""

    estimate: float
    low: float
    high: float
    confidence: float
    resamples: int

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    def __format__(self, spec: str) -> str:
        """The three numbers in the float format ``spec`` (``.2f`` when empty): ``f"{beta:.3f}"``."""
        spec = spec or ".2f"
        return (
            f"{self.estimate:{spec}} ({100 * self.confidence:g}% interval {self.low:{spec}} to {self.high:{spec}})"
        )

    def __str__(self) -> str:
        return format(self, "")


def bootstrap(
    statistic: Callable[[np.ndarray], float],
    n_units: int,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Exponent:
    """``statistic(indices)`` of all ``n_units`` independent units (walkers, potentials), with its percentile
    bootstrap interval: the statistic of ``n_resamples`` resamples of the units, drawn with replacement."""
    _positive_int("n_units", n_units)
    _positive_int("n_resamples", n_resamples)
    check_confidence(confidence)
    rng = np.random.default_rng(seed)
    estimate = float(statistic(np.arange(n_units)))
    values = np.array([statistic(rng.integers(0, n_units, n_units)) for _ in range(n_resamples)])
    low, high = np.quantile(values, [(1 - confidence) / 2, (1 + confidence) / 2])
    return Exponent(estimate, float(low), float(high), confidence, n_resamples)


def _slope(x: np.ndarray, y: np.ndarray) -> float:
    """The least-squares slope of y against x."""
    x_centred = x - x.mean()
    return float(np.dot(x_centred, y - y.mean()) / np.dot(x_centred, x_centred))


def walk_exponent(
    walk: Walk,
    t_min: float,
    t_max: float,
    law: Literal["log_power", "power"] = "log_power",
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Exponent:
    """The exponent of the walkers' mean distance d(t) over ``t_min <= t <= t_max``, bootstrapped over walkers.

    ``"log_power"``: beta of ``d ~ (ln t)^beta``, the least-squares slope of ln d against ln ln t (t > 1);
    ``"power"``: p of ``d ~ t^p``, the slope of ln d against ln t. Needs three recorded times in the window.
    """
    keep = (walk.times >= t_min) & (walk.times <= t_max) & (walk.times > 1)
    if int(keep.sum()) < 3:
        raise ValueError(f"only {int(keep.sum())} recorded times t > 1 lie in [{t_min}, {t_max}]; a fit needs 3")
    if law == "log_power":
        x = np.log(np.log(walk.times[keep].astype(np.float64)))
    elif law == "power":
        x = np.log(walk.times[keep].astype(np.float64))
    else:
        raise ValueError(f"law must be 'log_power' or 'power', got {law!r}")
    distances = walk.distances[keep]  # (times, walkers)

    def statistic(walkers: np.ndarray) -> float:
        return _slope(x, np.log(distances[:, walkers].mean(axis=1)))

    if np.any(distances.mean(axis=1) <= 0):
        raise ValueError("the mean distance is 0 at a time in the window; start the window later")
    return bootstrap(statistic, distances.shape[1], n_resamples, confidence, seed)


def exit_exponent(
    log_times_to_exit: np.ndarray,
    r_min: int,
    r_max: int | None = None,
    points_per_decade: int = 20,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Exponent:
    """beta of ``r ~ (ln t)^beta`` from exact exit times, bootstrapped over potentials.

    ``log_times_to_exit`` is ``log_exit_times``'s (n_potentials, half_width). At log-spaced radii ``r_min <= r <=
    r_max`` (``points_per_decade``), beta is the least-squares slope of ln r against ln of the mean over
    potentials of ``ln E[tau_r]``: how far a walker gets, against the logarithm of the typical time it takes.
    """
    _positive_int("r_min", r_min)
    half_width = log_times_to_exit.shape[1]
    r_max = half_width if r_max is None else r_max
    if not 2 <= r_min < r_max <= half_width:
        raise ValueError(f"need 2 <= r_min < r_max <= {half_width}, got r_min={r_min}, r_max={r_max}")
    radii = log_times(r_max, points_per_decade)
    radii = radii[radii >= r_min]
    if len(radii) < 3:
        raise ValueError(f"only {len(radii)} radii lie in [{r_min}, {r_max}]; widen it or add points_per_decade")
    columns = log_times_to_exit[:, radii - 1]
    x_radii = np.log(radii.astype(np.float64))
    if np.any(columns.mean(axis=0) <= 0):
        raise ValueError("the mean of ln E[tau_r] is not positive at every radius; start at a larger r_min")

    def statistic(potentials: np.ndarray) -> float:
        return _slope(np.log(columns[potentials].mean(axis=0)), x_radii)

    return bootstrap(statistic, columns.shape[0], n_resamples, confidence, seed)
