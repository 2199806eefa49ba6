"""One SGD training step, written once: the engine trains with it, and the benchmarks time the very same step.

Forward under the precision policy's autocast, cross-entropy, backward through the gradient scaler, an optional
clip of the gradient norm, the optimizer step and the gradients set to ``None``. The loss and the count of correct
predictions stay on the device, so a step never waits for it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .precision import AmpPolicy

__all__ = ["train_step"]


def train_step(
    net: nn.Module,
    optimizer: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    policy: AmpPolicy,
    scaler: torch.amp.GradScaler,
    grad_clip: float | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Train ``net`` one step on the batch ``(x, y)``; return the detached float32 loss and the number of correct
    predictions, both on the device.

    ``net`` is what the forward pass runs through (the model, or its DDP or compiled wrapper); ``optimizer`` holds
    its parameters. With ``grad_clip`` the gradient norm of the optimizer's parameters is clipped at that value,
    after the scaler has unscaled them, so that the clip applies to the true gradients. ``scaler`` comes from
    ``policy.grad_scaler()`` (a disabled one passes everything through). Learning-rate schedules and the like are
    the caller's, after the step.
    """
    with policy.autocast():
        logits = net(x)
        loss = F.cross_entropy(logits, y)
    scaler.scale(loss).backward()
    if grad_clip is not None:
        scaler.unscale_(optimizer)
        nn.utils.clip_grad_norm_(_parameters(optimizer), grad_clip)
    scaler.step(optimizer)
    scaler.update()
    optimizer.zero_grad(set_to_none=True)
    return loss.detach().float(), (logits.detach().argmax(1) == y).sum()


def _parameters(optimizer: torch.optim.Optimizer) -> list[torch.Tensor]:
    """The parameters ``optimizer`` updates, in its order: the gradients the scaler unscaled and the step applies."""
    return [param for group in optimizer.param_groups for param in group["params"]]
