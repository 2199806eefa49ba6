"""Ghost Batch Normalization (Hoffer, Hubara & Soudry 2017, Algorithm 1).

A large batch of B_L samples is split into contiguous "ghost batches" of B_S samples, ``x.split(B_S)`` (the
last one may be smaller), and each ghost batch is normalized with its own mean and biased variance. The
normalization noise then matches that of small-batch training, whatever the batch size.

Running statistics equal the ordinary BatchNorm moving average applied once per ghost batch, in order. For
momentum m and ghost statistics s_1..s_k that is, in closed form,

    r <- (1 - m)^k r + sum_{l=1..k} m (1 - m)^(k - l) s_l,

which is what is implemented (one matrix-vector product instead of k sequential updates), in the precision of
the running statistics (float64 buffers get float64 weights; half-precision ones are updated in float32, as
PyTorch's kernels do). The paper prints the update as ``mu_run = (1 - eta)^{|B_S|} mu_run + sum_i (1 - eta)^i
eta mu_i``; the exponent ``|B_S|`` (the ghost size) should be k (the number of ghost batches), and the weights run
the other way round, (1 - eta)^(k - i): the most recent ghost batch weighs most. With ``momentum=None``
(cumulative average, as in ``nn.BatchNorm``) the closed form is r <- (n r + sum_l s_l) / (n + k), n being the
number of batches tracked so far. At inference the running statistics are used, so the output does not depend
on the inference batch.

All ghost batches are normalized by a single fused batch-norm kernel: the batch (k*B_S, C, ...) is laid out as
(B_S, k*C, ...), so that every (ghost batch, channel) pair becomes one channel. On the CPU a loop over the
ghost batches measures faster (``benchmarks/ghost_bn.py``), so the CPU takes the loop; both strategies give
the same statistics and gradients. Both call the batch-norm kernel without the checks of ``F.batch_norm``, so
:func:`ghost_batch_norm` makes them first: an input of fewer than 2 dimensions, or a weight, bias or running
statistic without one value per channel, is refused before anything is computed, with the error type
``F.batch_norm`` and ``nn.BatchNorm`` raise for the same mistake.

The modules and :func:`ghost_batch_norm` compile with ``torch.jit.script`` (the code path is the same, so are the
numbers). ``torch.jit.trace`` records the operations of one call, which would fix the number of ghost batches to
that of the example batch; so under tracing :func:`ghost_batch_norm` calls its scripted self, and the traced
module keeps splitting any batch it is given into ghost batches.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.jit import ScriptFunction
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.lazy import LazyModuleMixin

__all__ = [
    "ChunkLoopGhostBatchNorm",
    "check_inputs",
    "GhostBatchNorm1d",
    "GhostBatchNorm2d",
    "GhostBatchNorm3d",
    "GhostBatchNormNd",
    "convert_ghost_batchnorm",
    "ghost_batch_norm",
    "ghost_running_update",
]

Strategy = Literal["auto", "fused", "loop"]

# nn.BatchNorm's keyword-only ``bias`` (learn a shift or not) is recent; older PyTorch always learns one.
_BATCHNORM_HAS_BIAS = "bias" in inspect.signature(nn.BatchNorm2d.__init__).parameters


def _validate_ghost_batch_size(ghost_batch_size: int) -> int:
    """``ghost_batch_size`` if it is a positive int (not a bool); annotated ``int`` so that it scripts, but checked
    for any object in eager mode."""
    if isinstance(ghost_batch_size, bool) or not isinstance(ghost_batch_size, int) or ghost_batch_size < 1:
        raise ValueError(
            "ghost_batch_size must be a positive int (the number of samples normalized together, "
            f"e.g. 128), got {_repr(ghost_batch_size)}"
        )
    return ghost_batch_size


def _repr(value: Any) -> str:
    """``repr(value)``; under TorchScript, which has no ``repr``, the value's text."""
    if torch.jit.is_scripting():
        return f"{value}"
    return repr(value)


def _shape_text(shape: list[int]) -> str:
    """``shape`` written as a tuple, as ``tuple(x.shape)`` prints (TorchScript has no tuple of a list)."""
    items = [str(size) for size in shape]
    return "(" + items[0] + ",)" if len(items) == 1 else "(" + ", ".join(items) + ")"


