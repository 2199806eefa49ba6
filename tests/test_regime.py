"""Regimes: construction, adaptation, queries, JSON, and driving a real SGD optimizer per iteration."""

from __future__ import annotations

import io
import json
import math
from typing import Any

import pytest
import torch
from torch import nn

from gapbook.regime import Phase, Regime, RegimeScheduler

F1_SETTINGS = [
    {"epoch": 0, "lr": 0.1, "momentum": 0.9, "weight_decay": 1e-4},
    {"epoch": 10, "lr": 0.01},
    {"epoch": 20, "lr": 1e-3},
    {"epoch": 30, "lr": 1e-4},
]
C1_SETTINGS = [
    {"epoch": 0, "lr": 1e-3, "momentum": 0, "weight_decay": 5e-4},
    {"epoch": 60, "lr": 1e-2},
    {"epoch": 120, "lr": 1e-3},
    {"epoch": 180, "lr": 1e-4},
]


def f1() -> Regime:
    """The authors' F1 (MNIST) regime."""
    return Regime.from_authors(F1_SETTINGS, epochs=50)


def c1() -> Regime:
    """The authors' C1 (CIFAR-10) regime, momentum 0, with its rise of the learning rate at epoch 60."""
    return Regime.from_authors(C1_SETTINGS, epochs=200)


def tiny_model() -> nn.Linear:
    torch.manual_seed(0)
    return nn.Linear(3, 2)


def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, iteration: int) -> None:
    """One SGD step on a batch that depends only on the iteration, so that runs can be replayed exactly."""
    generator = torch.Generator().manual_seed(iteration)
    inputs = torch.randn(4, 3, generator=generator)
    targets = torch.randn(4, 2, generator=generator)
    optimizer.zero_grad()
    nn.functional.mse_loss(model(inputs), targets).backward()
    optimizer.step()


def group_values(optimizer: torch.optim.Optimizer) -> list[tuple[float, float, float]]:
    return [(group["lr"], group["momentum"], group["weight_decay"]) for group in optimizer.param_groups]


# Construction ----------------------------------------------------------------------------------------------------


def test_later_phases_inherit_what_they_leave_out() -> None:
    regime = f1()
    assert [phase.start_epoch for phase in regime.phases] == [0, 10, 20, 30]
    assert [phase.lr for phase in regime.phases] == [0.1, 0.01, 1e-3, 1e-4]
    assert all(phase.momentum == 0.9 and phase.weight_decay == 1e-4 for phase in regime.phases)
    assert regime.epochs == 50


def test_authors_dict_keyed_by_epoch_gives_the_same_regime() -> None:
    keyed = {
        30: {"lr": 1e-4},
        0: {"optimizer": "SGD", "lr": 0.1, "momentum": 0.9, "weight_decay": 1e-4},
        10: {"lr": 0.01},
        20: {"lr": 1e-3},
    }
    assert Regime.from_authors(keyed, epochs=50) == f1()


def test_c1_rises_then_decays_without_momentum() -> None:
    regime = c1()
    assert [regime.lr_at(epoch) for epoch in (0, 59.9, 60, 119, 120, 180, 200)] == [
        1e-3, 1e-3, 1e-2, 1e-2, 1e-3, 1e-4, 1e-4
    ]
    assert {phase.momentum for phase in regime.phases} == {0}
    assert {phase.weight_decay for phase in regime.phases} == {5e-4}


def test_constructor_resolves_inheritance_like_from_authors() -> None:
    direct = Regime((Phase(0, 0.1, 0.9, 1e-4), Phase(10, 0.01), Phase(20, 1e-3), Phase(30, 1e-4)), 50)
    assert direct == f1()
    assert direct.phases[2] == Phase(20, 1e-3, 0.9, 1e-4)


def test_unset_momentum_stays_unset() -> None:
    regime = Regime.from_authors({0: {"lr": 1e-3, "weight_decay": 5e-4}, 60: {"lr": 1e-2}}, epochs=200)
    assert [phase.momentum for phase in regime.phases] == [None, None]
    assert regime.phases[1].settings() == {"lr": 1e-2, "weight_decay": 5e-4}


