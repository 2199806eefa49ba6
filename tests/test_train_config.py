"""TrainConfig: Table 1 columns as fields, derived regimes, JSON round trip, hash stability and sensitivity, errors."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch

from gapbook.regime import Regime
from gapbook.train import ASSUMPTIONS, TrainConfig, authors_regime, result_filename
from gapbook.train.config import NOT_HASHED

SB, LB = 128, 4096


def columns() -> dict[str, TrainConfig]:
    """The five columns of Table 1 for F1 / MNIST."""
    sb = TrainConfig("f1", batch_size=SB)
    lb = sb.replace(batch_size=LB)
    plus_lr = lb.replace(base_batch_size=SB)
    plus_gbn = plus_lr.replace(ghost_batch_size=SB)
    plus_ra = plus_gbn.replace(regime_adaptation=LB // SB)
    return {"SB": sb, "LB": lb, "+LR": plus_lr, "+GBN": plus_gbn, "+RA": plus_ra}


def test_defaults_fill_in_the_networks_data_set_and_the_authors_regime() -> None:
    config = TrainConfig("F1")
    assert config.model == "f1" and config.dataset == "mnist"
    assert config.regime == authors_regime("f1").to_dict()
    assert config.base_regime.phases[0].lr == 0.1 and config.base_regime.epochs == 50
    assert TrainConfig("c3").dataset == "cifar100" and TrainConfig("alexnet").dataset == "imagenet"


def test_every_network_has_an_authors_regime_and_unstated_values_are_named() -> None:
    for name in ("f1", "c1", "c3", "resnet44", "vgg16", "wrn16_4", "alexnet"):
        regime = authors_regime(name)
        assert regime.epochs > regime.phases[-1].start_epoch
    assert set(ASSUMPTIONS) == {"resnet44", "vgg16", "wrn16_4", "alexnet"}
    c1 = authors_regime("c1")
    assert [phase.lr for phase in c1.phases] == [1e-3, 1e-2, 1e-3, 1e-4] and c1.phases[0].momentum == 0.0


def test_table1_columns_derive_their_effective_regimes() -> None:
    regimes = {name: config.effective_regime() for name, config in columns().items()}
    base = authors_regime("f1")
    assert regimes["SB"] == base and regimes["LB"] == base
    assert regimes["+LR"].phases[0].lr == pytest.approx(0.1 * (LB / SB) ** 0.5)
    assert regimes["+GBN"] == regimes["+LR"]
    ra = regimes["+RA"]
    assert ra.epochs == 50 * 32 and [p.start_epoch for p in ra.phases] == [0, 320, 640, 960]
    assert ra.phases[0].lr == regimes["+LR"].phases[0].lr
    # Only the base regime is stored: the derived one is never written twice.
    assert all(config.regime == base.to_dict() for config in columns().values())


def test_json_round_trip_keeps_every_field() -> None:
    config = TrainConfig(
        "resnet44",
        train_size=5000,
        test_size=1000,
        batch_size=512,
        ghost_batch_size=64,
        lr_rule="linear",
        base_batch_size=128,
        regime_adaptation=2.5,
        grad_clip=None,
        augment=False,
        seed=3,
        device="cpu",
        precision="fp32",
        channels_last=True,
        eval_every=5,
        distance_points_per_decade=10,
        checkpoint_path="run.pt",
        checkpoint_every=2,
        progress=False,
        data_root="/data",
    )
    again = TrainConfig.from_json(config.to_json())
    assert again == config and again.config_hash() == config.config_hash()
    assert TrainConfig.from_dict(json.loads(config.to_json())) == config


def test_hash_is_stable_across_equal_spellings_and_non_result_fields() -> None:
    config = TrainConfig("f1", batch_size=256)
    same = [
        TrainConfig("F1", dataset="mnist", batch_size=256, regime=authors_regime("f1")),
        config.replace(base_batch_size=256, lr_rule="linear"),  # nothing is scaled
        config.replace(regime_adaptation=1.0),
        config.replace(regime={**config.regime, "epochs": 50.0}),
        config.replace(workers=0),  # no loader processes for array data sets
        config.replace(progress=False, checkpoint_path="elsewhere.pt", checkpoint_every=7, data_root="/x"),
    ]
    assert all(other.config_hash() == config.config_hash() for other in same)
    assert len(config.config_hash()) == 64 and int(config.config_hash(), 16) >= 0
    assert set(NOT_HASHED) == {"progress", "checkpoint_path", "checkpoint_every", "data_root"}


def test_hash_changes_with_every_field_that_changes_the_result() -> None:
    base = TrainConfig("c1", batch_size=256)
    changes = {
        "model": "resnet44",
        "dataset": "cifar100",
        "train_size": 1000,
        "test_size": 500,
        "batch_size": 512,
        "ghost_batch_size": 128,
        "regime": authors_regime("c1").multiply_lr(2),
        "lr_rule": "linear",
        "base_batch_size": 128,
        "regime_adaptation": 2,
        "grad_clip": None,
        "augment": False,
        "seed": 1,
        "reset_momentum": True,
        "device": "cuda",
        "precision": "bf16",
        "channels_last": True,
        "compile": True,
        "eval_every": 2,
        "distance_points_per_decade": 5,
        "workers": 0,
        "eval_points_per_decade": 10,
        "stop_at_test_acc": 0.9,
        "stop_at_train_loss": 0.1,
    }
    hashed = {f.name for f in dataclasses.fields(TrainConfig)} - set(NOT_HASHED)
    assert set(changes) == hashed
    folder = TrainConfig("alexnet", batch_size=256)
    for name, value in changes.items():
        start = folder if name == "workers" else base
        if name == "lr_rule":
            start = base.replace(base_batch_size=128)
        if name == "device":
            start = base.replace(precision="fp32")
        if name.startswith("stop_at"):
            start = base.replace(eval_points_per_decade=10)
        assert start.replace(**{name: value}).config_hash() != start.config_hash(), name
    assert columns()["+LR"].config_hash() != columns()["LB"].config_hash()


def test_one_computation_has_one_identity_whatever_the_device_is_called() -> None:
    on_cpu = TrainConfig("f1", batch_size=256)
    aliases = [on_cpu.replace(device=name) for name in ("auto", "cpu", "cpu:0")]
    aliases += [config.replace(precision="fp32") for config in aliases]
    assert {config.config_hash() for config in aliases} == {on_cpu.config_hash()}
    assert on_cpu.hashed_fields()["device"] == "cpu" and on_cpu.hashed_fields()["precision"] == "fp32"
    assert on_cpu.replace(precision="bf16").config_hash() != on_cpu.config_hash()
    on_gpu = on_cpu.replace(device="cuda", precision="bf16")
    assert on_gpu.config_hash() != on_cpu.replace(precision="bf16").config_hash()
    assert on_gpu.config_hash() == on_gpu.replace(device="cuda:1").config_hash()
    assert on_cpu.resolved().device == "cpu" and on_cpu.resolved().precision == "fp32"
    assert on_cpu.resolved().config_hash() == on_cpu.config_hash()


def test_an_option_added_later_keeps_the_identity_of_runs_made_without_it() -> None:
    config = TrainConfig("f1", batch_size=256)
    assert "reset_momentum" not in config.hashed_fields()
    assert config.replace(reset_momentum=True).hashed_fields()["reset_momentum"] is True


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message given on a machine without a GPU")
def test_auto_precision_on_an_absent_gpu_asks_for_an_explicit_precision() -> None:
    with pytest.raises(ValueError, match="needs CUDA, which this machine lacks, so precision 'auto'"):
        TrainConfig("f1", device="cuda").config_hash()


def test_result_file_name_names_model_data_batch_and_hash() -> None:
    config = columns()["+GBN"]
    assert result_filename(config) == f"f1-mnist-b4096-{config.config_hash()[:12]}.json"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"model": "f9"}, "unknown model 'f9'"),
        ({"batch_size": 100, "ghost_batch_size": 24}, "does not divide batch_size 100"),
        ({"batch_size": 512, "train_size": 100}, "larger than train_size 100"),
        ({"batch_size": 0}, "batch_size must be an int >= 1"),
        ({"dataset": "cifar10"}, "takes inputs of shape (1, 28, 28)"),
        ({"dataset": "../etc"}, "dataset must be a data set name"),
        ({"lr_rule": "cubic"}, "lr_rule must be one of"),
        ({"precision": "fp8"}, "precision must be one of"),
        ({"device": "gpu7"}, "device must be 'auto' or a device of kind"),
        ({"regime_adaptation": 0}, "regime_adaptation must be a finite number > 0"),
        ({"grad_clip": -1.0}, "grad_clip must be a finite number > 0"),
        ({"eval_every": 0}, "eval_every must be an int >= 1"),
        ({"augment": "yes"}, "augment must be true or false"),
        ({"regime": {"epochs": 3}}, "this one has missing key"),
    ],
)
def test_bad_values_are_refused_with_the_field_named(changes: dict[str, object], message: str) -> None:
    fields = {"model": "f1", **changes}
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        TrainConfig(**fields)  # type: ignore[arg-type]


def test_from_dict_refuses_unknown_fields_and_a_missing_model() -> None:
    with pytest.raises(ValueError, match=r"unknown TrainConfig field\(s\) \['batch'\]"):
        TrainConfig.from_dict({"model": "f1", "batch": 4})
    with pytest.raises(ValueError, match="needs a 'model'"):
        TrainConfig.from_dict({"batch_size": 4})


def test_a_regime_object_is_stored_as_its_dict() -> None:
    regime = Regime.from_authors([{"epoch": 0, "lr": 0.2, "momentum": 0.5}], epochs=3)
    config = TrainConfig("f1", regime=regime)
    assert config.regime == regime.to_dict() and config.base_regime == regime
