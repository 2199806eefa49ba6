"""How sharp is the minimum a network was trained to? Hessian eigenvalues and Keskar's epsilon-sharpness.

Keskar et al. (2017), "On large-batch training for deep learning: generalization gap and sharp minima", argue that
large batches converge to sharp minima; Hoffer, Hubara & Soudry (2017), "Train longer, generalize better", argue
that the gap comes from too few updates and closes with enough of them. Comparing the sharpness of the minima
reached by the columns of Table 1 tests the two explanations against each other. Two measures are provided:

* the top eigenvalues of the Hessian of the training loss, by Hessian-vector products (double backward), with
  :func:`power_iteration` (largest magnitude) or :func:`lanczos` (the k largest, full reorthogonalization);
* :func:`epsilon_sharpness`, Keskar et al.'s Metric 2.1 in the full space: the largest relative rise of the loss
  in a box around the weights, found by projected sign-gradient ascent (a lower bound on the true maximum).

A loss is any ``loss(model) -> scalar tensor``. :func:`cross_entropy_loss` builds a :class:`ChunkedLoss`, the mean
cross-entropy over a fixed sample of data evaluated chunk by chunk, so that memory is bounded by one chunk; every
function here accepts either. The model is measured with dropout off and BatchNorm in a stated mode, ``bn_mode``:
``"eval"`` (the default) normalizes with the running statistics, which makes the loss a fixed function of the
weights, the one the trained network computes at test time; ``"train"`` normalizes each fixed chunk with its own
statistics, as in training, so that the loss (and its sharpness) also depends on how the samples are grouped.
The model's modes, parameters and buffers are restored afterwards, even on error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

__all__ = [
    "BNMode",
    "ChunkedLoss",
    "EigenResult",
    "SharpnessResult",
    "cross_entropy_loss",
    "epsilon_sharpness",
    "hessian_vector_product",
    "lanczos",
    "power_iteration",
]

Loss = Callable[[nn.Module], Tensor]
BNMode = Literal["eval", "train"]


@dataclass(frozen=True)
class ChunkedLoss:
    """The loss ``sum_j weights[j] * parts[j](model)``, differentiated one part at a time to bound memory.

    Calling it evaluates the whole sum at once (convenient, but memory grows with the number of parts); the
    functions of this module instead take gradients and Hessian-vector products part by part and add them up.
    """

    parts: tuple[Loss, ...]
    weights: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.parts or len(self.parts) != len(self.weights):
            raise ValueError(
                f"a ChunkedLoss needs at least one part and one weight per part, got {len(self.parts)} parts and "
                f"{len(self.weights)} weights"
            )

    def __call__(self, model: nn.Module) -> Tensor:
        return sum(w * part(model) for part, w in zip(self.parts, self.weights))


def cross_entropy_loss(inputs: Tensor, targets: Tensor, chunk_size: int = 1000) -> ChunkedLoss:
    """Mean cross-entropy of ``model(inputs)`` against ``targets``, evaluated in chunks of ``chunk_size`` samples.

    The chunks are consecutive slices, fixed once and for all, and weighted by their share of the samples, so the
    value is the mean over all samples whatever the chunk size. With ``bn_mode="train"`` each chunk is also the
    batch whose statistics BatchNorm uses.
    """
    if len(inputs) == 0:
        raise ValueError("the data is empty: pass at least one sample (inputs and targets of length >= 1)")
    if len(inputs) != len(targets):
        raise ValueError(f"inputs and targets differ in length: {len(inputs)} inputs, {len(targets)} targets")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive int (samples per chunk), got {chunk_size!r}")
    chunks = list(zip(inputs.split(chunk_size), targets.split(chunk_size)))
    parts = tuple(_cross_entropy_part(x, y) for x, y in chunks)
    return ChunkedLoss(parts, tuple(len(y) / len(targets) for _, y in chunks))


def _cross_entropy_part(x: Tensor, y: Tensor) -> Loss:
    """The mean cross-entropy on one fixed chunk."""
    return lambda model: F.cross_entropy(model(x), y)


@dataclass(frozen=True)
class EigenResult:
    """Eigenvalue estimates of the loss Hessian H, largest first, with their eigenvectors and error estimates.

    ``eigenvectors[i]`` is a unit vector over the trainable parameters, flattened and concatenated in
    ``model.parameters()`` order. ``residuals[i] = ||H v_i - lambda_i v_i||`` for the returned pair (Lanczos
    spends one extra Hessian-vector product per pair on it); as H is symmetric, some eigenvalue of H lies within
    ``residuals[i]`` of ``eigenvalues[i]``. ``iterations`` counts the Hessian-vector products of the iteration
    (not those of the residuals); ``converged`` says whether the tolerance was met before ``max_iter``.
    """

    eigenvalues: tuple[float, ...]
    eigenvectors: Tensor
    residuals: tuple[float, ...]
    iterations: int
    converged: bool


@dataclass(frozen=True)
class SharpnessResult:
    """Keskar et al.'s epsilon-sharpness, ``(perturbed_loss - loss) / (1 + loss) * 100``.

    ``loss`` is f(x) at the weights; ``perturbed_loss`` the largest f(x + y) found in the box, at ``perturbation``
    y (flattened like :class:`EigenResult` eigenvectors). ``sharpness`` is therefore a lower bound on the metric.
    """

    sharpness: float
    loss: float
    perturbed_loss: float
    epsilon: float
    steps: int
    perturbation: Tensor


def _trainable(model: nn.Module) -> list[nn.Parameter]:
    """The parameters the Hessian is taken with respect to: those with ``requires_grad``."""
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("the model has no trainable parameters (none with requires_grad=True)")
    return params


def _parts(loss: Loss) -> list[tuple[Loss, float]]:
    """A loss as (part, weight) pairs: a plain callable is a single part of weight 1."""
    if isinstance(loss, ChunkedLoss):
        return list(zip(loss.parts, loss.weights))
    return [(loss, 1.0)]


@contextmanager
def _measuring(model: nn.Module, bn_mode: BNMode) -> Iterator[None]:
    """Dropout off, BatchNorm in ``bn_mode``; modes, parameters and buffers restored on exit.

    Train-mode BatchNorm updates its running statistics at every forward pass, and epsilon-sharpness moves the
    weights, hence the copies: the model leaves exactly as it came, even when the loss raises.
    """
    if bn_mode not in ("eval", "train"):
        raise ValueError(f"bn_mode must be 'eval' (running statistics) or 'train' (batch statistics), got {bn_mode!r}")
    modes = [(m, m.training) for m in model.modules()]
    saved = [(t, t.detach().clone()) for t in (*model.parameters(), *model.buffers())]
    model.eval()
    if bn_mode == "train":
        for m in model.modules():
            if isinstance(m, _BatchNorm):
                m.train()
    try:
        yield
    finally:
        with torch.no_grad():
            for t, kept in saved:
                t.copy_(kept)
        for m, training in modes:
            m.training = training


def _flat(tensors: Sequence[Tensor | None], params: Sequence[Tensor]) -> Tensor:
    """Concatenate per-parameter tensors into one vector, zeros where autograd returned None."""
    return torch.cat([(torch.zeros_like(p) if t is None else t).reshape(-1) for t, p in zip(tensors, params)])


def _unflat(vector: Tensor, params: Sequence[Tensor]) -> list[Tensor]:
    """Split a flat vector into views shaped like ``params``."""
    return [v.view_as(p) for v, p in zip(vector.split([p.numel() for p in params]), params)]


def _hvp(loss: Loss, params: Sequence[Tensor], model: nn.Module, vector: Tensor) -> Tensor:
    """H v by double backward, part by part: grad of (grad f . v), so only one part's graph is alive at a time."""
    v = _unflat(vector, params)
    total = torch.zeros_like(vector)
    for part, weight in _parts(loss):
        grads = torch.autograd.grad(part(model), params, create_graph=True, allow_unused=True)
        live = [(g, vi) for g, vi in zip(grads, v) if g is not None and g.requires_grad]
        if not live:
            continue  # the gradient is constant: this part is linear in the weights
        g, vi = [g for g, _ in live], [vi for _, vi in live]
        total += weight * _flat(torch.autograd.grad(g, params, grad_outputs=vi, allow_unused=True), params)
    return total


