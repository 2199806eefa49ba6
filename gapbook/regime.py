"""Training regimes: piecewise-constant SGD hyper-parameters keyed by epoch, and regime adaptation.

A regime lists phases; each sets the learning rate, momentum and weight decay from its start epoch on, and
whatever a phase leaves out it inherits from the phase before, as in the authors' regime descriptions. Regime
adaptation (Hoffer, Hubara & Soudry 2017) multiplies the number of epochs and every phase boundary by
the batch ratio, so that a large-batch run makes as many updates as the small-batch run it is compared to.

``RegimeScheduler`` applies a regime to an optimizer at every iteration. It only writes the hyper-parameters of
the param groups and never rebuilds the optimizer, so momentum buffers carry over from one phase to the next
(the authors' code rebuilt the optimizer every epoch, which reset them).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from torch import Tensor
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from gapbook.lr_scaling import scale_lr

__all__ = ["Phase", "Regime", "RegimeScheduler"]

_PHASE_KEYS = ("epoch", "lr", "momentum", "weight_decay")
_AUTHORS_KEYS = (*_PHASE_KEYS, "optimizer")
_REGIME_KEYS = ("phases", "epochs", "warmup_epochs", "warmup_start_factor")


def _check_number(name: str, value: object, *, positive: bool = False) -> None:
    """Refuse what is not a finite real number >= 0 (> 0 when ``positive``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"{name} must be {'> 0' if positive else '>= 0'}, got {value!r}")


