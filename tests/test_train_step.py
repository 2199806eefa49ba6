"""The one training step (``gapbook.train.step.train_step``): the same numbers as SGD written out by hand."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gapbook.train import AmpPolicy, train_step

FP32 = AmpPolicy("fp32", "cpu")


def tiny_model() -> nn.Module:
    """A seeded two-layer net with BatchNorm (its running statistics must move like the hand-written step's)."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))


def batch(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(16, 6, generator=generator), torch.randint(0, 3, (16,), generator=generator)


def sgd(model: nn.Module, lr: float = 0.1) -> torch.optim.Optimizer:
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)


def by_hand(
    model: nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor, clip: float | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """One SGD step written out: forward, cross-entropy, backward, clip, step, gradients cleared."""
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    if clip is not None:
        nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.detach(), (logits.detach().argmax(1) == y).sum()


@pytest.mark.parametrize("clip", [None, 5.0, 0.01])
def test_the_step_equals_sgd_written_by_hand_bitwise(clip: float | None) -> None:
    model = tiny_model()
    reference = copy.deepcopy(model)
    optimizer, reference_optimizer = sgd(model), sgd(reference)
    scaler = FP32.grad_scaler()
    for seed in range(3):  # several steps, so that the momentum buffers count too
        x, y = batch(seed)
        loss, hits = train_step(model, optimizer, x, y, policy=FP32, scaler=scaler, grad_clip=clip)
        expected_loss, expected_hits = by_hand(reference, reference_optimizer, x, y, clip)
        assert torch.equal(loss, expected_loss) and torch.equal(hits, expected_hits)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), reference.state_dict().values()))
    assert all(p.grad is None for p in model.parameters())


def test_the_step_returns_detached_float32_device_tensors() -> None:
    model = tiny_model()
    x, y = batch(0)
    policy = AmpPolicy("bf16", "cpu")  # autocast computes in bf16; the loss comes back in float32
    loss, hits = train_step(model, sgd(model), x, y, policy=policy, scaler=policy.grad_scaler())
    assert loss.dtype == torch.float32 and loss.shape == () and not loss.requires_grad
    assert hits.dtype == torch.int64 and hits.shape == () and 0 <= int(hits) <= len(y)
    assert loss.device == hits.device == x.device


def test_clipping_bounds_the_update_when_asked() -> None:
    model = tiny_model()
    before = [p.detach().clone() for p in model.parameters()]
    x, y = batch(0)
    lr, clip = 1.0, 1e-3  # plain SGD: the update is lr times the (clipped) gradient
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    train_step(model, optimizer, x, y, policy=FP32, scaler=FP32.grad_scaler(), grad_clip=clip)
    update = torch.cat([(b - p.detach()).flatten() for b, p in zip(before, model.parameters())])
    assert update.norm().item() == pytest.approx(lr * clip, rel=1e-4)

    unclipped = tiny_model()
    optimizer = torch.optim.SGD(unclipped.parameters(), lr=lr)
    train_step(unclipped, optimizer, x, y, policy=FP32, scaler=FP32.grad_scaler())
    update = torch.cat([(b - p.detach()).flatten() for b, p in zip(before, unclipped.parameters())])
    assert update.norm().item() > 100 * lr * clip


@pytest.mark.cuda
def test_a_cuda_step_never_waits_for_the_device() -> None:
    model = tiny_model().cuda()
    x, y = (t.cuda() for t in batch(0))
    policy = AmpPolicy("bf16", "cuda")
    optimizer, scaler = sgd(model), policy.grad_scaler()
    train_step(model, optimizer, x, y, policy=policy, scaler=scaler, grad_clip=5.0)  # warm-up: lazy initialization
    torch.cuda.set_sync_debug_mode("error")
    try:
        for _ in range(3):
            train_step(model, optimizer, x, y, policy=policy, scaler=scaler, grad_clip=5.0)
    finally:
        torch.cuda.set_sync_debug_mode("default")
