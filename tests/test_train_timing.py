"""The timing helpers of benchmarks/ghost_bn.py and the Ghost BN chapter: what they build and how they call.

No timing is asserted here: times depend on the machine and on what else it runs.
"""

from __future__ import annotations

import time

import pytest
import torch
from torch import nn

from gapbook import ChunkLoopGhostBatchNorm, GhostBatchNorm1d, GhostBatchNorm2d, models
from gapbook.train.timing import chunk_loop, time_interleaved, training_step, variants, with_strategy

GHOST = 16


def norm_layers(model: nn.Module) -> list[nn.Module]:
    """The normalization layers of ``model``, outermost first (a chunk loop hides the BatchNorm it wraps)."""
    found: list[nn.Module] = []

    def visit(module: nn.Module) -> None:
        if isinstance(module, (ChunkLoopGhostBatchNorm, nn.modules.batchnorm._BatchNorm)):
            found.append(module)
            return
        for child in module.children():
            visit(child)

    visit(model)
    return found


def test_variants_normalize_each_their_own_way() -> None:
    base = models.build("c1")
    count = len(norm_layers(base))
    assert count > 0
    made = variants(base, GHOST)
    assert list(made) == ["BatchNorm", "GhostBN", "GhostBN fused", "GhostBN loop", "chunk loop"]

    assert [type(m) for m in norm_layers(made["BatchNorm"])] == [type(m) for m in norm_layers(base)]
    for name, strategy in (("GhostBN", "auto"), ("GhostBN fused", "fused"), ("GhostBN loop", "loop")):
        layers = norm_layers(made[name])
        assert len(layers) == count, name
        for layer in layers:
            assert isinstance(layer, (GhostBatchNorm1d, GhostBatchNorm2d)), (name, layer)
            assert layer.strategy == strategy and layer.ghost_batch_size == GHOST, (name, layer)
    chunks = norm_layers(made["chunk loop"])
    assert len(chunks) == count
    for layer in chunks:
        assert isinstance(layer, ChunkLoopGhostBatchNorm) and layer.ghost_batch_size == GHOST
        assert type(layer.batchnorm) in (nn.BatchNorm1d, nn.BatchNorm2d)


def test_variants_are_copies_with_the_same_weights() -> None:
    base = models.build("c1")
    before = {name: tensor.clone() for name, tensor in base.state_dict().items()}
    made = variants(base, GHOST)
    assert all(type(m) in (nn.BatchNorm1d, nn.BatchNorm2d) for m in norm_layers(base)), "base was changed"
    for model in made.values():
        assert all(p is not q for p, q in zip(model.parameters(), base.parameters()))
        weights = [p.detach() for p in model.parameters()]
        assert all(torch.equal(w, v) for w, v in zip(weights, base.parameters()))
    assert all(torch.equal(before[name], tensor) for name, tensor in base.state_dict().items())


def test_variants_of_a_single_batchnorm_layer() -> None:
    made = variants(nn.BatchNorm1d(8), GHOST)
    assert type(made["BatchNorm"]) is nn.BatchNorm1d
    assert isinstance(made["GhostBN fused"], GhostBatchNorm1d) and made["GhostBN fused"].strategy == "fused"
    assert isinstance(made["chunk loop"], ChunkLoopGhostBatchNorm)
    x = torch.randn(4 * GHOST, 8)
    for model in made.values():
        assert model(x).shape == x.shape


def test_with_strategy_and_chunk_loop_reach_nested_layers() -> None:
    model = nn.Sequential(nn.Linear(4, 4), nn.Sequential(GhostBatchNorm1d(4, GHOST), nn.ReLU()))
    assert with_strategy(model, "loop") is model and model[1][0].strategy == "loop"
    plain = nn.Sequential(nn.Sequential(nn.BatchNorm1d(4)))
    wrapped = chunk_loop(plain, GHOST)
    assert wrapped is plain and isinstance(plain[0][0], ChunkLoopGhostBatchNorm)


def test_training_step_changes_the_parameters() -> None:
    torch.manual_seed(0)
    model = models.build("f1")
    x = torch.randn(32, *models.model_info("f1").input_shape)
    y = torch.randint(0, 10, (32,))
    before = [p.detach().clone() for p in model.parameters()]
    step = training_step(model, x, y)
    assert all(torch.equal(b, p) for b, p in zip(before, model.parameters())), "building the step trains"
    step()
    changed = [not torch.equal(b, p) for b, p in zip(before, model.parameters())]
    assert all(changed), changed
    after_one = [p.detach().clone() for p in model.parameters()]
    step()
    assert any(not torch.equal(a, p) for a, p in zip(after_one, model.parameters()))


def test_time_interleaved_calls_each_step_once_per_round_after_a_warm_up() -> None:
    calls: list[str] = []

    def fake(name: str):
        def step() -> None:
            calls.append(name)
            time.sleep(1e-3)  # so that a call takes measurable time

        return step

    rounds = 3
    seconds = time_interleaved({name: fake(name) for name in "abc"}, rounds=rounds, device="cpu")
    assert list(seconds) == ["a", "b", "c"]
    assert all(isinstance(value, float) and value > 0 for value in seconds.values()), seconds
    assert calls == ["a", "b", "c"] * (rounds + 1)  # warm-up, then interleaved rounds


def test_time_interleaved_needs_a_round() -> None:
    with pytest.raises(ValueError, match="rounds must be at least 1"):
        time_interleaved({"a": lambda: None}, rounds=0)