@torch.no_grad()
def _value(loss: Loss, model: nn.Module) -> float:
    """f, part by part, without building a graph."""
    return float(sum(weight * part(model).item() for part, weight in _parts(loss)))


def _value_and_grad(loss: Loss, params: Sequence[Tensor], model: nn.Module) -> tuple[float, Tensor]:
    """f and its gradient (flat), part by part."""
    value, grad = 0.0, None
    for part, weight in _parts(loss):
        f = part(model)
        g = _flat(torch.autograd.grad(f, params, allow_unused=True), params)
        value += weight * f.item()
        grad = weight * g if grad is None else grad + weight * g
    return value, grad


def hessian_vector_product(model: nn.Module, loss: Loss, vector: Tensor, bn_mode: BNMode = "eval") -> Tensor:
    """H v for the Hessian H of ``loss(model)`` with respect to the trainable parameters.

    ``vector`` and the result are flat, in ``model.parameters()`` order. Dropout is off. BatchNorm uses its running
    statistics with ``bn_mode="eval"`` (the default: the loss is then a fixed function of the weights) or, with
    ``"train"``, the statistics of each fixed chunk of the loss (then the loss depends on the batch composition,
    which is why the chunks must stay fixed). Nothing about the model is changed.
    """
    params = _trainable(model)
    _check_vector(vector, params)
    with _measuring(model, bn_mode):
        return _hvp(loss, params, model, vector)