def _check_at_least_2d(x: Tensor) -> None:
    """Refuse an input without a channel dimension, with nn.BatchNorm's error type (ValueError)."""
    if x.dim() < 2:
        raise ValueError(
            f"expected at least 2D input (got {x.dim()}D input of shape {_shape_text(x.shape)}): batch norm takes "
            "(N, C, *), a batch of N samples of C channels; for a single sample of C channels use x.unsqueeze(0)"
        )


def _check_per_channel(x: Tensor, name: str, tensor: Tensor | None) -> None:
    """Refuse a per-channel tensor without exactly one value per channel of ``x``, as F.batch_norm does.

    The batch-norm kernel indexes these tensors by channel without checking their size, so a short one is read
    past its end and a long one silently truncated.
    """
    if tensor is None:
        return
    channels = x.shape[1]
    if tensor.numel() != channels:
        raise RuntimeError(
            f"{name} should contain {channels} elements not {tensor.numel()}: it holds one value per channel, "
            f"and the input, of shape {_shape_text(x.shape)}, has {channels} channels in dim 1; give the input "
            f"{tensor.numel()} channels, or build the layer (num_features) and its tensors for {channels}"
        )
    if tensor.dim() != 1:
        raise RuntimeError(
            f"{name} should be 1-D, one value per channel, got shape {_shape_text(tensor.shape)}; "
            f"pass {name}.flatten()"
        )


def _check_running_pair(running_mean: Tensor | None, running_var: Tensor | None, training: bool) -> None:
    """Refuse running statistics missing in evaluation, or half a pair in training, as F.batch_norm does."""
    if not training:
        for name, missing in (("running_mean", running_mean is None), ("running_var", running_var is None)):
            if missing:
                raise RuntimeError(
                    f"{name} must be defined in evaluation mode (training=False normalizes with the running "
                    "statistics); pass running_mean and running_var, or training=True to use the ghost batches' own"
                )
    elif (running_mean is None) != (running_var is None):
        raise ValueError(
            "running_mean and running_var must either both be None or neither be None: pass both to track and "
            "use running statistics, neither to always normalize with the ghost batches' own statistics"
        )


def _check_eps(eps: float, training: bool) -> None:
    """Refuse an eps that could divide by zero, as F.batch_norm does (ValueError)."""
    if training and eps <= 0.0:
        raise ValueError(
            f"batch_norm eps must be positive during training, but got {eps}: a ghost batch of equal values has "
            "zero variance, and eps keeps its normalization finite; use e.g. the default 1e-5"
        )
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}; use e.g. the default 1e-5")


def check_inputs(
    x: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None,
    bias: Tensor | None,
    training: bool,
    eps: float,
) -> None:
    """Every check :func:`ghost_batch_norm` makes before computing anything (what ``F.batch_norm`` checks)."""
    _check_at_least_2d(x)
    _check_per_channel(x, "running_mean", running_mean)
    _check_per_channel(x, "running_var", running_var)
    _check_per_channel(x, "weight", weight)
    _check_per_channel(x, "bias", bias)
    _check_running_pair(running_mean, running_var, training)
    _check_eps(eps, training)


def _check_enough_values(x: Tensor, ghost_batch_size: int) -> None:
    """Refuse a ghost batch with one value per channel: its variance is undefined (nn.BatchNorm refuses too)."""
    n = x.shape[0]
    last = n - (n - 1) // ghost_batch_size * ghost_batch_size
    if last * _values_per_sample(x) == 1:
        raise ValueError(
            f"a ghost batch has a single value per channel (input shape {_shape_text(x.shape)}, ghost batch size "
            f"{ghost_batch_size}, last ghost batch of {last} sample), so its variance is undefined; "
            "use a batch size that leaves no ghost batch of one sample, or drop the last partial batch"
        )


def _values_per_sample(x: Tensor) -> int:
    """Values per channel contributed by one sample: 1 for (N, C), L for (N, C, L), H*W for (N, C, H, W)."""
    values = 1
    for size in x.shape[2:]:
        values *= size
    return values


