"""The noise of an SGD update, from per-sample gradients (Hoffer, Hubara & Soudry 2017, section 4).

A mini-batch of M samples drawn independently from N gives the gradient g_B = (1/M) sum_{n in B} g_n, whose
mean is the full gradient g = (1/N) sum_n g_n and whose covariance is Sigma / M, with
Sigma = (1/N) sum_n (g_n - g)(g_n - g)^T. The update dw = -eta g_B therefore has

    cov(dw) = (eta^2 / M) Sigma ~= (eta^2 / M) (1/N) sum_n g_n g_n^T,

the paper's formula, the last step because the mean gradient is small next to the per-sample gradients.
Keeping eta^2 / M fixed keeps the noise of the update fixed: eta proportional to sqrt(M).

Per-sample gradients come from ``torch.func`` (``functional_call`` + ``vmap`` + ``grad``), a chunk of samples
at a time, and only their running sums are kept, so memory does not grow with N. They need a network whose
output for a sample does not depend on the other samples of the batch: BatchNorm must use fixed statistics.
The per-sample functions therefore evaluate the network in ``eval()`` mode, after
:func:`freeze_batchnorm_statistics` has set those statistics to the ones of a given batch; only
:func:`sampled_gradient_variance` can also measure mini-batches in training mode, with BatchNorm's batch
statistics, for comparison.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.func import functional_call, grad, vmap

__all__ = [
    "GradientStatistics",
    "LossFunction",
    "flat_gradient",
    "freeze_batchnorm_statistics",
    "full_gradient",
    "gradient_statistics",
    "per_sample_gradients",
    "sampled_gradient_variance",
]

LossFunction = Callable[[Tensor, Tensor], Tensor]


@dataclass(frozen=True)
class GradientStatistics:
    """The mean gradient of N samples and the squared norms of their per-sample gradients.

    ``mean`` is g = (1/N) sum_n g_n as one flat vector (parameters in ``named_parameters()`` order);
    ``norms_sq`` holds ||g_n||^2 for every sample, in float64, whose mean is the trace of the paper's
    (1/N) sum_n g_n g_n^T.
    """

    mean: Tensor
    norms_sq: Tensor

    @property
    def samples(self) -> int:
        """N, the number of samples."""
        return len(self.norms_sq)

    @property
    def mean_square(self) -> float:
        """(1/N) sum_n ||g_n||^2, the trace of (1/N) sum_n g_n g_n^T."""
        return float(self.norms_sq.mean())

    @property
    def mean_norm_sq(self) -> float:
        """||g||^2, the squared norm of the mean gradient."""
        return float(self.mean.double().square().sum())

    @property
    def trace(self) -> float:
        """tr Sigma = (1/N) sum_n ||g_n - g||^2, the total variance of one sample's gradient."""
        return self.mean_square - self.mean_norm_sq

    def noise_scale(self, gradient_norm_sq: float | None = None) -> float:
        """The simple gradient noise scale B_simple = tr Sigma / ||G||^2 of McCandlish et al. (2018): about the
        batch beyond which a larger batch stops cutting the updates needed in proportion.

        ``gradient_norm_sq`` is ||G||^2 of the full-data gradient when it was measured on more samples than
        these (the mean of N per-sample gradients overestimates it by tr Sigma / N); by default the mean of these.
        """
        norm_sq = self.mean_norm_sq if gradient_norm_sq is None else gradient_norm_sq
        if not norm_sq > 0:
            raise ValueError(f"the squared gradient norm must be > 0 to divide by, got {norm_sq!r}")
        return self.trace / norm_sq

    def update_variance(self, lr: float, batch_size: int) -> float:
        """tr cov(dw) = eta^2 tr Sigma / M, for M samples drawn independently (with replacement)."""
        return lr**2 * self.trace / batch_size

    def paper_update_variance(self, lr: float, batch_size: int) -> float:
        """The paper's approximation, eta^2 / M times the trace of (1/N) sum_n g_n g_n^T."""
        return lr**2 * self.mean_square / batch_size

    def share_of_largest(self, fraction: float) -> float:
        """The share of sum_n ||g_n||^2 carried by the ceil(fraction * N) samples with the largest gradients."""
        if not 0 < fraction <= 1:
            raise ValueError(f"fraction must be in (0, 1], got {fraction}")
        count = math.ceil(fraction * self.samples)
        return float(self.norms_sq.topk(count).values.sum() / self.norms_sq.sum())


def _trainable(model: nn.Module) -> dict[str, Tensor]:
    """The trainable parameters, detached, keyed by name in ``named_parameters()`` order."""
    return {name: p.detach() for name, p in model.named_parameters() if p.requires_grad}


@contextmanager
def _evaluating(model: nn.Module) -> Iterator[None]:
    """Put ``model`` in eval mode (fixed BatchNorm statistics, no dropout), then restore its mode."""
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


@torch.no_grad()
def freeze_batchnorm_statistics(model: nn.Module, x: Tensor) -> None:
    """Set every BatchNorm's running mean and variance to the statistics of its input for the batch ``x``.

    A forward pass in eval mode sets, just before each BatchNorm runs, its running statistics to the mean and
    biased variance of its input, so that every layer sees activations normalized as in training mode on the
    batch ``x``. Afterwards the network in eval mode normalizes any sample with these statistics held fixed:
    it is a function of one sample at a time, so per-sample gradients are defined. The mode and
    ``num_batches_tracked`` are left as they were.
    """
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    missing = [m for m in norms if m.running_mean is None or m.running_var is None]
    if missing:
        raise ValueError(
            f"{len(missing)} BatchNorm layer(s) keep no running statistics (track_running_stats=False), so their "
            "statistics cannot be frozen; build them with track_running_stats=True"
        )

    def set_statistics(module: nn.Module, inputs: tuple[Tensor, ...]) -> None:
        (h,) = inputs
        var, mean = torch.var_mean(h, dim=[d for d in range(h.dim()) if d != 1], correction=0)
        module.running_mean.copy_(mean)
        module.running_var.copy_(var)

    handles = [m.register_forward_pre_hook(set_statistics) for m in norms]
    try:
        with _evaluating(model):
            model(x)
    finally:
        for handle in handles:
            handle.remove()


