"""Ghost BN as strict and as precise as torch's BatchNorm: bad inputs refused, constructors, BatchNorm3d, float64.

Every mistake that ``F.batch_norm`` or ``nn.BatchNorm`` refuses is refused here too, with the same error type,
before anything is computed (running statistics untouched), whatever the strategy; the converter never skips or
rewrites a module silently; and float64 running statistics equal k sequential float64 BatchNorm updates.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import gapbook
from gapbook import ghost_bn
from gapbook.ghost_bn import (
    ChunkLoopGhostBatchNorm,
    GhostBatchNorm1d,
    GhostBatchNorm2d,
    GhostBatchNorm3d,
    GhostBatchNormNd,
    convert_ghost_batchnorm,
    ghost_batch_norm,
)

STRATEGIES = ("auto", "fused", "loop")
PER_CHANNEL = ("running_mean", "running_var", "weight", "bias")
LAYERS = {  # ghost class, its BatchNorm, an input of 12 samples of 5 channels
    "1d": (GhostBatchNorm1d, nn.BatchNorm1d, (12, 5, 3)),
    "2d": (GhostBatchNorm2d, nn.BatchNorm2d, (12, 5, 3, 3)),
    "3d": (GhostBatchNorm3d, nn.BatchNorm3d, (12, 5, 2, 2, 2)),
}


def torch_error(call: Callable[[], object]) -> type[BaseException]:
    """The type of the error torch raises for ``call``; fails the test when torch accepts it."""
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the type is what is returned
        return type(error)
    pytest.fail("torch accepted the call, so there is no error type to match")


def per_channel_tensors(channels: int = 5) -> dict[str, torch.Tensor]:
    """Running statistics, weight and bias of ``channels`` values each."""
    return {
        "running_mean": torch.zeros(channels),
        "running_var": torch.ones(channels),
        "weight": torch.full((channels,), 2.0),
        "bias": torch.full((channels,), 0.5),
    }


def snapshot(module: nn.Module) -> dict[str, torch.Tensor]:
    return {name: tensor.clone() for name, tensor in module.state_dict().items()}


def assert_unchanged(module: nn.Module, before: dict[str, torch.Tensor]) -> None:
    for name, tensor in module.state_dict().items():
        torch.testing.assert_close(tensor, before[name], rtol=0, atol=0, msg=f"{name} changed")


# --- the layers: wrong channel count, wrong dimensionality ------------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("track", [True, False], ids=["running-stats", "no-running-stats"])
@pytest.mark.parametrize("dims", LAYERS)
def test_layer_refuses_wrong_channel_count(strategy: str, training: bool, track: bool, dims: str) -> None:
    ghost_class, bn_class, shape = LAYERS[dims]
    ghost_bn = ghost_class(4, 4, track_running_stats=track).train(training)
    ghost_bn.strategy = strategy
    x = torch.randn(shape)  # 5 channels into a 4-channel layer
    expected = torch_error(lambda: bn_class(4, track_running_stats=track).train(training)(x))
    first = "running_mean" if track else "weight"  # the first tensor torch complains about too
    before = snapshot(ghost_bn)
    with pytest.raises(expected, match=rf"{first} should contain 5 elements not 4.*build the layer"):
        ghost_bn(x)
    assert_unchanged(ghost_bn, before)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("batch", [0, 3, 4, 13], ids=["empty", "below-ghost", "one-ghost", "ghosts-and-rest"])
def test_layer_refuses_wrong_channel_count_at_every_batch_size(strategy: str, batch: int) -> None:
    """Even an empty batch, which nn.BatchNorm lets through unchecked: the layer is wrong for this input."""
    ghost_bn = GhostBatchNorm2d(6, 4)
    ghost_bn.strategy = strategy
    before = snapshot(ghost_bn)
    with pytest.raises(RuntimeError, match="running_mean should contain 5 elements not 6"):
        ghost_bn(torch.randn(batch, 5, 2, 2))
    assert_unchanged(ghost_bn, before)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_layer_without_per_channel_tensors_accepts_any_channel_count_as_batchnorm(strategy: str) -> None:
    """No weight, bias or running statistics: nothing to mismatch, and nn.BatchNorm accepts it too."""
    ghost_bn = GhostBatchNorm2d(4, 4, affine=False, track_running_stats=False)
    ghost_bn.strategy = strategy
    x = torch.randn(12, 5, 2, 2)
    reference = ChunkLoopGhostBatchNorm(nn.BatchNorm2d(4, affine=False, track_running_stats=False), 4)
    torch.testing.assert_close(ghost_bn(x), reference(x))


@pytest.mark.parametrize(
    ("module", "shape", "message"),
    [
        (GhostBatchNorm1d(5, 4), (5,), "expected 2D or 3D input"),
        (GhostBatchNorm1d(5, 4), (8, 5, 2, 2), "expected 2D or 3D input"),
        (GhostBatchNorm2d(5, 4), (8, 5, 3), "expected 4D input"),
        (GhostBatchNorm2d(5, 4), (8, 5, 2, 2, 2), "expected 4D input"),
        (GhostBatchNorm3d(5, 4), (8, 5, 2, 2), "expected 5D input"),
        (GhostBatchNormNd(5, 4), (5,), "expected at least 2D input"),
    ],
    ids=["1d-1D", "1d-4D", "2d-3D", "2d-5D", "3d-4D", "Nd-1D"],
)
def test_layer_refuses_wrong_dimensionality(module: nn.Module, shape: tuple[int, ...], message: str) -> None:
    before = snapshot(module)
    with pytest.raises(ValueError, match=message):
        module(torch.randn(shape))
    assert_unchanged(module, before)


# --- the functional form -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("name", PER_CHANNEL)
@pytest.mark.parametrize("size", [4, 6], ids=["short", "long"])
def test_functional_refuses_wrong_size_as_f_batch_norm(strategy: str, training: bool, name: str, size: int) -> None:
    tensors = per_channel_tensors()
    tensors[name] = torch.ones(size)
    x = torch.randn(12, 5, 3)
    expected = torch_error(lambda: F.batch_norm(x, **tensors, training=training))
    running = {key: tensors[key].clone() for key in ("running_mean", "running_var")}
    with pytest.raises(expected, match=rf"{name} should contain 5 elements not {size}: it holds one value per"):
        ghost_batch_norm(x, 4, **tensors, training=training, strategy=strategy)
    for key, value in running.items():
        torch.testing.assert_close(tensors[key], value, rtol=0, atol=0)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("name", ["weight", "bias"])
def test_functional_without_running_stats_refuses_wrong_size(strategy: str, name: str) -> None:
    x = torch.randn(12, 5, 2, 2)
    tensor = {name: torch.ones(3)}
    expected = torch_error(lambda: F.batch_norm(x, None, None, training=True, **tensor))
    with pytest.raises(expected, match=rf"{name} should contain 5 elements not 3"):
        ghost_batch_norm(x, 4, strategy=strategy, **tensor)


@pytest.mark.parametrize("name", PER_CHANNEL)
def test_functional_refuses_per_channel_tensor_that_is_not_1d(name: str) -> None:
    tensors = per_channel_tensors()
    tensors[name] = tensors[name].view(5, 1)
    with pytest.raises(RuntimeError, match=rf"{name} should be 1-D, one value per channel, got shape \(5, 1\)"):
        ghost_batch_norm(torch.randn(12, 5), 4, **tensors)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("shape", [(), (5,)], ids=["0-D", "1-D"])
def test_functional_refuses_input_without_channels(strategy: str, shape: tuple[int, ...]) -> None:
    """``F.batch_norm`` raises an IndexError here; nn.BatchNorm's ValueError says what is wrong."""
    with pytest.raises(ValueError, match=rf"expected at least 2D input \(got {len(shape)}D input.*x.unsqueeze\(0\)"):
        ghost_batch_norm(torch.randn(shape), 4, strategy=strategy)