def _to_ghost_channels(x: Tensor, k: int) -> Tensor:
    """Lay out (k*g, C, *S) as (g, k*C, *S): channel j*C + c holds channel c of ghost batch j."""
    c, g, spatial = x.shape[1], x.shape[0] // k, list(x.shape[2:])
    if x.dim() == 4 and not x.is_contiguous() and x.is_contiguous(memory_format=torch.channels_last):
        h, w = spatial[0], spatial[1]
        nhwc = x.permute(0, 2, 3, 1).reshape(k, g, h, w, c).permute(1, 2, 3, 0, 4)
        return nhwc.reshape(g, h, w, k * c).permute(0, 3, 1, 2)
    return x.reshape([k, g, c] + spatial).transpose(0, 1).reshape([g, k * c] + spatial)


def _from_ghost_channels(y: Tensor, k: int) -> Tensor:
    """Inverse of :func:`_to_ghost_channels`, keeping a channels-last layout channels-last."""
    g, c, spatial = y.shape[0], y.shape[1] // k, list(y.shape[2:])
    if y.dim() == 4 and not y.is_contiguous() and y.is_contiguous(memory_format=torch.channels_last):
        h, w = spatial[0], spatial[1]
        nhwc = y.permute(0, 2, 3, 1).reshape(g, h, w, k, c).permute(3, 0, 1, 2, 4)
        return nhwc.reshape(k * g, h, w, c).permute(0, 3, 1, 2)
    return y.reshape([g, k, c] + spatial).transpose(0, 1).reshape([k * g, c] + spatial)


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
    chunks: list[Tensor], weight: Tensor | None, bias: Tensor | None, eps: float
) -> tuple[list[Tensor], Tensor, Tensor]:
    """Normalize each ghost batch with its own batch-norm call; returns outputs, means (k, C), invstd (k, C)."""
    outs: list[Tensor] = []
    means: list[Tensor] = []
    invstds: list[Tensor] = []
    for chunk in chunks:
        out, mean, invstd = torch.native_batch_norm(chunk, weight, bias, None, None, True, 0.0, eps)
        outs.append(out)
        means.append(mean)
        invstds.append(invstd)
    return outs, torch.stack(means), torch.stack(invstds)


def _resolve_strategy(strategy: str, x: Tensor) -> str:
    if strategy == "auto":
        return "loop" if x.device.type == "cpu" else "fused"
    if strategy not in ("fused", "loop"):
        raise ValueError(f"strategy must be 'auto', 'fused' or 'loop', got {_repr(strategy)}")
    return strategy


def _ghost_normalize(
    x: Tensor,
    ghost_batch_size: int,
    weight: Tensor | None,
    bias: Tensor | None,
    eps: float,
    strategy: str,
) -> tuple[Tensor, Tensor, Tensor]:
    """Normalize every ghost batch of ``x`` with its own statistics.

    Returns the output and, per ghost batch in order, the mean and the unbiased variance, each of shape (k, C).
    """
    n = x.shape[0]
    full = n - n % ghost_batch_size
    k_full = full // ghost_batch_size
    if strategy == "loop":
        outs, means, invstds = _normalize_loop(list(x.split(ghost_batch_size)), weight, bias, eps)
        out = torch.cat(outs)
    else:
        out, means, invstds = _normalize_fused(x[:full], k_full, weight, bias, eps)
        if full < n:
            rest_out, rest_mean, rest_invstd = _normalize_loop([x[full:]], weight, bias, eps)
            out = torch.cat([out, rest_out[0]])
            means, invstds = torch.cat([means, rest_mean]), torch.cat([invstds, rest_invstd])
    biased = invstds.detach().pow(-2) - eps
    values = ghost_batch_size * _values_per_sample(x)
    bessel = torch.full((means.shape[0], 1), values / (values - 1), device=x.device, dtype=biased.dtype)
    if full < n:
        rest_values = (n - full) * _values_per_sample(x)
        bessel[-1] = rest_values / (rest_values - 1)
    return out, means.detach(), biased * bessel


def _update_dtype(dtype: torch.dtype) -> torch.dtype:
    """The dtype to update running statistics of ``dtype`` in: their own, but at least float32 (as torch's kernels)."""
    return torch.promote_types(dtype, torch.float32)