def _check_vector(vector: Tensor, params: Sequence[Tensor]) -> None:
    """A flat vector with one entry per trainable parameter."""
    n = sum(p.numel() for p in params)
    if vector.shape != (n,):
        raise ValueError(
            f"vector must be flat with one entry per trainable parameter, shape ({n},), got {tuple(vector.shape)}"
        )


def _check_iteration(tol: float, max_iter: int) -> None:
    """A positive tolerance and a positive int number of iterations."""
    if not tol > 0:
        raise ValueError(f"tol must be > 0 (relative residual at which to stop), got {tol!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive int (Hessian-vector products), got {max_iter!r}")


def _random_unit(params: Sequence[Tensor], generator: torch.Generator) -> Tensor:
    """A random unit vector drawn on the CPU, so that a seed gives the same start vector on every device."""
    n = sum(p.numel() for p in params)
    v = torch.randn(n, generator=generator, dtype=torch.float64).to(device=params[0].device, dtype=params[0].dtype)
    return v / v.norm()


def _residuals(
    loss: Loss, params: Sequence[Tensor], model: nn.Module, values: Sequence[float], vectors: Tensor
) -> tuple[float, ...]:
    """||H v_i - lambda_i v_i|| for each pair, one Hessian-vector product each."""
    return tuple((_hvp(loss, params, model, v) - lam * v).norm().item() for lam, v in zip(values, vectors))