@pytest.mark.parametrize(
    ("training", "given", "message"),
    [
        (True, "running_mean", "running_mean and running_var must either both be None or neither be None"),
        (True, "running_var", "running_mean and running_var must either both be None or neither be None"),
        (False, "running_mean", "running_var must be defined in evaluation mode"),
        (False, "running_var", "running_mean must be defined in evaluation mode"),
    ],
)
def test_functional_refuses_half_a_pair_of_running_stats(training: bool, given: str, message: str) -> None:
    x = torch.randn(12, 5)
    tensors = {given: per_channel_tensors()[given]}
    running = (tensors.get("running_mean"), tensors.get("running_var"))
    expected = torch_error(lambda: F.batch_norm(x, *running, training=training))
    with pytest.raises(expected, match=message):
        ghost_batch_norm(x, 4, training=training, **tensors)


def test_functional_refuses_evaluation_without_running_stats() -> None:
    x = torch.randn(12, 5)
    expected = torch_error(lambda: F.batch_norm(x, None, None, training=False))
    with pytest.raises(expected, match="running_mean must be defined in evaluation mode"):
        ghost_batch_norm(x, 4, training=False)


@pytest.mark.parametrize("batch", [3, 12], ids=["below-ghost", "above-ghost"])
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_functional_refuses_unknown_strategy_at_every_batch_size(batch: int, training: bool) -> None:
    tensors = per_channel_tensors()
    with pytest.raises(ValueError, match="strategy must be 'auto', 'fused' or 'loop', got 'vectorized'"):
        ghost_batch_norm(torch.randn(batch, 5), 4, **tensors, training=training, strategy="vectorized")