def per_sample_gradients(
    model: nn.Module, x: Tensor, y: Tensor, loss_fn: LossFunction = F.cross_entropy
) -> dict[str, Tensor]:
    """The gradient of the loss of every sample of ``x``, keyed by parameter name, each of shape ``(N, *p.shape)``.

    The network is evaluated in eval mode (see the module docstring). Memory is N times the parameters: use
    :func:`gradient_statistics` for many samples.
    """
    params = _trainable(model)
    buffers = {name: b.detach() for name, b in model.named_buffers()}

    def sample_loss(p: dict[str, Tensor], sample: Tensor, target: Tensor) -> Tensor:
        logits = functional_call(model, (p, buffers), (sample.unsqueeze(0),))
        return loss_fn(logits, target.unsqueeze(0))

    with _evaluating(model):
        return vmap(grad(sample_loss), in_dims=(None, 0, 0))(params, x, y)


def gradient_statistics(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    loss_fn: LossFunction = F.cross_entropy,
    chunk_size: int = 64,
) -> GradientStatistics:
    """Mean gradient and mean squared norm of the per-sample gradients of all of ``x``, ``chunk_size`` at a time."""
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive int, got {chunk_size}")
    _check_samples(x, y)
    sums = [torch.zeros(p.shape, dtype=torch.float64, device=x.device) for p in _trainable(model).values()]
    norms_sq = []
    for xs, ys in zip(x.split(chunk_size), y.split(chunk_size)):
        chunk_norms = torch.zeros(len(xs), dtype=torch.float64, device=x.device)
        for total, g in zip(sums, per_sample_gradients(model, xs, ys, loss_fn).values()):
            chunk_norms += g.flatten(1).square().sum(1)
            total += g.sum(0)
        norms_sq.append(chunk_norms)
    mean = torch.cat([total.flatten() for total in sums]) / len(x)
    return GradientStatistics(mean=mean.float(), norms_sq=torch.cat(norms_sq).cpu())


def flat_gradient(model: nn.Module, x: Tensor, y: Tensor, loss_fn: LossFunction = F.cross_entropy) -> Tensor:
    """The gradient of the mean loss over the batch ``x``, as one flat vector, in the model's current mode."""
    params = [p for p in model.parameters() if p.requires_grad]
    grads = torch.autograd.grad(loss_fn(model(x), y), params)
    return torch.cat([g.flatten() for g in grads])


def full_gradient(
    model: nn.Module, x: Tensor, y: Tensor, loss_fn: LossFunction = F.cross_entropy, chunk_size: int = 4096
) -> Tensor:
    """The gradient of the mean loss over all of ``x`` in eval mode, ``chunk_size`` samples at a time.

    In eval mode it equals the mean of the per-sample gradients, at the cost of ordinary backward passes.
    """
    _check_samples(x, y)
    total = torch.zeros(_size(model), dtype=torch.float64, device=x.device)
    with _evaluating(model):
        for xs, ys in zip(x.split(chunk_size), y.split(chunk_size)):
            total += len(xs) * flat_gradient(model, xs, ys, loss_fn).double()
    return (total / len(x)).float()


def sampled_gradient_variance(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    batch_size: int,
    draws: int,
    *,
    batch_statistics: bool = False,
    mean: Tensor | None = None,
    loss_fn: LossFunction = F.cross_entropy,
    generator: torch.Generator | None = None,
) -> float:
    """E||g_B - E g_B||^2 over ``draws`` mini-batches of ``batch_size`` samples drawn with replacement from ``x``.

    By default the network runs in eval mode, where E g_B is the full gradient of ``x`` (:func:`full_gradient`):
    pass it as ``mean`` to measure the deviations from it. With ``batch_statistics`` a copy of the network runs
    in training mode, so that BatchNorm normalizes each mini-batch with its own statistics, as in training (the
    model's own running statistics are left alone); E g_B is then unknown. Without ``mean`` the deviations are
    taken from the average of the draws, with the unbiased factor 1 / (draws - 1).
    """
    _check_samples(x, y)
    if draws < 2:
        raise ValueError(f"draws must be at least 2, got {draws}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    net = copy.deepcopy(model).train() if batch_statistics else model
    total = torch.zeros(_size(model), dtype=torch.float64, device=x.device)
    square = 0.0
    centre = None if mean is None else mean.to(device=x.device, dtype=torch.float32)
    with _evaluating(net) if not batch_statistics else nullcontext():
        for _ in range(draws):
            index = torch.randint(len(x), (batch_size,), generator=generator).to(x.device)
            g = flat_gradient(net, x[index], y[index], loss_fn)
            if centre is None:
                total += g
            else:
                g -= centre
            square += float(torch.linalg.vector_norm(g)) ** 2
    if centre is not None:
        return square / draws
    return (square - float(total.square().sum()) / draws) / (draws - 1)


def _size(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _check_samples(x: Tensor, y: Tensor) -> None:
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y must hold the same, non-zero number of samples, got {len(x)} and {len(y)}")
