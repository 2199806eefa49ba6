"""Test-set evaluation: loss, top-1 and top-5 accuracy, summed over every process's share of the samples."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .distributed import all_reduce_
from .precision import AmpPolicy

__all__ = ["EvalMetrics", "evaluate"]


@dataclass(frozen=True)
class EvalMetrics:
    """Mean cross-entropy, top-1 accuracy and (when asked for) top-5 accuracy over the evaluated samples."""

    loss: float
    acc: float
    top5: float | None


@torch.no_grad()
def evaluate(
    model: nn.Module,
    batches: Iterable[tuple[Tensor, Tensor]],
    policy: AmpPolicy,
    *,
    top5: bool,
    limit: int | None = None,
) -> EvalMetrics:
    """Evaluate ``model`` in eval mode on ``batches``, counting at most ``limit`` samples of this process.

    Sums stay on the device until the end, then are added across processes (a no-op for one process), so every
    process returns the metrics over the whole test set.
    """
    model.eval()
    device = next(model.parameters()).device
    sums = torch.zeros(3, dtype=torch.float64, device=device)
    counted = 0
    for x, y in batches:
        if limit is not None and len(y) > limit - counted:
            x, y = x[: limit - counted], y[: limit - counted]
        if len(y) == 0:
            continue
        with policy.autocast():
            logits = model(x)
        logits = logits.float()
        hits = [F.cross_entropy(logits, y, reduction="sum"), (logits.argmax(1) == y).sum()]
        hits.append((logits.topk(5, dim=1).indices == y[:, None]).any(1).sum() if top5 else hits[1])
        sums += torch.stack([value.double() for value in hits])
        counted += len(y)
    totals = torch.cat([sums, torch.tensor([counted], dtype=torch.float64, device=device)])
    loss, correct, correct5, total = all_reduce_(totals).tolist()
    if total == 0:
        raise ValueError("the test set is empty; nothing to evaluate")
    return EvalMetrics(loss / total, correct / total, correct5 / total if top5 else None)
