"""Tests for the weight-distance tracker."""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

from gapbook.distance import WeightDistance


class _OpCounter(TorchDispatchMode):
    """Collect the name of every tensor operation that reaches the dispatcher."""

    def __init__(self) -> None:
        super().__init__()
        self.ops: list[str] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        self.ops.append(str(func))
        return func(*args, **(kwargs or {}))


def _mlp(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def _batches(n: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    generator = torch.Generator().manual_seed(1)
    return [
        (torch.randn(16, 4, generator=generator), torch.randint(0, 3, (16,), generator=generator))
        for _ in range(n)
    ]


def _train(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    tracker: WeightDistance,
    batches: list[tuple[torch.Tensor, torch.Tensor]],
) -> None:
    for x, y in batches:
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
        tracker.step()


def _log_grid(points_per_decade: int, last: int) -> list[int]:
    points = {
        math.floor(10 ** (j / points_per_decade) + 0.5)
        for j in range(points_per_decade * (int(math.log10(last)) + 1) + 1)
    }
    return sorted(t for t in points if t <= last)


def test_known_update_gives_the_analytic_distance() -> None:
    model = nn.Linear(3, 2)
    tracker = WeightDistance(model, per_layer=True)
    with torch.no_grad():
        model.weight += 0.1
        model.bias -= 0.2
    tracker.step()
    assert tracker.iterations.tolist() == [1]
    assert tracker.distances[0] == pytest.approx(math.sqrt(6 * 0.01 + 2 * 0.04), rel=1e-6)
    layers = tracker.layer_distances
    assert layers["weight"][0] == pytest.approx(math.sqrt(6 * 0.01), rel=1e-6)
    assert layers["bias"][0] == pytest.approx(math.sqrt(2 * 0.04), rel=1e-6)


def test_layer_distances_squared_sum_to_total_squared() -> None:
    model = _mlp()
    tracker = WeightDistance(model, per_layer=True)
    _train(model, torch.optim.SGD(model.parameters(), lr=0.5), tracker, _batches(30))
    layers = tracker.layer_distances
    assert list(layers) == [name for name, _ in model.named_parameters()]
    squared = sum(values**2 for values in layers.values())
    assert np.allclose(squared, tracker.distances**2, rtol=1e-5)
    assert (tracker.distances[1:] > 0).all()


def test_recorded_iterations_are_log_spaced() -> None:
    tracker = WeightDistance(nn.Linear(2, 2))
    for _ in range(1000):
        tracker.step()
    iterations = tracker.iterations
    assert iterations[:10].tolist() == list(range(1, 11))
    assert (np.diff(iterations) > 0).all()
    assert iterations.tolist() == _log_grid(20, 1000)
    assert {100, 1000} <= set(iterations.tolist())
    assert ((iterations >= 100) & (iterations < 1000)).sum() == 20
    assert len(iterations) == len(tracker.distances)


@pytest.mark.parametrize("points_per_decade", [5, 10, 50])
def test_points_per_decade_sets_the_grid(points_per_decade: int) -> None:
    tracker = WeightDistance(nn.Linear(2, 2), points_per_decade=points_per_decade)
    for _ in range(500):
        tracker.step()
    assert tracker.iterations.tolist() == _log_grid(points_per_decade, 500)


def test_record_adds_points_without_duplicates() -> None:
    tracker = WeightDistance(nn.Linear(2, 2))
    tracker.record()
    for _ in range(15):
        tracker.step()
    assert 15 not in tracker.iterations.tolist()
    tracker.record()
    tracker.record()
    tracker.step()
    tracker.record()
    assert tracker.iterations.tolist() == [0, *range(1, 12), 13, 14, 15, 16]
    assert tracker.distances[0] == 0.0


def test_state_dict_round_trip_continues_identically() -> None:
    batches = _batches(100)
    model = _mlp(seed=0)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.3, momentum=0.9)
    tracker = WeightDistance(model, per_layer=True)
    _train(model, optimizer, tracker, batches[:40])
    tracker.record()
    checkpoint = copy.deepcopy(
        {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
         "tracker": tracker.state_dict()}
    )
    _train(model, optimizer, tracker, batches[40:])

    resumed_model = _mlp(seed=123)
    resumed_model.load_state_dict(checkpoint["model"])
    resumed_optimizer = torch.optim.SGD(resumed_model.parameters(), lr=0.3, momentum=0.9)
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    resumed = WeightDistance(resumed_model, per_layer=True)
    resumed.load_state_dict(checkpoint["tracker"])
    assert resumed.iteration == 40
    _train(resumed_model, resumed_optimizer, resumed, batches[40:])

    assert resumed.iteration == tracker.iteration == 100
    assert resumed.iterations.tolist() == tracker.iterations.tolist()
    assert 40 in resumed.iterations.tolist()
    np.testing.assert_array_equal(resumed.distances, tracker.distances)
    for name, values in tracker.layer_distances.items():
        np.testing.assert_array_equal(resumed.layer_distances[name], values)


def test_state_dict_is_a_snapshot() -> None:
    model = nn.Linear(2, 2)
    tracker = WeightDistance(model)
    state = tracker.state_dict()
    with torch.no_grad():
        model.weight += 1.0
    for _ in range(5):
        tracker.step()
    assert state["iteration"] == 0
    assert state["recorded_at"] == []
    torch.testing.assert_close(state["initial"][0], model.weight.detach() - 1.0)


def test_load_state_dict_rejects_other_settings() -> None:
    state = WeightDistance(nn.Linear(2, 2), per_layer=True).state_dict()
    with pytest.raises(ValueError, match="per_layer"):
        WeightDistance(nn.Linear(2, 2)).load_state_dict(state)
    with pytest.raises(ValueError, match="shape"):
        WeightDistance(nn.Linear(2, 3), per_layer=True).load_state_dict(state)


def test_to_dict_is_json_ready() -> None:
    model = nn.Linear(2, 2)
    tracker = WeightDistance(model, per_layer=True)
    with torch.no_grad():
        model.bias += 0.5
    for _ in range(3):
        tracker.step()
    loaded = json.loads(json.dumps(tracker.to_dict()))
    assert loaded["iterations"] == [1, 2, 3]
    assert loaded["distances"] == pytest.approx([math.sqrt(0.5)] * 3)
    assert loaded["layer_distances"]["weight"] == [0.0, 0.0, 0.0]
    assert loaded["points_per_decade"] == 20
    assert "layer_distances" not in WeightDistance(model).to_dict()


def test_frozen_parameters_are_ignored() -> None:
    model = _mlp()
    model[0].requires_grad_(False)
    tracker = WeightDistance(model, per_layer=True)
    with torch.no_grad():
        model[0].weight += 10.0
        model[2].bias += 0.3
    tracker.step()
    assert tracker.names == ["2.weight", "2.bias"]
    assert set(tracker.layer_distances) == {"2.weight", "2.bias"}
    assert tracker.distances[0] == pytest.approx(math.sqrt(3 * 0.09), rel=1e-6)


def test_changed_parameter_set_is_an_error() -> None:
    model = _mlp()
    tracker = WeightDistance(model)
    model.append(nn.Linear(3, 3))
    with pytest.raises(RuntimeError, match=r"new: \['3.weight', '3.bias'\]"):
        tracker.step()
    frozen = _mlp()
    tracker = WeightDistance(frozen)
    frozen[2].bias.requires_grad_(False)
    with pytest.raises(RuntimeError, match="missing: \\['2.bias'\\]"):
        tracker.record()


def test_reading_layers_without_per_layer_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="per_layer=True"):
        _ = WeightDistance(nn.Linear(2, 2)).layer_distances