@pytest.mark.parametrize(
    ("settings", "epochs", "message"),
    [
        ([{"epoch": 5, "lr": 0.1}], 50, "first phase must start at epoch 0"),
        ([{"epoch": 0, "momentum": 0.9}], 50, "first regime phase must set 'lr'"),
        ([{"epoch": 0, "lr": 0.1}, {"epoch": 20, "lr": 0.01}, {"epoch": 10, "lr": 1e-3}], 50, "must increase"),
        ([{"epoch": 0, "lr": 0.1}, {"epoch": 0, "lr": 0.01}], 50, "must increase"),
        ([{"epoch": 0, "lr": 0.1}, {"epoch": 50, "lr": 0.01}], 50, "not before the end of training"),
        ([{"epoch": 0, "lr": -0.1}], 50, "lr must be >= 0"),
        ([{"epoch": 0, "lr": math.nan}], 50, "lr must be a finite number"),
        ([{"epoch": 0, "lr": True}], 50, "lr must be a finite number"),
        ([{"epoch": 0, "lr": 0.1, "momentum": -0.9}], 50, "momentum must be >= 0"),
        ([{"epoch": 0, "lr": 0.1, "weight_decay": "1e-4"}], 50, "weight_decay must be a finite number"),
        ([{"epoch": 0, "lr": 0.1}], 0, "epochs must be > 0"),
        ([{"lr": 0.1}], 50, "has no 'epoch' key"),
        ([{"epoch": 0, "lr": 0.1, "optimizer": "Adam"}], 50, "only sets SGD hyper-parameters"),
        ([("epoch", 0)], 50, "must be a dict"),
        ([], 50, "non-empty sequence of Phase"),
    ],
)
def test_invalid_regimes_are_refused(settings: list[Any], epochs: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Regime.from_authors(settings, epochs=epochs)


def test_unknown_key_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown keys \['lr_decay'\]") as info:
        Regime.from_authors([{"epoch": 0, "lr": 0.1, "lr_decay": 0.5}], epochs=50)
    assert all(key in str(info.value) for key in ("'epoch'", "'lr'", "'momentum'", "'weight_decay'"))


def test_epoch_given_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="give the epoch once"):
        Regime.from_authors({0: {"epoch": 0, "lr": 0.1}}, epochs=50)