def ghost_running_update(
    running: Tensor, stats: Tensor, momentum: float | None, num_batches_tracked: int
) -> None:
    """Apply the BatchNorm moving average once per row of ``stats`` (k, C), in order, in closed form, in place.

    ``momentum=None`` gives the cumulative average over all batches tracked so far (``num_batches_tracked``
    counts them before this update), as ``nn.BatchNorm`` does. The weights and the sum are computed in the
    precision of ``running`` (at least float32), so a float64 buffer gets what k float64 updates would give.
    """
    k = stats.shape[0]
    dtype = _update_dtype(running.dtype)
    stats = stats.to(dtype)
    if momentum is None:
        updated = (running.to(dtype) * num_batches_tracked + stats.sum(0)) / (num_batches_tracked + k)
    else:
        decay = 1.0 - momentum
        exponents = torch.arange(k - 1, -1, -1, device=stats.device, dtype=dtype)
        updated = running.to(dtype) * decay**k + (momentum * torch.pow(decay, exponents)) @ stats
    running.copy_(updated)


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
    strategy: str = "auto",
) -> Tensor:
    """Functional Ghost Batch Normalization, the counterpart of ``F.batch_norm``.

    In training each contiguous ghost batch ``x.split(ghost_batch_size)`` of ``x`` ``(N, C, *)`` is normalized with
    its own mean and biased variance, and the running statistics (when given) receive one moving-average update
    per ghost batch. Otherwise (``training=False``) the running statistics normalize, as in BatchNorm.
    ``strategy`` picks the implementation: ``"fused"`` (one kernel for all ghost batches), ``"loop"`` (one call
    per ghost batch) or ``"auto"`` (the faster one on the device); the results are the same. It compiles with
    ``torch.jit.script``; under ``torch.jit.trace`` it runs (and is recorded) as its scripted self, so that a trace
    splits batches of any size.

    Refused before anything is computed, as ``F.batch_norm`` refuses them: an input of fewer than 2 dimensions
    (ValueError), a weight, bias or running statistic that is not 1-D with one value per channel (RuntimeError),
    ``training=False`` without both running statistics (RuntimeError), only one of them in training (ValueError),
    an ``eps`` that is negative, or zero in training (ValueError).
    """
    if not torch.jit.is_scripting() and torch.jit.is_tracing():
        return _scripted_ghost_batch_norm()(
            x, ghost_batch_size, running_mean, running_var, weight, bias, training, momentum, eps,
            num_batches_tracked, strategy,
        )  # fmt: skip
    ghost_batch_size = _validate_ghost_batch_size(ghost_batch_size)
    check_inputs(x, running_mean, running_var, weight, bias, training, eps)
    resolved = _resolve_strategy(strategy, x)
    if not training:
        return F.batch_norm(x, running_mean, running_var, weight, bias, False, 0.0, eps)
    n = x.shape[0]
    if n <= ghost_batch_size:
        if n > 0:
            _check_enough_values(x, ghost_batch_size)
        factor = 0.0 if momentum is None else momentum
        if running_mean is not None and momentum is None and num_batches_tracked is not None:
            factor = 1.0 / float(int(num_batches_tracked) + 1)
        out = F.batch_norm(x, running_mean, running_var, weight, bias, True, factor, eps)
        if num_batches_tracked is not None:
            num_batches_tracked.add_(1)
        return out
    _check_enough_values(x, ghost_batch_size)
    out, means, variances = _ghost_normalize(x, ghost_batch_size, weight, bias, eps, resolved)
    if running_mean is not None and running_var is not None:
        tracked = 0
        if momentum is None and num_batches_tracked is not None:
            tracked = int(num_batches_tracked)
        with torch.no_grad():
            ghost_running_update(running_mean, means, momentum, tracked)
            ghost_running_update(running_var, variances, momentum, tracked)
    if num_batches_tracked is not None:
        num_batches_tracked.add_(means.shape[0])
    return out


@functools.cache
def _scripted_ghost_batch_norm() -> ScriptFunction:
    """:func:`ghost_batch_norm` compiled by TorchScript (once), for traces to call: a trace of a call to a scripted
    function keeps its loops and branches, here the split into as many ghost batches as the batch holds."""
    with warnings.catch_warnings():  # torch.jit.script is deprecated in recent PyTorch, but still what trace needs
        warnings.simplefilter("ignore", FutureWarning)
        return torch.jit.script(ghost_batch_norm)