def power_iteration(
    model: nn.Module,
    loss: Loss,
    *,
    tol: float = 1e-4,
    max_iter: int = 100,
    seed: int = 0,
    bn_mode: BNMode = "eval",
) -> EigenResult:
    """The eigenvalue of largest magnitude of the loss Hessian, by power iteration on Hessian-vector products.

    From a random unit v (drawn from a ``torch.Generator`` seeded with ``seed``), repeat w = H v,
    lambda = v . w, v = w / ||w|| until ``||H v - lambda v|| <= tol * |lambda|`` or ``max_iter`` products.
    Convergence is linear in ``|lambda_2 / lambda_1|``, so slow when the top eigenvalues are close; and at a point
    where H has a negative eigenvalue larger in magnitude than the top positive one, that negative eigenvalue is
    what is found. :func:`lanczos` has neither problem. See :func:`hessian_vector_product` for ``bn_mode``.
    """
    params = _trainable(model)
    _check_iteration(tol, max_iter)
    generator = torch.Generator().manual_seed(seed)
    with _measuring(model, bn_mode):
        v = _random_unit(params, generator)
        converged = False
        for iteration in range(1, max_iter + 1):
            w = _hvp(loss, params, model, v)
            lam = torch.dot(v, w).item()
            residual = (w - lam * v).norm().item()
            if residual <= tol * abs(lam):
                converged = True
                break
            if iteration < max_iter:  # keep v paired with lam and residual when the iteration stops here
                v = w / w.norm()
        return EigenResult((lam,), v.unsqueeze(0), (residual,), iteration, converged)


def lanczos(
    model: nn.Module,
    loss: Loss,
    k: int = 1,
    *,
    tol: float = 1e-4,
    max_iter: int = 100,
    seed: int = 0,
    bn_mode: BNMode = "eval",
) -> EigenResult:
    """The ``k`` largest eigenvalues of the loss Hessian, by the Lanczos method with full reorthogonalization.

    Builds an orthonormal basis Q of the Krylov space of a random start vector (``torch.Generator`` seeded with
    ``seed``), one Hessian-vector product per iteration, each new vector orthogonalized twice against all of Q, so
    that the Ritz values (eigenvalues of the tridiagonal T = Q^T H Q) keep no spurious copies. It stops when the
    k largest Ritz pairs all have the residual estimate ``|beta_m s_mi| <= tol * max_i |theta_i|``, or after
    ``max_iter`` iterations. When the Krylov space is invariant to the same tolerance (``beta <= tol * max_i
    |theta_i|``: in practice only for tiny or degenerate problems), it continues from a new random vector
    orthogonal to Q rather than stopping, so that repeated eigenvalues are found with their multiplicity.
    Memory: Q holds one vector per iteration, ``max_iter * n_params`` values at most. Unlike
    :func:`power_iteration` it returns the largest eigenvalues, not those of largest magnitude, and converges
    much faster. See :func:`hessian_vector_product` for ``bn_mode``.
    """
    params = _trainable(model)
    n = sum(p.numel() for p in params)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= n:
        raise ValueError(f"k must be an int between 1 and the number of trainable parameters ({n}), got {k!r}")
    _check_iteration(tol, max_iter)
    if max_iter < k:
        raise ValueError(f"max_iter ({max_iter}) must be at least k ({k}): each iteration adds one Ritz value")
    generator = torch.Generator().manual_seed(seed)
    with _measuring(model, bn_mode):
        basis = _random_unit(params, generator).unsqueeze(0)
        alphas: list[float] = []
        betas: list[float] = []
        converged = False
        for m in range(1, min(max_iter, n) + 1):
            w = _hvp(loss, params, model, basis[m - 1])
            alphas.append(torch.dot(basis[m - 1], w).item())
            w = _orthogonalize(w, basis)
            beta = w.norm().item()
            theta, s = _ritz(alphas, betas)
            scale = theta.abs().max().item()
            if m == n:
                converged = True  # the Krylov space is the whole space: T is H in the basis Q
                break
            if beta <= tol * scale:
                w = _orthogonalize(_random_unit(params, generator), basis)
                beta = 0.0  # the Krylov space is invariant (to tol): restart orthogonally to it
            elif m >= k and bool((beta * s[-1, :k].abs() <= tol * scale).all()):
                converged = True
                break
            betas.append(beta)
            basis = torch.cat([basis, (w / w.norm()).unsqueeze(0)])
        vectors = s[:, :k].T.to(basis) @ basis[: len(alphas)]
        values = tuple(theta[:k].tolist())
        return EigenResult(values, vectors, _residuals(loss, params, model, values, vectors), m, converged)