@pytest.mark.parametrize(
    ("eps", "training", "message"),
    [(0.0, True, "eps must be positive during training"), (-1e-5, False, "eps must be non-negative")],
)
def test_functional_refuses_eps_as_f_batch_norm(eps: float, training: bool, message: str) -> None:
    x, tensors = torch.randn(12, 5), per_channel_tensors()
    expected = torch_error(lambda: F.batch_norm(x, **tensors, training=training, eps=eps))
    with pytest.raises(expected, match=rf"{message}, but got {eps}.*use e.g. the default 1e-5"):
        ghost_batch_norm(x, 4, **tensors, training=training, eps=eps)


# --- the converter -----------------------------------------------------------------------------------------------


class OwnForwardBatchNorm(nn.BatchNorm2d):
    """BatchNorm followed by an activation, as timm's BatchNormAct2d: converting would drop the activation."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x).relu()


class RenamedBatchNorm(nn.BatchNorm2d):
    """A subclass that keeps nn.BatchNorm2d's forward, but may change anything else."""


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (OwnForwardBatchNorm(4), r"'1\.1' \(.*OwnForwardBatchNorm\) is a subclass.*would drop its own forward"),
        (RenamedBatchNorm(4), r"'1\.1' \(.*RenamedBatchNorm\) is a subclass.*drop whatever the subclass changes"),
        (nn.LazyBatchNorm2d(), r"'1\.1' \(.*LazyBatchNorm2d\) is a lazy BatchNorm, not materialized.*run the model"),
    ],
    ids=["own-forward", "subclass", "lazy"],
)
def test_convert_refuses_batchnorm_subclasses_and_changes_nothing(bad: nn.Module, message: str) -> None:
    model = nn.Sequential(nn.BatchNorm2d(4), nn.Sequential(nn.ReLU(), bad))
    with pytest.raises(TypeError, match=message):
        convert_ghost_batchnorm(model, 2)
    assert type(model[0]) is nn.BatchNorm2d and model[1][1] is bad  # refused before anything was replaced


HOOKS: dict[str, Callable[[nn.Module], torch.utils.hooks.RemovableHandle]] = {
    "forward hook": lambda module: module.register_forward_hook(lambda *args: None),
    "forward pre-hook": lambda module: module.register_forward_pre_hook(lambda *args: None),
    "backward hook": lambda module: module.register_full_backward_hook(lambda *args: None),
    "backward pre-hook": lambda module: module.register_full_backward_pre_hook(lambda *args: None),
    "state_dict hook": lambda module: module.register_state_dict_post_hook(lambda *args: None),
    "load_state_dict post-hook": lambda module: module.register_load_state_dict_post_hook(lambda *args: None),
}