def test_invalid_construction_is_rejected() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        WeightDistance(nn.Linear(2, 2), points_per_decade=0)
    with pytest.raises(TypeError, match="int"):
        WeightDistance(nn.Linear(2, 2), points_per_decade=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no trainable parameters"):
        WeightDistance(nn.Linear(2, 2).requires_grad_(False))


def test_steps_between_targets_do_no_tensor_work_and_records_do_not_sync() -> None:
    tracker = WeightDistance(_mlp(), per_layer=True)
    for _ in range(20):
        tracker.step()
    assert tracker.iterations[-1] == 20
    with _OpCounter() as between:
        tracker.step()  # t = 21, between the grid points 20 and 22
    assert between.ops == []
    with _OpCounter() as at_target:
        tracker.step()  # t = 22
    assert tracker.iterations[-1] == 22
    assert at_target.ops
    assert not any("_local_scalar_dense" in op for op in at_target.ops)


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16, torch.float16])
def test_any_dtype_is_measured_in_at_least_float32(dtype: torch.dtype) -> None:
    model = nn.Linear(64, 64).to(dtype)
    tracker = WeightDistance(model)
    before = model.weight.detach().double().clone()
    with torch.no_grad():
        model.weight.mul_(1.1)
    tracker.step()
    expected = torch.linalg.vector_norm(model.weight.detach().double() - before).item()
    assert expected > 0
    assert tracker.distances[0] == pytest.approx(expected, rel=1e-6)


@pytest.mark.cuda
def test_cuda_steps_never_synchronize() -> None:
    model = _mlp().cuda()
    tracker = WeightDistance(model, per_layer=True)
    torch.cuda.set_sync_debug_mode("error")
    try:
        for _ in range(200):
            with torch.no_grad():
                model[0].weight.add_(0.01)
            tracker.step()
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert tracker.distances[-1] == pytest.approx(0.01 * 200 * math.sqrt(32), rel=1e-4)


def test_a_distance_log_reads_back_between_and_at_points() -> None:
    from gapbook.distance import DistanceLog

    log = DistanceLog.from_lists([1, 10, 100, 1000], [1.0, 2.0, None, 4.0])
    assert np.isnan(log.distances[2])
    inside = log.between(5, 1000)
    assert inside.iterations.tolist() == [10, 1000] and inside.distances.tolist() == [2.0, 4.0]
    assert log.at(10) == 2.0 and log.at(np.sqrt(10)) == pytest.approx(1.5)  # halfway in log t
    with pytest.raises(ValueError, match="outside the logged range"):
        log.at(2000)
