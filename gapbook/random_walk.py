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
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import torch

__all__ = [
    "BrownianPotential",
    "FourierPotential",
    "Potential",
    "Walk",
    "free_walk",
    "lattice_walk",
    "log_times",
    "random_field_walk",
    "sinai_half_width",
    "sinai_mean_distance",
    "sinai_walk",
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
class BrownianPotential:
    """Sinai's potential: a 1-D random walk in space, U(0) = 0, U(x + 1) - U(x) i.i.d. with variance sigma^2.

    ``table[i, x + half_width + 1]`` is walker i's U(x) for ``|x| <= half_width``; the two outermost columns are
    +inf, walls that reject every hop onto them. Increments of U over a distance r have variance sigma^2 r:
    alpha = 1.
    """

    table: torch.Tensor
    half_width: int

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
        wall = torch.full((n_walkers, 1), math.inf, device=device)
        return cls(table=torch.cat([wall, inside, wall], dim=1), half_width=half_width)

    @property
    def n_walkers(self) -> int:
        return self.table.shape[0]

    @property
    def dim(self) -> int:
        return 1

    def __call__(self, sites: torch.Tensor) -> torch.Tensor:
        return self.table.gather(1, sites + (self.half_width + 1)).squeeze(1)


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