@pytest.mark.parametrize(
    ("warmup_epochs", "start_factor", "message"),
    [(60, 0.1, r"warmup_epochs \(60\) must not exceed epochs"), (1, 1.5, r"warmup_start_factor must be in \[0, 1\]")],
)
def test_invalid_warmup_is_refused(warmup_epochs: float, start_factor: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Regime.from_authors(F1_SETTINGS, epochs=50, warmup_epochs=warmup_epochs, warmup_start_factor=start_factor)


# Adaptation and learning-rate scaling -------------------------------------------------------------------------------


def test_adapt_multiplies_epochs_and_boundaries_only() -> None:
    regime = f1().adapt(32)
    assert regime.epochs == 1600
    assert [phase.start_epoch for phase in regime.phases] == [0, 320, 640, 960]
    assert [(p.lr, p.momentum, p.weight_decay) for p in regime.phases] == [
        (p.lr, p.momentum, p.weight_decay) for p in f1().phases
    ]


def test_adapt_keeps_whole_numbers_as_ints_and_fractions_as_floats() -> None:
    whole = f1().adapt(0.3)
    assert [phase.start_epoch for phase in whole.phases] == [0, 3, 6, 9]
    assert all(isinstance(phase.start_epoch, int) for phase in whole.phases)
    assert whole.epochs == 15 and isinstance(whole.epochs, int)
    fractional = f1().adapt(0.05)
    assert [phase.start_epoch for phase in fractional.phases] == [0, 0.5, 1, 1.5]
    assert fractional.epochs == 2.5


@pytest.mark.parametrize("factor", [4, 2.5, 3])
def test_adapt_round_trips(factor: float) -> None:
    assert f1().adapt(factor).adapt(1 / factor) == f1()


def test_adapt_scales_the_warmup_too() -> None:
    regime = Regime.from_authors(F1_SETTINGS, epochs=50, warmup_epochs=2).adapt(8)
    assert regime.warmup_epochs == 16


@pytest.mark.parametrize("factor", [0, -2, math.inf, True])
def test_adapt_refuses_a_non_positive_factor(factor: float) -> None:
    with pytest.raises(ValueError, match="factor must be"):
        f1().adapt(factor)


def test_multiply_lr_changes_only_learning_rates() -> None:
    regime = c1().multiply_lr(4)
    assert [phase.lr for phase in regime.phases] == [4e-3, 4e-2, 4e-3, 4e-4]
    assert [phase.start_epoch for phase in regime.phases] == [0, 60, 120, 180]
    assert regime.epochs == 200 and {phase.momentum for phase in regime.phases} == {0}


@pytest.mark.parametrize(("rule", "multiplier"), [("sqrt", math.sqrt(32)), ("linear", 32), ("none", 1)])
def test_for_batch_scales_the_lr_by_the_rule(rule: str, multiplier: float) -> None:
    regime = f1().for_batch(4096, 128, rule)
    assert [phase.lr for phase in regime.phases] == pytest.approx([lr * multiplier for lr in (0.1, 0.01, 1e-3, 1e-4)])
    assert regime.epochs == 50


def test_scaling_then_adapting_is_the_papers_ra_column() -> None:
    adapted = f1().for_batch(300, 128).adapt(math.ceil(300 / 128))
    assert adapted.epochs == 150 and adapted.phases[1].start_epoch == 30
    assert adapted.phases[0].lr == pytest.approx(0.1 * math.sqrt(300 / 128))


# Queries and presentation -------------------------------------------------------------------------------------------


def test_phase_and_lr_at_epochs() -> None:
    regime = f1()
    assert regime.phase_at(0) == Phase(0, 0.1, 0.9, 1e-4)
    assert regime.phase_at(9.999).lr == 0.1
    assert regime.phase_at(10) == Phase(10, 0.01, 0.9, 1e-4)
    assert regime.lr_at(25) == 1e-3
    assert regime.lr_at(50) == 1e-4


@pytest.mark.parametrize("epoch", [-1, 50.5, math.nan])
def test_phase_at_refuses_epochs_outside_the_regime(epoch: float) -> None:
    with pytest.raises(ValueError, match="epoch"):
        f1().phase_at(epoch)


def test_lr_at_includes_the_warmup() -> None:
    regime = Regime.from_authors(F1_SETTINGS, epochs=50, warmup_epochs=5, warmup_start_factor=0.2)
    assert regime.lr_at(0) == pytest.approx(0.02)
    assert regime.lr_at(2.5) == pytest.approx(0.06)
    assert regime.lr_at(5) == 0.1


def test_optimizer_settings_put_boundaries_at_rounded_iterations() -> None:
    regime = f1().adapt(0.05)  # phases start at epochs 0, 0.5, 1, 1.5
    lrs = [regime.optimizer_settings(step, 7)["lr"] for step in range(30)]
    starts = [step for step in range(1, 30) if lrs[step] != lrs[step - 1]]
    assert starts == [round(0.5 * 7), 7, round(1.5 * 7)]
    assert regime.optimizer_settings(10_000, 7) == {"lr": 1e-4, "momentum": 0.9, "weight_decay": 1e-4}


def test_optimizer_settings_refuse_phases_that_collide() -> None:
    regime = f1().adapt(0.05)
    with pytest.raises(ValueError, match="phases 0 and 1 both start at iteration 0 with 1 steps per epoch"):
        regime.optimizer_settings(0, 1)


@pytest.mark.parametrize(("step", "steps_per_epoch"), [(-1, 10), (1.0, 10), (0, 0), (0, 2.5)])
def test_optimizer_settings_refuse_bad_counts(step: int, steps_per_epoch: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        f1().optimizer_settings(step, steps_per_epoch)


def test_total_steps() -> None:
    assert f1().total_steps(469) == 23450
    assert f1().adapt(0.05).total_steps(4) == 10


def test_str_is_a_table() -> None:
    lines = str(c1()).splitlines()
    assert lines[0] == "Regime over 200 epochs"
    assert lines[1].split() == ["from", "epoch", "lr", "momentum", "weight", "decay"]
    assert lines[3].split() == ["60", "0.01", "0", "0.0005"]
    assert len({len(line) for line in lines[1:]}) == 1
    warm = Regime.from_authors({0: {"lr": 0.1}}, epochs=10, warmup_epochs=1)
    assert str(warm).splitlines()[0] == "Regime over 10 epochs, linear warm-up over 1 epochs from 0.1 x lr"
    assert str(warm).splitlines()[2].split() == ["0", "0.1", "-", "-"]


# JSON -------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "regime",
    [
        f1(),
        c1().adapt(0.05),
        Regime.from_authors({0: {"lr": 1e-3, "weight_decay": 5e-4}, 60: {"lr": 1e-2}}, epochs=200),
        Regime.from_authors(F1_SETTINGS, epochs=50, warmup_epochs=2.5, warmup_start_factor=0.25).for_batch(512, 128),
    ],
)
def test_json_round_trip(regime: Regime) -> None:
    assert Regime.from_dict(json.loads(json.dumps(regime.to_dict()))) == regime


def test_to_dict_is_the_authors_notation() -> None:
    assert f1().to_dict()["phases"][1] == {"epoch": 10, "lr": 0.01, "momentum": 0.9, "weight_decay": 1e-4}


def test_from_dict_refuses_missing_or_extra_keys_and_defaults_the_warm_up() -> None:
    data = f1().to_dict()
    del data["warmup_epochs"], data["warmup_start_factor"]
    assert Regime.from_dict(data) == f1()
    with pytest.raises(ValueError, match=r"missing key\(s\) \['epochs'\]"):
        Regime.from_dict({"phases": data["phases"]})
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['batch_size'\]"):
        Regime.from_dict({**f1().to_dict(), "batch_size": 128})


# Driving an optimizer ----------------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("error")
def test_scheduler_drives_sgd_through_the_whole_regime() -> None:
    regime, steps_per_epoch = f1(), 3
    model = tiny_model()
    optimizer = torch.optim.SGD(
        [{"params": [model.weight]}, {"params": [model.bias], "weight_decay": 0.0}], lr=5.0, momentum=0.0
    )
    scheduler = regime.scheduler(optimizer, steps_per_epoch)
    assert isinstance(scheduler, RegimeScheduler)
    used = []
    for iteration in range(regime.total_steps(steps_per_epoch)):
        used.append(group_values(optimizer))
        assert scheduler.get_last_lr() == [optimizer.param_groups[0]["lr"]] * 2
        train_step(model, optimizer, iteration)
        scheduler.step()
    assert len(used) == 150
    for iteration, values in enumerate(used):
        phase = regime.phase_at(iteration // steps_per_epoch)
        assert values == [(phase.lr, 0.9, 1e-4)] * 2
    assert used[0][0] == (0.1, 0.9, 1e-4)
    assert used[29][0][0] == 0.1 and used[30][0][0] == 0.01
    assert used[89][0][0] == 1e-3 and used[90][0][0] == 1e-4 and used[149][0][0] == 1e-4


def test_scheduler_with_c1_sets_momentum_zero() -> None:
    model = tiny_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0, momentum=0.5)
    scheduler = c1().scheduler(optimizer, 2)
    assert group_values(optimizer) == [(1e-3, 0, 5e-4)]
    for iteration in range(120):
        train_step(model, optimizer, iteration)
        scheduler.step()
    assert group_values(optimizer) == [(1e-2, 0, 5e-4)]


def test_unset_momentum_leaves_the_optimizer_value_alone() -> None:
    regime = Regime.from_authors({0: {"optimizer": "SGD", "lr": 1e-3, "weight_decay": 5e-4}}, epochs=10)
    optimizer = torch.optim.SGD(tiny_model().parameters(), lr=1.0, momentum=0.7)
    regime.scheduler(optimizer, 5)
    assert group_values(optimizer) == [(1e-3, 0.7, 5e-4)]


def test_warmup_ramps_linearly_to_the_phase_lr() -> None:
    regime = Regime.from_authors(F1_SETTINGS, epochs=50, warmup_epochs=2, warmup_start_factor=0.1)
    model = tiny_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = regime.scheduler(optimizer, 5)
    lrs = []
    for iteration in range(15):
        lrs.append(optimizer.param_groups[0]["lr"])
        train_step(model, optimizer, iteration)
        scheduler.step()
    assert lrs[:11] == pytest.approx([0.1 * (0.1 + 0.9 * step / 10) for step in range(11)], rel=1e-12)
    assert lrs[10:] == [0.1] * 5


def test_momentum_buffer_persists_across_a_phase_change() -> None:
    steps_per_epoch = 2
    model = tiny_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = f1().scheduler(optimizer, steps_per_epoch)
    boundary = 10 * steps_per_epoch  # first iteration at lr 0.01
    for iteration in range(boundary):
        train_step(model, optimizer, iteration)
        scheduler.step()
    assert optimizer.param_groups[0]["lr"] == 0.01
    buffer = optimizer.state[model.weight]["momentum_buffer"]
    before, weight_before = buffer.clone(), model.weight.detach().clone()
    train_step(model, optimizer, boundary)
    after = optimizer.state[model.weight]["momentum_buffer"]
    assert after is buffer
    gradient = model.weight.grad + 1e-4 * weight_before
    torch.testing.assert_close(after, 0.9 * before + gradient, rtol=1e-6, atol=1e-9)
    torch.testing.assert_close(model.weight.detach(), weight_before - 0.01 * after, rtol=1e-6, atol=1e-9)
    assert not torch.allclose(after, gradient)


def test_regime_with_momentum_refuses_an_optimizer_without_it() -> None:
    optimizer = torch.optim.Adam(tiny_model().parameters())
    with pytest.raises(ValueError, match="sets 'momentum' but param group 0 of Adam has no 'momentum'"):
        f1().scheduler(optimizer, 10)


def test_regime_without_momentum_drives_adam() -> None:
    regime = Regime.from_authors({0: {"lr": 1e-3, "weight_decay": 5e-4}, 5: {"lr": 1e-4}}, epochs=10)
    optimizer = torch.optim.Adam(tiny_model().parameters(), lr=0.5, betas=(0.8, 0.99))
    regime.scheduler(optimizer, 4)
    group = optimizer.param_groups[0]
    assert (group["lr"], group["weight_decay"], group["betas"]) == (1e-3, 5e-4, (0.8, 0.99))


def test_scheduler_refuses_bad_arguments() -> None:
    optimizer = torch.optim.SGD(tiny_model().parameters(), lr=0.1)
    with pytest.raises(ValueError, match="steps_per_epoch must be a positive int"):
        RegimeScheduler(optimizer, f1(), 0)
    with pytest.raises(TypeError, match="regime must be a Regime"):
        RegimeScheduler(optimizer, F1_SETTINGS, 10)  # type: ignore[arg-type]


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("stop", [7, 29, 30, 31])
def test_resuming_from_state_dicts_replays_the_run(stop: int) -> None:
    regime, steps_per_epoch, total = Regime.from_authors(F1_SETTINGS, epochs=50, warmup_epochs=3), 3, 60

    def run(model: nn.Module, optimizer: torch.optim.Optimizer, scheduler: RegimeScheduler, steps: range) -> list:
        used = []
        for iteration in steps:
            used.append(group_values(optimizer))
            train_step(model, optimizer, iteration)
            scheduler.step()
        return used

    model = tiny_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    reference = run(model, optimizer, regime.scheduler(optimizer, steps_per_epoch), range(total))

    first = tiny_model()
    first_optimizer = torch.optim.SGD(first.parameters(), lr=0.1)
    first_scheduler = regime.scheduler(first_optimizer, steps_per_epoch)
    head = run(first, first_optimizer, first_scheduler, range(stop))
    buffer = io.BytesIO()
    state = {"model": first.state_dict(), "optimizer": first_optimizer.state_dict()}
    torch.save({**state, "scheduler": first_scheduler.state_dict()}, buffer)
    buffer.seek(0)
    checkpoint = torch.load(buffer, weights_only=True)

    resumed = nn.Linear(3, 2)
    resumed.load_state_dict(checkpoint["model"])
    resumed_optimizer = torch.optim.SGD(resumed.parameters(), lr=123.0)
    saved_regime = Regime.from_dict(checkpoint["scheduler"]["regime"])
    resumed_scheduler = saved_regime.scheduler(resumed_optimizer, steps_per_epoch)
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    resumed_scheduler.load_state_dict(checkpoint["scheduler"])
    tail = run(resumed, resumed_optimizer, resumed_scheduler, range(stop, total))

    assert head + tail == reference
    assert resumed_scheduler.get_last_lr() == [optimizer.param_groups[0]["lr"]]
    torch.testing.assert_close(resumed.weight, model.weight, rtol=0, atol=0)


def test_loading_a_state_dict_of_another_regime_is_refused() -> None:
    def fresh_optimizer() -> torch.optim.Optimizer:
        return torch.optim.SGD(tiny_model().parameters(), lr=0.1)

    state = f1().scheduler(fresh_optimizer(), 10).state_dict()
    for other in (f1().adapt(2).scheduler(fresh_optimizer(), 10), f1().scheduler(fresh_optimizer(), 11)):
        with pytest.raises(ValueError, match="different regime or steps_per_epoch"):
            other.load_state_dict(state)


def test_first_phase_is_the_high_learning_rate_phase_alone() -> None:
    regime = Regime.from_authors(
        [{"epoch": 0, "lr": 0.1, "momentum": 0.9, "weight_decay": 1e-4}, {"epoch": 10, "lr": 0.01}],
        epochs=50, warmup_epochs=2,
    )  # fmt: skip
    first = regime.first_phase(7)
    assert first.phases == regime.phases[:1] and first.epochs == 7 and first.warmup_epochs == 0
    assert first.lr_at(6.9) == 0.1