def _orthogonalize(w: Tensor, basis: Tensor) -> Tensor:
    """w minus its projection on the rows of ``basis``, twice (classical Gram-Schmidt is stable when repeated)."""
    for _ in range(2):
        w = w - basis.T @ (basis @ w)
    return w


def _ritz(alphas: Sequence[float], betas: Sequence[float]) -> tuple[Tensor, Tensor]:
    """Eigenvalues (largest first) and eigenvectors of the tridiagonal Lanczos matrix, in float64."""
    t = torch.diag(torch.tensor(alphas, dtype=torch.float64))
    if betas:
        off = torch.tensor(betas[: len(alphas) - 1], dtype=torch.float64)
        t += torch.diag(off, 1) + torch.diag(off, -1)
    theta, s = torch.linalg.eigh(t)
    return theta.flip(0), s.flip(1)


def epsilon_sharpness(
    model: nn.Module,
    loss: Loss,
    epsilon: float = 1e-3,
    *,
    steps: int = 20,
    step_fraction: float = 0.1,
    seed: int = 0,
    bn_mode: BNMode = "eval",
) -> SharpnessResult:
    """Keskar et al.'s (2017) epsilon-sharpness (Metric 2.1 with A = I), estimated by projected sign-gradient ascent.

    The metric is ``max_{y in C} (f(x + y) - f(x)) / (1 + f(x)) * 100`` over the box
    ``C = {y : |y_i| <= epsilon * (|x_i| + 1)}`` around the trainable weights x. Keskar et al. maximize with a few
    iterations of L-BFGS-B (SciPy); this implements projected sign-gradient ascent instead, with no dependency:
    y_0 is uniform in C (``torch.Generator`` seeded with ``seed``: at an exact stationary point the gradient at
    y = 0 vanishes and the ascent could not start), then ``steps`` times
    ``y <- clip(y + step_fraction * r * sign(grad f(x + y)), -r, r)`` with ``r_i = epsilon * (|x_i| + 1)``, i.e.
    steepest ascent for the box's own norm, a fixed fraction of the box per step. The largest f(x + y) seen is
    kept. Every iterate lies in C, so the result is a lower bound on the metric (exact at a corner maximum, e.g.
    for a convex f). Their tables use epsilon = 1e-3 and 5e-4. See :func:`hessian_vector_product` for ``bn_mode``.
    """
    if not epsilon > 0:
        raise ValueError(f"epsilon must be > 0 (relative half-width of the box), got {epsilon!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int (gradient-ascent steps), got {steps!r}")
    if not 0 < step_fraction <= 1:
        raise ValueError(
            f"step_fraction must be in (0, 1] (step as a fraction of the box half-width), got {step_fraction!r}"
        )
    params = _trainable(model)
    generator = torch.Generator().manual_seed(seed)
    with _measuring(model, bn_mode):
        x = _flat([p.detach() for p in params], params)
        f0 = _value(loss, model)
        radius = epsilon * (x.abs() + 1)
        y = (2 * torch.rand(len(x), generator=generator, dtype=torch.float64) - 1).to(x) * radius
        best, best_y = -float("inf"), y
        for _ in range(steps):
            _assign(params, x + y)
            value, grad = _value_and_grad(loss, params, model)
            if value > best:
                best, best_y = value, y
            y = torch.clamp(y + step_fraction * radius * grad.sign(), -radius, radius)
        _assign(params, x + y)
        value = _value(loss, model)
        if value > best:
            best, best_y = value, y
        sharpness = (best - f0) / (1 + f0) * 100
        return SharpnessResult(sharpness, f0, best, epsilon, steps, best_y)


def _assign(params: Sequence[Tensor], vector: Tensor) -> None:
    """Write a flat vector into the parameters (the caller restores them)."""
    with torch.no_grad():
        for p, v in zip(params, _unflat(vector, params)):
            p.copy_(v)