def _bias_kwargs(bias: bool) -> dict[str, bool]:
    """nn.BatchNorm's ``bias`` argument where this PyTorch has it; older ones always learn a bias."""
    if _BATCHNORM_HAS_BIAS:
        return {"bias": bias}
    if not bias:
        raise TypeError(
            f"bias=False needs a PyTorch whose nn.BatchNorm has the bias argument (torch {torch.__version__} has "
            "none): upgrade PyTorch, or set the bias to zero and freeze it (requires_grad_(False))"
        )
    return {}


class _GhostBatchNormMixin:
    """The ghost behaviour shared by the Ghost modules; the rest is ``nn.BatchNorm``'s.

    The constructor takes ``nn.BatchNorm``'s arguments, in its order, with ``ghost_batch_size`` second.
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
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, **_bias_kwargs(bias))
        self.ghost_batch_size = _validate_ghost_batch_size(ghost_batch_size)
        self.strategy: Strategy = "auto"

    def forward(self, x: Tensor) -> Tensor:
        """``nn.BatchNorm.forward`` with ghost batches: the same choice of statistics to use and to update."""
        self._check_input_dim(x)
        use_buffers = not self.training or self.track_running_stats
        return ghost_batch_norm(
            x,
            self.ghost_batch_size,
            self.running_mean if use_buffers else None,
            self.running_var if use_buffers else None,
            self.weight,
            self.bias,
            training=self.training or (self.running_mean is None and self.running_var is None),
            momentum=self.momentum,
            eps=self.eps,
            num_batches_tracked=self.num_batches_tracked if self.training and self.track_running_stats else None,
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


class GhostBatchNorm3d(_GhostBatchNormMixin, nn.BatchNorm3d):
    """Drop-in replacement for ``nn.BatchNorm3d`` that normalizes ghost batches of ``ghost_batch_size`` samples.

    Same parameters, buffers and state_dict keys as ``nn.BatchNorm3d``, so checkpoints load either way.
    """


class GhostBatchNormNd(_GhostBatchNormMixin, _BatchNorm):
    """Ghost BN for any input ``(N, C, *)`` of at least 2 dimensions: what a ``nn.SyncBatchNorm`` is converted to.

    ``nn.SyncBatchNorm`` accepts every such input, so its replacement must too. Statistics are per process.
    """

    def _check_input_dim(self, x: Tensor) -> None:
        _check_at_least_2d(x)


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


_GHOST_COUNTERPARTS: dict[type[nn.Module], type[_GhostBatchNormMixin]] = {
    nn.BatchNorm1d: GhostBatchNorm1d,
    nn.BatchNorm2d: GhostBatchNorm2d,
    nn.BatchNorm3d: GhostBatchNorm3d,
    nn.SyncBatchNorm: GhostBatchNormNd,
}

# Hooks live on the module object, so replacing it would drop them: where nn.Module keeps each kind.
_HOOK_KINDS = {
    "_forward_pre_hooks": "forward pre-hook",
    "_forward_hooks": "forward hook",
    "_backward_pre_hooks": "backward pre-hook",
    "_backward_hooks": "backward hook",
    "_state_dict_pre_hooks": "state_dict pre-hook",
    "_state_dict_hooks": "state_dict hook",
    "_load_state_dict_pre_hooks": "load_state_dict pre-hook",
    "_load_state_dict_post_hooks": "load_state_dict post-hook",
}


def _describe(path: str, module: nn.Module) -> str:
    where = f"the module at {path!r}" if path else "the module passed in"
    return f"{where} ({type(module).__module__}.{type(module).__qualname__})"


def _subclass_refusal(module: _BatchNorm) -> str:
    """Why the BatchNorm subclass ``module`` is not converted, and what to do instead."""
    if isinstance(module, LazyModuleMixin):
        return "a lazy BatchNorm, not materialized yet: run the model on one batch first, then convert it"
    lost = "its own forward" if type(module).forward is not _BatchNorm.forward else "whatever the subclass changes"
    return (
        f"a subclass of nn.BatchNorm, and a Ghost module would drop {lost}; only nn.BatchNorm1d/2d/3d and "
        "nn.SyncBatchNorm themselves are converted: replace it yourself, e.g. by a subclass of GhostBatchNorm2d"
    )


def _refuse_unconvertible(path: str, module: nn.Module) -> None:
    """Raise if ``module`` is a BatchNorm (or may hide one) that converting would change or drop silently."""
    if isinstance(module, torch.jit.ScriptModule):
        raise TypeError(
            f"convert_ghost_batchnorm: {_describe(path, module)} is scripted (torch.jit.ScriptModule), and the "
            "modules inside a scripted module cannot be replaced; convert the eager model, then script it"
        )
    if not isinstance(module, _BatchNorm) or isinstance(module, _GhostBatchNormMixin):
        return
    if type(module) not in _GHOST_COUNTERPARTS:
        raise TypeError(f"convert_ghost_batchnorm: {_describe(path, module)} is {_subclass_refusal(module)}")
    hooks = [kind for attribute, kind in _HOOK_KINDS.items() if getattr(module, attribute, None)]
    if hooks:
        raise ValueError(
            f"convert_ghost_batchnorm: {_describe(path, module)} has hooks registered ({', '.join(hooks)}), which "
            "would be lost with the module it replaces; remove them (handle.remove()), convert, and register "
            "them on the converted module"
        )


def _ghost_counterpart(module: _BatchNorm, ghost_batch_size: int) -> nn.Module:
    """The Ghost module that replaces ``module``, holding its very parameters and buffers."""
    converted = _GHOST_COUNTERPARTS[type(module)](
        module.num_features,
        ghost_batch_size,
        eps=module.eps,
        momentum=module.momentum,
        affine=module.affine,
        track_running_stats=module.track_running_stats,
        device="meta",
    )
    for name, parameter in module._parameters.items():
        converted.register_parameter(name, parameter)
    for name, buffer in module._buffers.items():
        converted.register_buffer(name, buffer, persistent=name not in module._non_persistent_buffers_set)
    return converted.train(module.training)


def _convert(module: nn.Module, ghost_batch_size: int) -> nn.Module:
    """Convert ``module`` and, recursively, its children; :func:`_refuse_unconvertible` has passed them all."""
    if isinstance(module, _GhostBatchNormMixin):
        module.ghost_batch_size = ghost_batch_size
    converted = _ghost_counterpart(module, ghost_batch_size) if type(module) in _GHOST_COUNTERPARTS else module
    for name, child in module.named_children():
        converted.add_module(name, _convert(child, ghost_batch_size))
    return converted


def convert_ghost_batchnorm(module: nn.Module, ghost_batch_size: int) -> nn.Module:
    """Replace every ``nn.BatchNorm1d/2d/3d`` and ``nn.SyncBatchNorm`` in ``module`` by its Ghost counterpart.

    ``nn.BatchNorm1d/2d/3d`` become :class:`GhostBatchNorm1d/2d/3d`; ``nn.SyncBatchNorm`` becomes
    :class:`GhostBatchNormNd` (any input of 2 or more dimensions, as SyncBatchNorm takes), and no longer
    synchronizes anything: Ghost BN is per-process by design, each process normalizing its own ghost batches.
    Parameters and buffers are kept (the very same tensors, so an optimizer built before the conversion keeps
    working), as ``nn.SyncBatchNorm.convert_sync_batchnorm`` does. Ghost modules already present get the new
    ghost size. Returns the converted module (the argument itself when it is not a BatchNorm).

    Refused before anything is changed, with an error naming the module's path and class: a scripted module
    (``torch.jit.ScriptModule``), whose submodules cannot be replaced (TypeError); any other subclass of
    ``nn.BatchNorm``, whose own ``forward``, or whatever else it changes, would be lost (TypeError; a lazy
    BatchNorm becomes a plain one once it has run on a batch); a BatchNorm with hooks registered, which would be
    lost with it (ValueError). Modules that are not BatchNorms (e.g. torchvision's ``FrozenBatchNorm2d``, which
    has no batch statistics) are left as they are.
    """
    ghost_batch_size = _validate_ghost_batch_size(ghost_batch_size)
    for path, submodule in module.named_modules():
        _refuse_unconvertible(path, submodule)
    return _convert(module, ghost_batch_size)
