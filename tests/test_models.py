"""Tests for gapbook.models: shapes, exact parameter counts, BN layers, initialization and the registry."""

from __future__ import annotations

import functools
import math

import pytest
import torch
from torch import nn

from gapbook.models import (
    F1,
    VGG16,
    AlexNetBN,
    ShallowConvNet,
    build,
    count_parameters,
    model_info,
    names,
    resnet44,
    wrn16_4,
)

EXPECTED_NAMES = ("f1", "c1", "c3", "resnet44", "vgg16", "wrn16_4", "alexnet")

PARAMETERS = {
    "f1": 1_462_794,
    "c1": 1_388_490,
    "c3": 1_405_860,
    "resnet44": 661_338,
    "vgg16": 33_646_666,
    "wrn16_4": 2_800_804,
    "alexnet": 61_110_184,
}

DEFAULT_CLASSES = {"f1": 10, "c1": 10, "c3": 100, "resnet44": 10, "vgg16": 10, "wrn16_4": 100, "alexnet": 1000}

DOCUMENTED = {
    "f1": F1,
    "c1": ShallowConvNet,
    "c3": ShallowConvNet,
    "resnet44": resnet44,
    "vgg16": VGG16,
    "wrn16_4": wrn16_4,
    "alexnet": AlexNetBN,
}

BATCH_NORM_LAYERS = {"f1": 5, "c1": 4, "c3": 4, "resnet44": 45, "vgg16": 13, "wrn16_4": 15, "alexnet": 7}


@functools.cache
def default_model(name: str) -> nn.Module:
    """One evaluation-mode instance per network, shared by the read-only tests."""
    torch.manual_seed(0)
    return build(name).eval()


def sample(name: str, batch: int = 2) -> torch.Tensor:
    return torch.randn(batch, *model_info(name).input_shape)


def test_names_lists_the_seven_networks_in_table_order() -> None:
    assert names() == EXPECTED_NAMES


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_default_output_shape(name: str) -> None:
    with torch.no_grad():
        out = default_model(name)(sample(name))
    assert out.shape == (2, DEFAULT_CLASSES[name])
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_custom_num_classes(name: str) -> None:
    model = build(name, num_classes=7).eval()
    with torch.no_grad():
        out = model(sample(name))
    assert out.shape == (2, 7)


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_parameter_count_matches_documentation(name: str) -> None:
    model = default_model(name)
    assert count_parameters(model) == PARAMETERS[name]
    assert f"{PARAMETERS[name]:,}" in (DOCUMENTED[name].__doc__ or "")


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_every_network_uses_plain_batch_norm(name: str) -> None:
    bn = [m for m in default_model(name).modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    assert len(bn) == BATCH_NORM_LAYERS[name]
    assert all(type(m) in (nn.BatchNorm1d, nn.BatchNorm2d) for m in bn)


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_model_info_matches_defaults(name: str) -> None:
    info = model_info(name)
    assert info.name == name
    assert info.num_classes == DEFAULT_CLASSES[name]
    expected_dataset = {10: "cifar10", 100: "cifar100", 1000: "imagenet"}[info.num_classes]
    assert info.dataset == ("mnist" if name == "f1" else expected_dataset)


def test_c3_differs_from_c1_only_in_the_read_out() -> None:
    extra_classes = 100 - 10
    assert PARAMETERS["c3"] - PARAMETERS["c1"] == extra_classes * (192 + 1)


def test_f1_flattens_images() -> None:
    model = default_model("f1")
    images = torch.randn(2, 1, 28, 28)
    with torch.no_grad():
        assert torch.equal(model(images), model(images.reshape(2, 784)))


def test_shallow_net_pools_32_to_7() -> None:
    with torch.no_grad():
        features = default_model("c1").features(sample("c1"))
    assert features.shape == (2, 64, 7, 7)


def test_alexnet_features_are_256_by_6_by_6() -> None:
    with torch.no_grad():
        features = default_model("alexnet").features(sample("alexnet"))
    assert features.shape == (2, 256, 6, 6)


@pytest.mark.parametrize("name", ["resnet44", "wrn16_4"])
def test_resnet_initialization(name: str) -> None:
    model = default_model(name)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            assert torch.equal(module.weight, torch.ones_like(module.weight))
            assert torch.equal(module.bias, torch.zeros_like(module.bias))
    widest = max((m for m in model.modules() if isinstance(m, nn.Conv2d)), key=lambda m: m.weight.numel())
    fan_out = widest.out_channels * widest.kernel_size[0] * widest.kernel_size[1]
    assert widest.weight.std().item() == pytest.approx(math.sqrt(2.0 / fan_out), rel=0.05)


def test_resnet_widths() -> None:
    assert default_model("resnet44").fc.in_features == 64
    assert default_model("wrn16_4").fc.in_features == 256
    assert len(default_model("resnet44").stages[0]) == 7
    assert len(default_model("wrn16_4").stages[0]) == 2


def test_unknown_name_raises_and_lists_known_names() -> None:
    with pytest.raises(ValueError) as error:
        build("resnet50")
    assert all(name in str(error.value) for name in EXPECTED_NAMES)
    with pytest.raises(ValueError):
        model_info("lenet")


def test_non_positive_num_classes_raises() -> None:
    with pytest.raises(ValueError):
        build("f1", num_classes=0)


def test_names_are_case_insensitive() -> None:
    assert model_info("ResNet44") == model_info("resnet44")


def test_training_step_reaches_every_parameter() -> None:
    torch.manual_seed(0)
    model = build("c1").train()
    loss = model(sample("c1", batch=4)).logsumexp(dim=1).mean()
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


def test_channels_last_gives_the_same_output() -> None:
    torch.manual_seed(0)
    model = build("resnet44").eval()
    x = sample("resnet44")
    with torch.no_grad():
        reference = model(x)
        model = model.to(memory_format=torch.channels_last)
        out = model(x.to(memory_format=torch.channels_last))
    torch.testing.assert_close(out, reference, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_traces_without_graph_breaks(name: str) -> None:
    explanation = torch._dynamo.explain(default_model(name))(sample(name))
    assert explanation.graph_break_count == 0
