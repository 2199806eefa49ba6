"""Ghost Batch Norm against the chunk-loop reference: each ghost batch through an ordinary BatchNorm, in order."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from gapbook.ghost_bn import (
    ChunkLoopGhostBatchNorm,
    GhostBatchNorm1d,
    GhostBatchNorm2d,
    convert_ghost_batchnorm,
    ghost_batch_norm,
    ghost_running_update,
)

STRATEGIES = ("fused", "loop")


def reference_forward(bn: nn.Module, x: torch.Tensor, ghost_batch_size: int) -> torch.Tensor:
    """The definition: every ghost batch through the ordinary BatchNorm, one after the other."""
    return ChunkLoopGhostBatchNorm(bn, ghost_batch_size)(x)


def make_pair(dims: int, ghost: int, strategy: str, **kwargs) -> tuple[nn.Module, nn.Module]:
    """A Ghost BN and an ordinary BN with identical, non-trivial parameters and running statistics."""
    num_features = 5
    bn_class, ghost_class = (nn.BatchNorm1d, GhostBatchNorm1d) if dims == 1 else (nn.BatchNorm2d, GhostBatchNorm2d)
    reference = bn_class(num_features, **kwargs)
    ghost_bn = ghost_class(num_features, ghost, **kwargs)
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for tensor in (*reference.parameters(), reference.running_mean, reference.running_var):
            if tensor is not None and tensor.is_floating_point():
                tensor.copy_(torch.rand(tensor.shape, generator=generator, dtype=tensor.dtype) + 0.5)
    ghost_bn.load_state_dict(reference.state_dict())
    ghost_bn.strategy = strategy
    return ghost_bn, reference


def assert_equivalent(ghost_bn: nn.Module, reference: nn.Module, x: torch.Tensor, steps: int = 2) -> None:
    """Outputs, input and parameter gradients and running statistics agree over several training steps."""
    for step in range(steps):
        x_ghost = (x + step).clone().requires_grad_(True)
        x_ref = (x + step).clone().requires_grad_(True)
        out_ghost = ghost_bn(x_ghost)
        out_ref = reference_forward(reference, x_ref, ghost_bn.ghost_batch_size)
        torch.testing.assert_close(out_ghost, out_ref, rtol=1e-4, atol=1e-5)
        if x.numel():
            upstream = torch.randn_like(out_ref)
            (out_ghost * upstream).sum().backward()
            (out_ref * upstream).sum().backward()
            torch.testing.assert_close(x_ghost.grad, x_ref.grad, rtol=1e-4, atol=1e-5)
        for p_ghost, p_ref in zip(ghost_bn.parameters(), reference.parameters()):
            torch.testing.assert_close(p_ghost.grad, p_ref.grad, rtol=1e-4, atol=1e-5)
    for name, buffer in reference.named_buffers():
        torch.testing.assert_close(dict(ghost_bn.named_buffers())[name], buffer, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("ghost", [2, 4, 8, 7])
@pytest.mark.parametrize("shape", [(32, 5), (32, 5, 3), (30, 5, 4, 3)], ids=["N,C", "N,C,L", "N,C,H,W"])
def test_matches_chunk_loop(strategy: str, ghost: int, shape: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    dims = 2 if len(shape) == 4 else 1
    ghost_bn, reference = make_pair(dims, ghost, strategy)
    assert_equivalent(ghost_bn, reference, torch.randn(shape) * 3 + 1)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_remainder_ghost_batch(strategy: str) -> None:
    torch.manual_seed(0)
    ghost_bn, reference = make_pair(2, 8, strategy)
    x = torch.randn(8 * 3 + 5, 5, 2, 2)
    assert_equivalent(ghost_bn, reference, x)
    assert ghost_bn.num_batches_tracked.item() == 2 * 4


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_channels_last_input(strategy: str) -> None:
    torch.manual_seed(0)
    ghost_bn, reference = make_pair(2, 4, strategy)
    x = torch.randn(16, 5, 3, 3).to(memory_format=torch.channels_last)
    assert_equivalent(ghost_bn, reference, x)
    assert ghost_bn(x).is_contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize(
    "kwargs",
    [
        {"momentum": None},
        {"affine": False},
        {"track_running_stats": False},
        {"eps": 1e-3, "momentum": 0.3},
        {"dtype": torch.float64},
        {"device": "cpu"},
    ],
    ids=["momentum-None", "affine-off", "running-stats-off", "eps-momentum", "dtype", "device"],
)
def test_options_match_chunk_loop(strategy: str, kwargs: dict) -> None:
    torch.manual_seed(0)
    ghost_bn, reference = make_pair(2, 4, strategy, **kwargs)
    dtype = kwargs.get("dtype", torch.float32)
    assert_equivalent(ghost_bn, reference, torch.randn(14, 5, 3, 3, dtype=dtype), steps=3)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_running_stats_off_also_ghosts_in_eval(strategy: str) -> None:
    ghost_bn, reference = make_pair(1, 4, strategy, track_running_stats=False)
    ghost_bn.eval()
    reference.eval()
    x = torch.randn(12, 5)
    torch.testing.assert_close(ghost_bn(x), reference_forward(reference, x, 4))


def test_empty_batch_behaves_as_batchnorm() -> None:
    ghost_bn, reference = make_pair(2, 4, "fused")
    x = torch.randn(0, 5, 3, 3)
    assert_equivalent(ghost_bn, reference, x)
    assert ghost_bn.num_batches_tracked.item() == reference.num_batches_tracked.item() == 2


def test_eval_uses_running_stats_independent_of_batch() -> None:
    torch.manual_seed(0)
    ghost_bn = GhostBatchNorm2d(5, 4)
    for _ in range(3):
        ghost_bn(torch.randn(16, 5, 3, 3) * 2 + 1)
    ghost_bn.eval()
    batch = torch.randn(9, 5, 3, 3)
    alone = torch.cat([ghost_bn(sample.unsqueeze(0)) for sample in batch])
    torch.testing.assert_close(ghost_bn(batch), alone)
    expected = (batch - ghost_bn.running_mean.view(1, -1, 1, 1)) / torch.sqrt(
        ghost_bn.running_var.view(1, -1, 1, 1) + ghost_bn.eps
    )
    torch.testing.assert_close(ghost_bn(batch), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("batch", [8, 5])
def test_ghost_size_at_least_batch_is_batchnorm(batch: int) -> None:
    torch.manual_seed(0)
    reference = nn.BatchNorm2d(5)
    ghost_bn = GhostBatchNorm2d(5, 8)
    x = torch.randn(batch, 5, 2, 2)
    torch.testing.assert_close(ghost_bn(x), reference(x), rtol=0, atol=0)
    torch.testing.assert_close(ghost_bn.running_var, reference.running_var, rtol=0, atol=0)


def test_ghost_batches_are_contiguous_slices() -> None:
    """Each ghost batch is normalized on its own: every slice has zero mean and unit variance."""
    x = torch.randn(12, 3) * torch.arange(1, 13).unsqueeze(1)  # slices with very different scales
    out = GhostBatchNorm1d(3, 4, affine=False)(x)
    for chunk in out.split(4):
        torch.testing.assert_close(chunk.mean(0), torch.zeros(3), atol=1e-5, rtol=0)
        torch.testing.assert_close(chunk.var(0, unbiased=False), torch.ones(3), atol=1e-3, rtol=0)


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
@pytest.mark.parametrize("tracked", [0, 3])
def test_closed_form_equals_sequential_update(momentum: float | None, tracked: int) -> None:
    torch.manual_seed(0)
    stats = torch.randn(6, 4)
    closed = torch.randn(4)
    sequential = closed.clone()
    ghost_running_update(closed, stats, momentum, tracked)
    for index, stat in enumerate(stats):
        factor = 1.0 / (tracked + index + 1) if momentum is None else momentum
        sequential = (1 - factor) * sequential + factor * stat
    torch.testing.assert_close(closed, sequential)


def test_unknown_strategy_is_refused() -> None:
    ghost_bn = GhostBatchNorm1d(3, 2)
    ghost_bn.strategy = "vectorized"
    with pytest.raises(ValueError, match="strategy must be"):
        ghost_bn(torch.randn(6, 3))


def test_state_dict_keys_are_batchnorms() -> None:
    assert GhostBatchNorm2d(5, 4).state_dict().keys() == nn.BatchNorm2d(5).state_dict().keys()
    assert GhostBatchNorm1d(5, 4).state_dict().keys() == nn.BatchNorm1d(5).state_dict().keys()
    assert isinstance(GhostBatchNorm2d(5, 4), nn.BatchNorm2d)
    assert "ghost_batch_size=4" in repr(GhostBatchNorm2d(5, 4))


@pytest.mark.parametrize("bad", [0, -3, 2.0, True, "128", None])
def test_bad_ghost_size_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="ghost_batch_size must be a positive int"):
        GhostBatchNorm1d(4, bad)
    with pytest.raises(ValueError, match="ghost_batch_size must be a positive int"):
        convert_ghost_batchnorm(nn.BatchNorm1d(4), bad)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("shape", [(9, 5), (17, 5, 1, 1), (1, 5)])
def test_single_value_ghost_batch_is_refused(strategy: str, shape: tuple[int, ...]) -> None:
    ghost_bn, _ = make_pair(1 if len(shape) == 2 else 2, 8, strategy)
    with pytest.raises(ValueError, match="single value per channel"):
        ghost_bn(torch.randn(shape))


def test_single_sample_with_spatial_extent_is_fine() -> None:
    out = GhostBatchNorm2d(4, 8)(torch.randn(9, 4, 2, 2))
    assert torch.isfinite(out).all()


def test_convert_swaps_every_batchnorm_and_keeps_tensors() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 4, 3),
        nn.BatchNorm2d(4, momentum=0.2),
        nn.Sequential(nn.Flatten(), nn.Linear(4 * 6 * 6, 6), nn.BatchNorm1d(6, affine=False)),
    )
    model(torch.randn(8, 3, 8, 8))  # non-trivial running statistics
    model.eval()
    weight, running_mean = model[1].weight, model[1].running_mean.clone()
    expected = model(torch.ones(4, 3, 8, 8))
    converted = convert_ghost_batchnorm(model, 2)
    assert isinstance(converted[1], GhostBatchNorm2d) and isinstance(converted[2][2], GhostBatchNorm1d)
    assert converted[1].ghost_batch_size == 2 and converted[1].momentum == 0.2
    assert converted[2][2].affine is False and not converted[1].training
    assert converted[1].weight is weight
    torch.testing.assert_close(converted[1].running_mean, running_mean)
    torch.testing.assert_close(converted(torch.ones(4, 3, 8, 8)), expected)
    assert isinstance(converted[0], nn.Conv2d)
    assert isinstance(convert_ghost_batchnorm(nn.BatchNorm1d(3), 4), GhostBatchNorm1d)
    assert convert_ghost_batchnorm(converted, 3)[1].ghost_batch_size == 3


def test_converted_model_trains_like_chunk_loop() -> None:
    """A whole model: ghost conversion equals running each ghost batch through the original BatchNorms."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                          nn.Linear(4 * 4 * 4, 5, bias=False), nn.BatchNorm1d(5))
    reference = copy.deepcopy(model)
    converted = convert_ghost_batchnorm(model, 4)
    x = torch.randn(16, 3, 6, 6)
    layers = list(reference)
    hidden = reference_forward(layers[1], layers[0](x), 4)
    hidden = layers[4](layers[3](layers[2](hidden)))
    torch.testing.assert_close(converted(x), reference_forward(layers[5], hidden, 4), rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(converted[1].running_var, reference[1].running_var)