@pytest.mark.parametrize("kind", HOOKS)
def test_convert_refuses_batchnorm_with_hooks(kind: str) -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4))
    handle = HOOKS[kind](model[1])
    with pytest.raises(ValueError, match=rf"'1' \(torch\.nn.*BatchNorm2d\) has hooks registered \({kind}\).*remove"):
        convert_ghost_batchnorm(model, 2)
    assert type(model[1]) is nn.BatchNorm2d
    handle.remove()
    assert isinstance(convert_ghost_batchnorm(model, 2)[1], GhostBatchNorm2d)


def test_convert_names_the_root_when_it_is_the_hooked_batchnorm() -> None:
    bn = nn.BatchNorm1d(4)
    bn.register_forward_hook(lambda *args: None)
    with pytest.raises(ValueError, match=r"the module passed in \(.*BatchNorm1d\) has hooks registered \(forward hook"):
        convert_ghost_batchnorm(bn, 2)


def test_convert_keeps_a_ghost_module_and_its_hooks() -> None:
    ghost = GhostBatchNorm2d(4, 8)
    ghost.register_forward_hook(lambda *args: None)
    assert convert_ghost_batchnorm(ghost, 2) is ghost and ghost.ghost_batch_size == 2 and ghost._forward_hooks


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:FutureWarning")
@pytest.mark.parametrize("where", ["root", "child"])
def test_convert_refuses_scripted_modules(where: str) -> None:
    scripted = torch.jit.script(nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4)))
    model = scripted if where == "root" else nn.Sequential(nn.Flatten(), scripted)
    named = "the module passed in" if where == "root" else "the module at '1'"
    with pytest.raises(TypeError, match=rf"{named} \(.*\) is scripted \(torch.jit.ScriptModule\).*then script it"):
        convert_ghost_batchnorm(model, 2)


# --- TorchScript: scripted and traced modules split every batch as the eager module does --------------------------

JIT_DEPRECATED = pytest.mark.filterwarnings("ignore:`torch.jit.[a-z_]+` is deprecated:FutureWarning")


def compiled_by(how: str, module: nn.Module, example: torch.Tensor) -> nn.Module:
    """``module`` compiled with ``torch.jit.script``, or traced on ``example``."""
    return torch.jit.script(module) if how == "script" else torch.jit.trace(module, example)


@JIT_DEPRECATED
@pytest.mark.parametrize("how", ["script", "trace"])
@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("dims", LAYERS)
def test_scripted_and_traced_layers_match_eager_at_every_batch_size(how: str, strategy: str, dims: str) -> None:
    torch.manual_seed(0)
    ghost_class, _, shape = LAYERS[dims]
    eager = ghost_class(5, 4, momentum=0.2)
    eager.strategy = strategy
    jitted = compiled_by(how, copy.deepcopy(eager), torch.randn(16, *shape[1:]))
    jitted.load_state_dict(eager.state_dict())  # a trace runs its example once, in training mode
    for batch in (16, 12, 14, 3):  # whole ghost batches, fewer of them, a partial one, a single one
        x = torch.randn(batch, *shape[1:]) * 2 + 1
        torch.testing.assert_close(jitted(x), eager(x), rtol=1e-5, atol=1e-6)
    for name, buffer in eager.named_buffers():
        torch.testing.assert_close(dict(jitted.named_buffers())[name], buffer, msg=f"{name} differs")


@JIT_DEPRECATED
@pytest.mark.parametrize("how", ["script", "trace"])
def test_a_converted_network_scripts_and_traces_as_the_converter_advises(how: str) -> None:
    torch.manual_seed(0)
    eager = convert_ghost_batchnorm(nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten(2),
                                                  nn.BatchNorm1d(4)), 4)  # fmt: skip
    jitted = compiled_by(how, copy.deepcopy(eager), torch.randn(16, 3, 5, 5))
    jitted.load_state_dict(eager.state_dict())
    x = torch.randn(10, 3, 5, 5, requires_grad=True)
    x_eager = x.detach().clone().requires_grad_(True)
    out, expected = jitted(x), eager(x_eager)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-6)
    out.square().sum().backward()
    expected.square().sum().backward()
    torch.testing.assert_close(x.grad, x_eager.grad, rtol=1e-4, atol=1e-5)


