"""Ghost Batch Normalization (Hoffer, Hubara & Soudry 2017, Algorithm 1).

A large batch of B_L samples is split into contiguous "ghost batches" of B_S samples, ``x.split(B_S)`` (the
last one may be smaller), and each ghost batch is normalized with its own mean and biased variance. The
normalization noise then matches that of small-batch training, whatever the batch size.

Running statistics equal the ordinary BatchNorm moving average applied once per ghost batch, in order. For
momentum m and ghost statistics s_1..s_k that is, in closed form,

    r <- (1 - m)^k r + sum_{l=1..k} m (1 - m)^(k - l) s_l,

which is what is implemented (one matrix-vector product instead of k sequential updates). The paper prints
the update as ``mu_run = (1 - eta)^{|B_S|} mu_run + sum_i (1 - eta)^i eta mu_i``; the exponent |B_S| (the ghost
size) should be k (the number of ghost batches), and the weights run the other way round, (1 - eta)^(k - i):
the most recent ghost batch weighs most. With ``momentum=None`` (cumulative average, as in ``nn.BatchNorm``)
the closed form is r <- (n r + sum_l s_l) / (n + k), n being the number of batches tracked so far.
At inference the running statistics are used, so the output does not depend on the inference batch.

All ghost batches are normalized by a single fused batch-norm kernel: the batch (k*B_S, C, ...) is laid out as
(B_S, k*C, ...), so that every (ghost batch, channel) pair becomes one channel. On the CPU a loop over the
ghost batches measures faster (``benchmarks/ghost_bn.py``), so the CPU takes the loop; both strategies give
the same statistics and gradients.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "ChunkLoopGhostBatchNorm",
    "GhostBatchNorm1d",
    "GhostBatchNorm2d",
    "convert_ghost_batchnorm",
    "ghost_batch_norm",
    "ghost_running_update",
]

Strategy = Literal["auto", "fused", "loop"]


def _validate_ghost_batch_size(ghost_batch_size: object) -> int:
    if isinstance(ghost_batch_size, bool) or not isinstance(ghost_batch_size, int) or ghost_batch_size < 1:
        raise ValueError(
            f"ghost_batch_size must be a positive int (the number of samples normalized together, "
            f"e.g. 128), got {ghost_batch_size!r}"
        )
    return ghost_batch_size


def _check_enough_values(x: Tensor, ghost_batch_size: int) -> None:
    """Refuse a ghost batch with one value per channel: its variance is undefined (nn.BatchNorm refuses too)."""
    n = x.shape[0]
    last = n - (n - 1) // ghost_batch_size * ghost_batch_size
    if last * _values_per_sample(x) == 1:
        raise ValueError(
            f"a ghost batch has a single value per channel (input shape {tuple(x.shape)}, ghost batch size "
            f"{ghost_batch_size}, last ghost batch of {last} sample), so its variance is undefined; "
            "use a batch size that leaves no ghost batch of one sample, or drop the last partial batch"
        )


def _values_per_sample(x: Tensor) -> int:
    """Values per channel contributed by one sample: 1 for (N, C), L for (N, C, L), H*W for (N, C, H, W)."""
    return x[0, 0].numel() if x.dim() > 2 else 1


def _to_ghost_channels(x: Tensor, k: int) -> Tensor:
    """Lay out (k*g, C, *S) as (g, k*C, *S): channel j*C + c holds channel c of ghost batch j."""
    n, c = x.shape[:2]
    g = n // k
    if x.dim() == 4 and not x.is_contiguous() and x.is_contiguous(memory_format=torch.channels_last):
        h, w = x.shape[2:]
        nhwc = x.permute(0, 2, 3, 1).reshape(k, g, h, w, c).permute(1, 2, 3, 0, 4)
        return nhwc.reshape(g, h, w, k * c).permute(0, 3, 1, 2)
    return x.reshape(k, g, c, *x.shape[2:]).transpose(0, 1).reshape(g, k * c, *x.shape[2:])


def _from_ghost_channels(y: Tensor, k: int) -> Tensor:
    """Inverse of :func:`_to_ghost_channels`, keeping a channels-last layout channels-last."""
    g, kc = y.shape[:2]
    c = kc // k
    if y.dim() == 4 and not y.is_contiguous() and y.is_contiguous(memory_format=torch.channels_last):
        h, w = y.shape[2:]
        nhwc = y.permute(0, 2, 3, 1).reshape(g, h, w, k, c).permute(3, 0, 1, 2, 4)
        return nhwc.reshape(k * g, h, w, c).permute(0, 3, 1, 2)
    return y.reshape(g, k, c, *y.shape[2:]).transpose(0, 1).reshape(k * g, c, *y.shape[2:])


def _normalize_fused(
    x: Tensor, k: int, weight: Tensor | None, bias: Tensor | None, eps: float
) -> tuple[Tensor, Tensor, Tensor]:
    """Normalize k equal ghost batches with one batch-norm call; returns output, means (k, C), invstd (k, C)."""
    c = x.shape[1]
    w = weight.repeat(k) if weight is not None else None
    b = bias.repeat(k) if bias is not None else None
    out, mean, invstd = torch.native_batch_norm(_to_ghost_channels(x, k), w, b, None, None, True, 0.0, eps)
    return _from_ghost_channels(out, k), mean.view(k, c), invstd.view(k, c)


def _normalize_loop(
    chunks: tuple[Tensor, ...], weight: Tensor | None, bias: Tensor | None, eps: float
) -> tuple[list[Tensor], Tensor, Tensor]:
    """Normalize each ghost batch with its own batch-norm call; returns outputs, means (k, C), invstd (k, C)."""
    results = [torch.native_batch_norm(chunk, weight, bias, None, None, True, 0.0, eps) for chunk in chunks]
    outs, means, invstds = zip(*results)
    return list(outs), torch.stack(means), torch.stack(invstds)


def _resolve_strategy(strategy: Strategy, x: Tensor) -> Literal["fused", "loop"]:
    if strategy == "auto":
        return "loop" if x.device.type == "cpu" else "fused"
    if strategy not in ("fused", "loop"):
        raise ValueError(f"strategy must be 'auto', 'fused' or 'loop', got {strategy!r}")
    return strategy


def _ghost_normalize(
    x: Tensor, ghost_batch_size: int, weight: Tensor | None, bias: Tensor | None, eps: float, strategy: Strategy
) -> tuple[Tensor, Tensor, Tensor]:
    """Normalize every ghost batch of ``x`` with its own statistics.

    Returns the output and, per ghost batch in order, the mean and the unbiased variance, each of shape (k, C).
    """
    n = x.shape[0]
    full = n - n % ghost_batch_size
    k_full = full // ghost_batch_size
    if _resolve_strategy(strategy, x) == "loop":
        outs, means, invstds = _normalize_loop(x.split(ghost_batch_size), weight, bias, eps)
        out = torch.cat(outs)
    else:
        out, means, invstds = _normalize_fused(x[:full], k_full, weight, bias, eps)
        if full < n:
            rest_out, rest_mean, rest_invstd = _normalize_loop((x[full:],), weight, bias, eps)
            out = torch.cat([out, rest_out[0]])
            means, invstds = torch.cat([means, rest_mean]), torch.cat([invstds, rest_invstd])
    biased = invstds.detach().pow(-2) - eps
    values = ghost_batch_size * _values_per_sample(x)
    bessel = torch.full((means.shape[0], 1), values / (values - 1), device=x.device, dtype=biased.dtype)
    if full < n:
        rest_values = (n - full) * _values_per_sample(x)
        bessel[-1] = rest_values / (rest_values - 1)
    return out, means.detach(), biased * bessel


def ghost_running_update(
    running: Tensor, stats: Tensor, momentum: float | None, num_batches_tracked: int
) -> None:
    """Apply the BatchNorm moving average once per row of ``stats`` (k, C), in order, in closed form, in place.

    ``momentum=None`` gives the cumulative average over all batches tracked so far (``num_batches_tracked``
    counts them before this update), as ``nn.BatchNorm`` does.
    """
    k = stats.shape[0]
    stats = stats.to(running.dtype)
    if momentum is None:
        running.mul_(num_batches_tracked).add_(stats.sum(0)).div_(num_batches_tracked + k)
        return
    decay = 1.0 - momentum
    exponents = torch.arange(k - 1, -1, -1, device=stats.device, dtype=torch.float32)
    weights = (momentum * decay**exponents).to(running.dtype)
    running.mul_(decay**k).add_(weights @ stats)


def ghost_batch_norm(
    x: Tensor,
    ghost_batch_size: int,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = True,
    momentum: float | None = 0.1,
    eps: float = 1e-5,
    num_batches_tracked: Tensor | None = None,
    strategy: Strategy = "auto",
) -> Tensor:
    """Functional Ghost Batch Normalization, the counterpart of ``F.batch_norm``.

    In training (or without running statistics) each contiguous ghost batch ``x.split(ghost_batch_size)`` is
    normalized with its own mean and biased variance, and the running statistics (when given) receive one
    moving-average update per ghost batch. Otherwise the running statistics normalize, as in BatchNorm.
    ``strategy`` picks the implementation: ``"fused"`` (one kernel for all ghost batches), ``"loop"`` (one call
    per ghost batch) or ``"auto"`` (the faster one on the device); the results are the same.
    """
    ghost_batch_size = _validate_ghost_batch_size(ghost_batch_size)
    tracking = running_mean is not None and running_var is not None
    if not training and tracking:
        return F.batch_norm(x, running_mean, running_var, weight, bias, False, 0.0, eps)
    n = x.shape[0]
    if n <= ghost_batch_size:
        if n > 0:
            _check_enough_values(x, ghost_batch_size)
        factor = 0.0 if momentum is None else momentum
        if tracking and training and momentum is None and num_batches_tracked is not None:
            factor = 1.0 / float(num_batches_tracked.item() + 1)
        out = F.batch_norm(x, running_mean, running_var, weight, bias, True, factor, eps)
        if num_batches_tracked is not None and training:
            num_batches_tracked.add_(1)
        return out
    _check_enough_values(x, ghost_batch_size)
    out, means, variances = _ghost_normalize(x, ghost_batch_size, weight, bias, eps, strategy)
    if tracking and training:
        tracked = 0
        if momentum is None and num_batches_tracked is not None:
            tracked = int(num_batches_tracked.item())
        with torch.no_grad():
            ghost_running_update(running_mean, means, momentum, tracked)
            ghost_running_update(running_var, variances, momentum, tracked)
    if num_batches_tracked is not None and training:
        num_batches_tracked.add_(means.shape[0])
    return out


class _GhostBatchNormMixin:
    """The ghost behaviour shared by the 1d and 2d modules; the rest is ``nn.BatchNorm``'s.

    ``strategy`` (an attribute, ``"auto"`` by default) picks the implementation, as in :func:`ghost_batch_norm`.
    """

    def __init__(
        self,
        num_features: int,
        ghost_batch_size: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.ghost_batch_size = _validate_ghost_batch_size(ghost_batch_size)
        self.strategy: Strategy = "auto"

    def forward(self, x: Tensor) -> Tensor:
        self._check_input_dim(x)
        tracking = self.training and self.track_running_stats
        return ghost_batch_norm(
            x,
            self.ghost_batch_size,
            self.running_mean if self.track_running_stats else None,
            self.running_var if self.track_running_stats else None,
            self.weight,
            self.bias,
            training=self.training or not self.track_running_stats,
            momentum=self.momentum,
            eps=self.eps,
            num_batches_tracked=self.num_batches_tracked if tracking else None,
            strategy=self.strategy,
        )

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, ghost_batch_size={self.ghost_batch_size}"


class GhostBatchNorm1d(_GhostBatchNormMixin, nn.BatchNorm1d):
    """Drop-in replacement for ``nn.BatchNorm1d`` that normalizes ghost batches of ``ghost_batch_size`` samples.

    Same parameters, buffers and state_dict keys as ``nn.BatchNorm1d``, so checkpoints load either way.
    """


class GhostBatchNorm2d(_GhostBatchNormMixin, nn.BatchNorm2d):
    """Drop-in replacement for ``nn.BatchNorm2d`` that normalizes ghost batches of ``ghost_batch_size`` samples.

    Same parameters, buffers and state_dict keys as ``nn.BatchNorm2d``, so checkpoints load either way.
    """


class ChunkLoopGhostBatchNorm(nn.Module):
    """Ghost BN by its definition: every ghost batch through an ordinary BatchNorm module, one after the other.

    This is how the authors' code and MosaicML Composer implement ghost batches (a Python loop, so k kernel
    launches per layer and direction on a GPU). gapbook keeps it as the reference that
    :class:`GhostBatchNorm2d` is tested against, and as the baseline of ``benchmarks/ghost_bn.py``.
    """

    def __init__(self, batchnorm: nn.Module, ghost_batch_size: int) -> None:
        super().__init__()
        self.batchnorm = batchnorm
        self.ghost_batch_size = _validate_ghost_batch_size(ghost_batch_size)

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([self.batchnorm(chunk) for chunk in x.split(self.ghost_batch_size)])


def convert_ghost_batchnorm(module: nn.Module, ghost_batch_size: int) -> nn.Module:
    """Replace every ``nn.BatchNorm1d``/``nn.BatchNorm2d`` in ``module`` by its Ghost counterpart.

    Parameters and buffers are kept (the very same tensors, so an optimizer built before the conversion keeps
    working), as ``nn.SyncBatchNorm.convert_sync_batchnorm`` does. Ghost modules already present get the new
    ghost size. Returns the converted module (the argument itself when it is not a BatchNorm).
    """
    ghost_batch_size = _validate_ghost_batch_size(ghost_batch_size)
    converted = module
    if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        ghost_class = GhostBatchNorm1d if isinstance(module, nn.BatchNorm1d) else GhostBatchNorm2d
        converted = ghost_class(
            module.num_features,
            ghost_batch_size,
            eps=module.eps,
            momentum=module.momentum,
            affine=module.affine,
            track_running_stats=module.track_running_stats,
            device="meta",
        )
        for name, parameter in module.named_parameters(recurse=False):
            setattr(converted, name, parameter)
        for name, buffer in module.named_buffers(recurse=False):
            setattr(converted, name, buffer)
        converted.train(module.training)
    for name, child in module.named_children():
        converted.add_module(name, convert_ghost_batchnorm(child, ghost_batch_size))
    return converted