def _check_count(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


def _scale_epoch(epoch: float, factor: float) -> float:
    """``epoch * factor``, as an int when it is a whole number up to rounding error (10 x 0.3 gives ``3``)."""
    product = epoch * factor
    nearest = round(product)
    return nearest if math.isclose(product, nearest, rel_tol=1e-12) else product


@dataclass(frozen=True)
class Phase:
    """SGD hyper-parameters in force from ``start_epoch`` until the next phase starts.

    ``momentum`` or ``weight_decay`` left as ``None`` is inherited from the previous phase of a ``Regime``; in
    the first phase, ``None`` leaves the optimizer's own value untouched.
    """

    start_epoch: float
    lr: float
    momentum: float | None = None
    weight_decay: float | None = None

    def __post_init__(self) -> None:
        _check_number("start_epoch", self.start_epoch)
        _check_number("lr", self.lr)
        for name in ("momentum", "weight_decay"):
            if getattr(self, name) is not None:
                _check_number(name, getattr(self, name))
        if self.momentum is not None and self.momentum >= 1:
            raise ValueError(
                f"momentum must be in [0, 1), the share of each update kept in the next (e.g. 0.9; at 1 or above "
                f"old gradients never fade), got {self.momentum!r}"
            )

    def settings(self) -> dict[str, float]:
        """The optimizer settings this phase writes: lr always, momentum and weight_decay when set."""
        values = {"lr": self.lr, "momentum": self.momentum, "weight_decay": self.weight_decay}
        return {key: value for key, value in values.items() if value is not None}


def _mapping(epoch: object, setting: object) -> Mapping[str, Any]:
    if not isinstance(setting, Mapping):
        raise ValueError(f"the regime phase at epoch {epoch!r} must be a dict like {{'lr': 0.01}}, got {setting!r}")
    return setting


def _without_epoch(epoch: float, setting: Mapping[str, Any]) -> Mapping[str, Any]:
    if "epoch" in setting:
        raise ValueError(f"regime phase keyed by epoch {epoch} also has an 'epoch' key; give the epoch once")
    return setting


def _phases_from_settings(settings: Sequence[Mapping[str, Any]], known: tuple[str, ...]) -> tuple[Phase, ...]:
    """Phases from dicts like ``{'epoch': 10, 'lr': 0.01}``; a missing lr is inherited from the phase before."""
    if isinstance(settings, (str, bytes, Mapping)) or not isinstance(settings, Sequence):
        raise ValueError(
            f"regime phases must be a list of dicts like [{{'epoch': 0, 'lr': 0.1}}, {{'epoch': 10, 'lr': 0.01}}], "
            f"got {settings!r}"
        )
    phases: list[Phase] = []
    for index, setting in enumerate(settings):
        if not isinstance(setting, Mapping):
            raise ValueError(f"regime phase {index} must be a dict like {{'epoch': 10, 'lr': 0.01}}, got {setting!r}")
        unknown = sorted(set(setting) - set(known))
        if unknown:
            raise ValueError(f"regime phase {index} has unknown keys {unknown}; the known keys are {list(known)}")
        if setting.get("optimizer", "SGD") != "SGD":
            raise ValueError(
                f"regime phase {index} asks for optimizer {setting['optimizer']!r}; a Regime only sets SGD "
                f"hyper-parameters, so choose the optimizer in the training code and drop the 'optimizer' key"
            )
        if "epoch" not in setting:
            raise ValueError(f"regime phase {index} has no 'epoch' key; give the epoch at which it starts")
        if "lr" not in setting and not phases:
            raise ValueError("the first regime phase must set 'lr' (the learning rate at epoch 0)")
        lr = setting["lr"] if "lr" in setting else phases[-1].lr
        phases.append(Phase(setting["epoch"], lr, setting.get("momentum"), setting.get("weight_decay")))
    return tuple(phases)


@dataclass(frozen=True)
class Regime:
    """A training schedule: ``phases`` over ``epochs`` epochs, with an optional linear learning-rate warm-up.

    During the first ``warmup_epochs`` the learning rate rises linearly from ``warmup_start_factor`` times the
    phase's learning rate to the full value (the gradual warm-up of Goyal et al. 2017). Phases are stored with
    inheritance resolved, so ``phases[k].momentum`` is the momentum in force during phase k.
    """

    phases: tuple[Phase, ...]
    epochs: float
    warmup_epochs: float = 0
    warmup_start_factor: float = 0.1

    def __post_init__(self) -> None:
        phases = tuple(self.phases)
        if not phases or not all(isinstance(phase, Phase) for phase in phases):
            raise ValueError(f"phases must be a non-empty sequence of Phase, got {self.phases!r}")
        _check_number("epochs", self.epochs, positive=True)
        _check_number("warmup_epochs", self.warmup_epochs)
        _check_number("warmup_start_factor", self.warmup_start_factor)
        if phases[0].start_epoch != 0:
            raise ValueError(f"the first phase must start at epoch 0, not {phases[0].start_epoch}")
        for before, after in zip(phases, phases[1:]):
            if after.start_epoch <= before.start_epoch:
                raise ValueError(
                    f"phase start epochs must increase; epoch {after.start_epoch} follows {before.start_epoch}"
                )
        if phases[-1].start_epoch >= self.epochs:
            raise ValueError(
                f"the last phase starts at epoch {phases[-1].start_epoch}, not before the end of training "
                f"({self.epochs} epochs); drop it or train for more epochs"
            )
        if self.warmup_epochs > self.epochs:
            raise ValueError(f"warmup_epochs ({self.warmup_epochs}) must not exceed epochs ({self.epochs})")
        if self.warmup_start_factor > 1:
            raise ValueError(f"warmup_start_factor must be in [0, 1], got {self.warmup_start_factor}")
        resolved = [phases[0]]
        for phase in phases[1:]:
            previous = resolved[-1]
            resolved.append(
                Phase(
                    phase.start_epoch,
                    phase.lr,
                    previous.momentum if phase.momentum is None else phase.momentum,
                    previous.weight_decay if phase.weight_decay is None else phase.weight_decay,
                )
            )
        object.__setattr__(self, "phases", tuple(resolved))

    @classmethod
    def from_authors(
        cls,
        settings: Sequence[Mapping[str, Any]] | Mapping[float, Mapping[str, Any]],
        epochs: float,
        warmup_epochs: float = 0,
        warmup_start_factor: float = 0.1,
    ) -> Regime:
        """Build a regime from the authors' notation.

        Either a list of dicts with an ``'epoch'`` key, ``[{'epoch': 0, 'lr': 0.1, 'momentum': 0.9}, {'epoch':
        10, 'lr': 0.01}]``, or a dict keyed by epoch, ``{0: {'optimizer': 'SGD', 'lr': 1e-3}, 60: {'lr': 1e-2}}``.
        An ``'optimizer'`` key is accepted only as ``'SGD'``.
        """
        if isinstance(settings, Mapping):
            for epoch in settings:
                _check_number(f"regime epoch key {epoch!r}", epoch)
            settings = [
                {"epoch": epoch, **_without_epoch(epoch, _mapping(epoch, setting))}
                for epoch, setting in sorted(settings.items())
            ]
        return cls(_phases_from_settings(settings, _AUTHORS_KEYS), epochs, warmup_epochs, warmup_start_factor)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description; ``Regime.from_dict`` rebuilds an equal regime from it."""
        return {
            "phases": [{"epoch": phase.start_epoch, **phase.settings()} for phase in self.phases],
            "epochs": self.epochs,
            "warmup_epochs": self.warmup_epochs,
            "warmup_start_factor": self.warmup_start_factor,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Regime:
        """Inverse of ``to_dict``; ``warmup_epochs`` and ``warmup_start_factor`` may be left out (defaults)."""
        if not isinstance(data, Mapping):
            raise ValueError(f"a regime dict is a JSON object with keys {list(_REGIME_KEYS)}, got {data!r}")
        keys = {str(key) for key in data}
        missing = sorted({"phases", "epochs"} - keys)
        unknown = sorted(keys - set(_REGIME_KEYS))
        if missing or unknown:
            problems = [f"{what} key(s) {keys}" for what, keys in (("missing", missing), ("unknown", unknown)) if keys]
            raise ValueError(
                f"a regime dict has the keys {list(_REGIME_KEYS)} (the warm-up ones optional), this one has "
                f"{' and '.join(problems)}; build it with Regime.to_dict()"
            )
        phases = _phases_from_settings(data["phases"], _PHASE_KEYS)
        defaults = {key: getattr(cls, key) for key in ("warmup_epochs", "warmup_start_factor")}
        return cls(phases, data["epochs"], **{key: data.get(key, value) for key, value in defaults.items()})

    def adapt(self, factor: float) -> Regime:
        """Regime adaptation: multiply the epochs, every phase boundary and the warm-up length by ``factor``.

        With factor = B_L / B_S the large batch makes as many updates, in every phase, as the small batch
        (the authors used ceil(B_L / B_S)).
        """
        _check_number("factor", factor, positive=True)
        phases = tuple(
            Phase(_scale_epoch(phase.start_epoch, factor), phase.lr, phase.momentum, phase.weight_decay)
            for phase in self.phases
        )
        return Regime(
            phases,
            _scale_epoch(self.epochs, factor),
            _scale_epoch(self.warmup_epochs, factor),
            self.warmup_start_factor,
        )

    def first_phase(self, epochs: float) -> Regime:
        """The first phase alone, held for ``epochs`` without warm-up: the high-learning-rate phase as a regime."""
        return Regime(self.phases[:1], epochs)

    def multiply_lr(self, multiplier: float) -> Regime:
        """The same regime with every phase's learning rate multiplied by ``multiplier``."""
        _check_number("multiplier", multiplier, positive=True)
        phases = tuple(
            Phase(phase.start_epoch, phase.lr * multiplier, phase.momentum, phase.weight_decay)
            for phase in self.phases
        )
        return Regime(phases, self.epochs, self.warmup_epochs, self.warmup_start_factor)

    def for_batch(self, batch_size: int, base_batch_size: int, rule: str = "sqrt") -> Regime:
        """This regime, tuned for ``base_batch_size``, moved to ``batch_size``: every learning rate scaled by
        ``rule`` (see ``scale_lr``; the paper's "+LR"). Regime adaptation ("+RA") is :meth:`adapt`."""
        return self.multiply_lr(scale_lr(1.0, batch_size, base_batch_size, rule))

    def phase_at(self, epoch: float) -> Phase:
        """The phase in force at ``epoch`` (a real number of epochs since the start, 0 <= epoch <= epochs)."""
        _check_number("epoch", epoch)
        if epoch > self.epochs:
            raise ValueError(f"epoch {epoch} is past the end of this regime ({self.epochs} epochs)")
        return self.phases[bisect_right([phase.start_epoch for phase in self.phases], epoch) - 1]

    def lr_at(self, epoch: float) -> float:
        """The learning rate at ``epoch``, warm-up included."""
        return self.phase_at(epoch).lr * self._warmup_factor(epoch, self.warmup_epochs)

    def total_steps(self, steps_per_epoch: int) -> int:
        """The number of iterations of training with this regime: round(epochs * steps_per_epoch)."""
        _check_count("steps_per_epoch", steps_per_epoch)
        return round(self.epochs * steps_per_epoch)

    def optimizer_settings(self, step: int, steps_per_epoch: int) -> dict[str, float]:
        """The lr (warm-up included), momentum and weight_decay for iteration ``step`` (counted from 0).

        A phase starting at epoch e starts at iteration round(e * steps_per_epoch); settings past the end of
        training are those of the last phase.
        """
        _check_count("steps_per_epoch", steps_per_epoch)
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise ValueError(f"step must be an int >= 0 (an iteration count), got {step!r}")
        starts = [round(phase.start_epoch * steps_per_epoch) for phase in self.phases]
        for index, (before, after) in enumerate(zip(starts, starts[1:])):
            if after == before:
                raise ValueError(
                    f"phases {index} and {index + 1} both start at iteration {after} with {steps_per_epoch} steps "
                    f"per epoch, so phase {index} would never run; use more steps per epoch or merge the phases"
                )
        settings = self.phases[bisect_right(starts, step) - 1].settings()
        settings["lr"] *= self._warmup_factor(step, round(self.warmup_epochs * steps_per_epoch))
        return settings

    def scheduler(self, optimizer: Optimizer, steps_per_epoch: int) -> RegimeScheduler:
        """A per-iteration scheduler that drives ``optimizer`` through this regime."""
        return RegimeScheduler(optimizer, self, steps_per_epoch)

    def _warmup_factor(self, time: float, warmup_length: float) -> float:
        if time >= warmup_length:
            return 1.0
        return self.warmup_start_factor + (1 - self.warmup_start_factor) * time / warmup_length

    def __str__(self) -> str:
        header = ("from epoch", "lr", "momentum", "weight decay")
        rows = [
            tuple("-" if value is None else f"{value:g}" for value in (p.start_epoch, p.lr, p.momentum, p.weight_decay))
            for p in self.phases
        ]
        widths = [max(len(row[column]) for row in (header, *rows)) for column in range(len(header))]
        lines = [f"Regime over {self.epochs:g} epochs" + self._warmup_text()]
        lines += ["  ".join(cell.rjust(width) for cell, width in zip(row, widths)) for row in (header, *rows)]
        return "\n".join(lines)

    def _warmup_text(self) -> str:
        if self.warmup_epochs == 0:
            return ""
        return f", linear warm-up over {self.warmup_epochs:g} epochs from {self.warmup_start_factor:g} x lr"


class RegimeScheduler(LRScheduler):
    """Sets lr, momentum and weight_decay of every param group at every iteration, following a ``Regime``.

    Call ``step()`` once per iteration, after ``optimizer.step()``, like any torch scheduler; iteration 0 runs
    with the values set at construction. Only the param-group values change: ``optimizer.state`` (momentum
    buffers) is left alone. To resume, restore the optimizer's and this scheduler's ``state_dict``.
    """

    def __init__(self, optimizer: Optimizer, regime: Regime, steps_per_epoch: int, last_epoch: int = -1) -> None:
        if not isinstance(regime, Regime):
            raise TypeError(f"regime must be a Regime, got {type(regime).__name__}")
        _check_count("steps_per_epoch", steps_per_epoch)
        for key in ("momentum", "weight_decay"):
            if any(getattr(phase, key) is not None for phase in regime.phases):
                for index, group in enumerate(optimizer.param_groups):
                    if key not in group:
                        raise ValueError(
                            f"the regime sets {key!r} but param group {index} of {type(optimizer).__name__} has no "
                            f"{key!r} setting; use an optimizer that has one (e.g. torch.optim.SGD) or a regime "
                            f"that leaves {key!r} out"
                        )
        self.regime = regime
        self.steps_per_epoch = steps_per_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float | Tensor]:
        """The learning rate of every param group for the current iteration, ``last_epoch``."""
        lr = self.regime.optimizer_settings(self.last_epoch, self.steps_per_epoch)["lr"]
        return [lr] * len(self.optimizer.param_groups)

    def step(self, epoch: int | None = None) -> None:
        """Move to the next iteration: the base class sets lr, then momentum and weight_decay are set."""
        super().step(epoch)
        settings = self.regime.optimizer_settings(self.last_epoch, self.steps_per_epoch)
        for group in self.optimizer.param_groups:
            for key in ("momentum", "weight_decay"):
                if key in settings:
                    group[key] = settings[key]

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state, with the regime as plain data so that ``torch.load(weights_only=True)`` reads it."""
        state = {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "regime")}
        state["regime"] = self.regime.to_dict()
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the position in the regime; the saved regime and steps_per_epoch must match this scheduler's."""
        if state_dict["regime"] != self.regime.to_dict() or state_dict["steps_per_epoch"] != self.steps_per_epoch:
            raise ValueError(
                "the saved scheduler followed a different regime or steps_per_epoch; build the scheduler with "
                "Regime.from_dict(state_dict['regime']) and state_dict['steps_per_epoch'] before loading"
            )
        self.__dict__.update({key: value for key, value in state_dict.items() if key != "regime"})