@JIT_DEPRECATED
def test_a_scripted_layer_refuses_bad_input_with_the_eager_message() -> None:
    scripted = torch.jit.script(GhostBatchNorm2d(4, 4))
    with pytest.raises(torch.jit.Error, match=r"running_mean should contain 5 elements not 4.*shape \(8, 5, 2, 2\)"):
        scripted(torch.randn(8, 5, 2, 2))
    with pytest.raises(torch.jit.Error, match=r"single value per channel \(input shape \(9, 4\)"):
        torch.jit.script(GhostBatchNorm1d(4, 4))(torch.randn(9, 4))


def test_convert_turns_sync_batchnorm_into_per_process_ghost_batchnorm() -> None:
    torch.manual_seed(0)
    plain = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4, momentum=0.2), nn.Flatten(2), nn.BatchNorm1d(4))
    reference = copy.deepcopy(plain)
    synced = nn.SyncBatchNorm.convert_sync_batchnorm(plain)
    weight = synced[1].weight
    converted = convert_ghost_batchnorm(synced, 4)
    assert isinstance(converted[1], GhostBatchNormNd) and isinstance(converted[3], GhostBatchNormNd)
    assert converted[1].weight is weight and converted[1].momentum == 0.2
    x = torch.randn(16, 3, 6, 6)
    hidden = ChunkLoopGhostBatchNorm(reference[1], 4)(reference[0](x))  # 4D input
    expected = ChunkLoopGhostBatchNorm(reference[3], 4)(reference[2](hidden))  # 3D input
    torch.testing.assert_close(converted(x), expected, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(converted[1].running_var, reference[1].running_var)


def test_convert_keeps_a_missing_bias_missing() -> None:
    converted = convert_ghost_batchnorm(nn.Sequential(nn.BatchNorm2d(4, bias=False)), 2)
    assert converted[0].bias is None and converted[0].weight is not None
    assert "bias=False" in repr(converted[0])
    assert converted.state_dict().keys() == nn.Sequential(nn.BatchNorm2d(4, bias=False)).state_dict().keys()


def test_convert_handles_batchnorm3d() -> None:
    bn = nn.BatchNorm3d(5, eps=1e-3)
    converted = convert_ghost_batchnorm(bn, 4)
    assert type(converted) is GhostBatchNorm3d and converted.eps == 1e-3 and converted.running_mean is bn.running_mean


# --- constructors and BatchNorm3d --------------------------------------------------------------------------------


def comparable(function: Callable[..., object]) -> list[tuple[str, object, object]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize("dims", LAYERS)
def test_constructor_takes_every_batchnorm_argument_in_its_order(dims: str) -> None:
    """ghost_batch_size second (positionally, as before), then nn.BatchNorm's arguments, kinds and defaults."""
    ghost_class, bn_class, _ = LAYERS[dims]
    ghost = comparable(ghost_class.__init__)
    assert ghost[2][0] == "ghost_batch_size"
    assert [p for p in ghost if p[0] != "ghost_batch_size"] == comparable(bn_class.__init__)


def test_constructor_positional_arguments_mean_what_batchnorm_says() -> None:
    ghost = GhostBatchNorm2d(5, 4, 1e-3, 0.2, True, False, "cpu", torch.float64)
    reference = nn.BatchNorm2d(5, 1e-3, 0.2, True, False, "cpu", torch.float64)
    assert (ghost.ghost_batch_size, ghost.eps, ghost.momentum, ghost.affine) == (4, 1e-3, 0.2, True)
    assert ghost.track_running_stats is False and ghost.running_mean is None
    assert ghost.weight.dtype == torch.float64 and ghost.weight.device.type == "cpu"
    assert repr(ghost) == repr(reference).replace("BatchNorm2d(", "GhostBatchNorm2d(")[:-1] + ", ghost_batch_size=4)"


@pytest.mark.parametrize("strategy", ("fused", "loop"))
def test_bias_false_is_batchnorms_bias_false(strategy: str) -> None:
    torch.manual_seed(0)
    ghost = GhostBatchNorm2d(5, ghost_batch_size=4, bias=False)
    ghost.strategy = strategy
    reference = nn.BatchNorm2d(5, bias=False)
    assert ghost.bias is None and ghost.state_dict().keys() == reference.state_dict().keys()
    with torch.no_grad():
        ghost.weight.uniform_(0.5, 1.5)
        reference.weight.copy_(ghost.weight)
    x = torch.randn(14, 5, 2, 2)
    torch.testing.assert_close(ghost(x), ChunkLoopGhostBatchNorm(reference, 4)(x))
    torch.testing.assert_close(ghost.running_var, reference.running_var)


def test_bias_false_on_a_pytorch_without_it_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ghost_bn, "_BATCHNORM_HAS_BIAS", False)
    with pytest.raises(TypeError, match="bias=False needs a PyTorch whose nn.BatchNorm has the bias argument"):
        GhostBatchNorm1d(5, 4, bias=False)


@pytest.mark.parametrize("strategy", ("fused", "loop"))
@pytest.mark.parametrize("batch", [16, 13], ids=["whole-ghosts", "with-rest"])
def test_batchnorm3d_matches_chunk_loop(strategy: str, batch: int) -> None:
    torch.manual_seed(0)
    ghost = GhostBatchNorm3d(5, 4, momentum=0.3)
    ghost.strategy = strategy
    reference = nn.BatchNorm3d(5, momentum=0.3)
    x = (torch.randn(batch, 5, 2, 3, 2) * 2 + 1).requires_grad_(True)
    x_ref = x.detach().clone().requires_grad_(True)
    out, out_ref = ghost(x), ChunkLoopGhostBatchNorm(reference, 4)(x_ref)
    torch.testing.assert_close(out, out_ref, rtol=1e-4, atol=1e-5)
    upstream = torch.randn_like(out)
    (out * upstream).sum().backward()
    (out_ref * upstream).sum().backward()
    torch.testing.assert_close(x.grad, x_ref.grad, rtol=1e-4, atol=1e-5)
    for name, buffer in reference.named_buffers():
        torch.testing.assert_close(dict(ghost.named_buffers())[name], buffer)


def test_batchnorm3d_is_exported_beside_the_others() -> None:
    assert gapbook.GhostBatchNorm3d is GhostBatchNorm3d and "GhostBatchNorm3d" in gapbook.__all__
    assert isinstance(GhostBatchNorm3d(5, 4), nn.BatchNorm3d)


# --- precision of the running statistics -------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ("fused", "loop"))
@pytest.mark.parametrize("momentum", [0.01, None], ids=["momentum-0.01", "cumulative"])
def test_float64_running_stats_equal_sequential_batchnorm_over_1000_ghost_batches(
    strategy: str, momentum: float | None
) -> None:
    """The closed form is computed in float64 for float64 buffers: 1e-12, not float32's ~1e-6."""
    torch.manual_seed(0)
    ghost_size, ghost_batches = 4, 1000
    ghost = GhostBatchNorm1d(3, ghost_size, momentum=momentum, dtype=torch.float64)
    ghost.strategy = strategy
    reference = nn.BatchNorm1d(3, momentum=momentum, dtype=torch.float64)
    for step in range(2):  # the second step starts from non-trivial running statistics
        x = torch.randn(ghost_size * ghost_batches, 3, dtype=torch.float64) * (2 + step) + 1
        ghost(x)
        for chunk in x.split(ghost_size):
            reference(chunk)
    for name in ("running_mean", "running_var"):
        torch.testing.assert_close(getattr(ghost, name), getattr(reference, name), rtol=1e-12, atol=0)
    assert ghost.num_batches_tracked.item() == reference.num_batches_tracked.item() == 2 * ghost_batches
