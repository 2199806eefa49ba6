"""``TrainConfig``: everything a training run depends on, as plain JSON-ready data with a stable hash.

One config expresses any column of Table 1 of Hoffer, Hubara & Soudry (2017) through its fields:

- SB: ``batch_size=128``;
- LB: ``batch_size=4096`` (no ``base_batch_size``: the learning rates are used as they are);
- +LR: LB with ``base_batch_size=128`` (the regime's learning rates are scaled by ``lr_rule``, sqrt by default);
- +GBN: +LR with ``ghost_batch_size=128``;
- +RA: +GBN with ``regime_adaptation=32`` (epochs and phase boundaries multiplied by B_L / B_S, rounded up).

The config stores the base regime only; the regime a run follows is derived by :meth:`TrainConfig.effective_regime`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from gapbook.data.specs import DATASETS, SPECS
from gapbook.lr_scaling import LR_RULES
from gapbook.models import has_batch_norm, model_info, names
from gapbook.regime import Regime

from .precision import resolve_precision
from .authors_regimes import authors_regime

__all__ = [
    "HASHED_ONLY_WHEN_SET",
    "MAX_SEED",
    "NOT_HASHED",
    "PRECISIONS",
    "TrainConfig",
    "check_normalized_batch",
    "check_seed",
]

PRECISIONS: tuple[str, ...] = ("auto", "fp32", "bf16", "fp16")

NOT_HASHED: tuple[str, ...] = ("progress", "checkpoint_path", "checkpoint_every", "data_root")
"""Fields that do not change what a run computes, hence left out of :meth:`TrainConfig.config_hash`."""

HASHED_ONLY_WHEN_SET: dict[str, Any] = {
    "reset_momentum": False,
    "eval_points_per_decade": None,
    "stop_at_test_acc": None,
    "stop_at_train_loss": None,
}
"""Options added after results were stored: hashed only when they differ from this value, so that a stored run,
which did not have the option, keeps its identity."""


MAX_SEED = 2**53
"""The largest seed. ``torch.manual_seed`` takes seeds up to 2**64 - 1 (NumPy's generators any int >= 0), but the
config hash counts numbers as floats, which tell ints apart only up to 2**53: two larger seeds could share a hash,
and so one stored result."""


def check_seed(seed: object) -> None:
    """Refuse a seed that is not an int in [0, :data:`MAX_SEED`], stating the range."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ValueError(
            f"seed must be an int >= 0 and <= 2**53 = {MAX_SEED} (torch takes seeds up to 2**64 - 1, but the "
            f"config hash tells seeds apart only up to 2**53), got {seed!r}"
        )


def _help(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass(frozen=True)
class TrainConfig:
    """A training run: network, data, batch, Ghost BN, regime and its scaling, numerics, cadences and paths.

    Invalid values raise ``ValueError`` naming the field and the fix. ``dataset`` and ``regime`` left as ``None``
    are filled in: the network's own data set and the authors' regime for it (:func:`authors_regime`).
    """

    model: str = field(metadata=_help(f"network: {', '.join(names())}"))
    dataset: str | None = field(
        default=None,
        metadata=_help(
            f"data set: {', '.join(SPECS)} (arrays), or the name of a folder <data root>/<name> holding "
            "train/<class>/<image> and val/<class>/<image> (e.g. imagenet)"
        ),
    )
    train_size: int | None = field(default=None, metadata=_help("train on a class-balanced subset of this size"))
    test_size: int | None = field(default=None, metadata=_help("evaluate on a class-balanced subset of this size"))
    batch_size: int = field(default=128, metadata=_help("global batch size (all processes together)"))
    ghost_batch_size: int | None = field(
        default=None, metadata=_help("Ghost Batch Norm: normalize slices of this many samples (must divide the batch)")
    )
    regime: dict[str, Any] | None = field(
        default=None,
        metadata=_help("base regime, tuned for base_batch_size (Regime.to_dict() form)"),
    )
    lr_rule: str = field(default="sqrt", metadata=_help(f"learning-rate scaling rule: {', '.join(LR_RULES)}"))
    base_batch_size: int | None = field(
        default=None, metadata=_help("batch size the regime was tuned for; none: no learning-rate scaling")
    )
    regime_adaptation: float = field(
        default=1, metadata=_help("multiply epochs and phase boundaries by this factor (1: no adaptation)")
    )
    grad_clip: float | None = field(default=5.0, metadata=_help("clip the gradient norm at this value (none: off)"))
    reset_momentum: bool = field(
        default=False,
        metadata=_help(
            "zero the momentum buffers at the start of every epoch, as the authors' code did by rebuilding its "
            "optimizer every epoch"
        ),
    )
    augment: bool = field(default=True, metadata=_help("the authors' data augmentation"))
    seed: int = field(default=0, metadata=_help("random seed (initialization, data order, augmentation, dropout)"))
    device: str = field(default="auto", metadata=_help("auto (cuda when available, else cpu), cpu, cuda, cuda:N"))
    precision: str = field(
        default="auto",
        metadata=_help("auto (bf16 or fp16 on cuda, whichever it supports; fp32 on cpu), fp32, bf16, fp16"),
    )
    channels_last: bool = field(default=False, metadata=_help("channels-last memory format for images and model"))
    compile: bool = field(default=False, metadata=_help("torch.compile the model"))
    eval_every: int = field(default=1, metadata=_help("evaluate every N epochs (the last epoch always)"))
    eval_points_per_decade: int | None = field(
        default=None,
        metadata=_help(
            "also evaluate at log-spaced iterations, N per decade, on the test set and a fixed training sample "
            "(none: at epoch ends only)"
        ),
    )
    stop_at_test_acc: float | None = field(
        default=None,
        metadata=_help(
            "end the run at the first log-spaced evaluation whose test accuracy reaches this (and whose training "
            "loss reaches stop_at_train_loss, when set); needs eval_points_per_decade"
        ),
    )
    stop_at_train_loss: float | None = field(
        default=None,
        metadata=_help(
            "end the run at the first log-spaced evaluation whose training loss is at most this (and whose test "
            "accuracy reaches stop_at_test_acc, when set); needs eval_points_per_decade"
        ),
    )
    distance_points_per_decade: int = field(
        default=20, metadata=_help("log-spaced iterations per decade at which ||w_t - w_0|| is logged")
    )
    workers: int = field(default=4, metadata=_help("data-loading processes for folder data sets"))
    checkpoint_path: str | None = field(default=None, metadata=_help("checkpoint file (none: no checkpoints)"))
    checkpoint_every: int = field(default=1, metadata=_help("write the checkpoint every N epochs (and at the end)"))
    progress: bool = field(default=True, metadata=_help("show a progress bar"))
    data_root: str | None = field(default=None, metadata=_help("folder holding the data sets"))

    def __post_init__(self) -> None:
        info = model_info(self.model)
        object.__setattr__(self, "model", info.name)
        dataset = info.dataset if self.dataset is None else self.dataset
        if not isinstance(dataset, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", dataset) or dataset in (".", ".."):
            raise ValueError(
                f"dataset must be a data set name ({', '.join(SPECS)}) or a folder name under the data root, "
                f"got {dataset!r}"
            )
        object.__setattr__(self, "dataset", dataset)
        _check_input_shape(info.name, info.input_shape, dataset)
        for name in ("train_size", "test_size", "ghost_batch_size", "base_batch_size"):
            _check_int(name, getattr(self, name), minimum=1, optional=True)
        _check_int("batch_size", self.batch_size, minimum=1)
        check_seed(self.seed)
        for name in ("eval_every", "distance_points_per_decade", "checkpoint_every"):
            _check_int(name, getattr(self, name), minimum=1)
        _check_int("eval_points_per_decade", self.eval_points_per_decade, minimum=1, optional=True)
        self._check_targets()
        _check_int("workers", self.workers, minimum=0)
        self._check_batches()
        if self.lr_rule not in LR_RULES:
            raise ValueError(f"lr_rule must be one of {', '.join(LR_RULES)}, got {self.lr_rule!r}")
        _check_positive("regime_adaptation", self.regime_adaptation)
        if self.grad_clip is not None:
            _check_positive("grad_clip", self.grad_clip)
        for name in ("augment", "reset_momentum", "channels_last", "compile", "progress"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be true or false, got {getattr(self, name)!r}")
        _check_device(self.device)
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        for name in ("checkpoint_path", "data_root"):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), str):
                raise ValueError(f"{name} must be a path (a string) or None, got {getattr(self, name)!r}")
        regime = authors_regime(info.name) if self.regime is None else self.regime
        if isinstance(regime, Regime):
            regime = regime.to_dict()
        if not isinstance(regime, Mapping):
            raise ValueError(f"regime must be a Regime or its to_dict() form, got {type(regime).__name__}")
        object.__setattr__(self, "regime", Regime.from_dict(regime).to_dict())
        self.effective_regime()

    def _check_batches(self) -> None:
        check_normalized_batch(self.model, self.ghost_batch_size or self.batch_size,
                               "ghost_batch_size" if self.ghost_batch_size else "batch_size")  # fmt: skip
        if self.ghost_batch_size is not None and self.batch_size % self.ghost_batch_size:
            raise ValueError(
                f"ghost_batch_size {self.ghost_batch_size} does not divide batch_size {self.batch_size}; every "
                f"ghost batch must be full, so choose a ghost size that divides the batch (e.g. "
                f"{_largest_divisor_at_most(self.batch_size, self.ghost_batch_size)})"
            )
        if self.train_size is not None and self.batch_size > self.train_size:
            raise ValueError(
                f"batch_size {self.batch_size} is larger than train_size {self.train_size}, so an epoch has no "
                f"full batch; use a batch of at most {self.train_size} samples or a larger training subset"
            )

    def _check_targets(self) -> None:
        acc, loss = self.stop_at_test_acc, self.stop_at_train_loss
        if acc is not None and (isinstance(acc, bool) or not isinstance(acc, (int, float)) or not 0 < acc <= 1):
            raise ValueError(f"stop_at_test_acc must be an accuracy in (0, 1], e.g. 0.98, got {acc!r}")
        if loss is not None:
            _check_positive("stop_at_train_loss", loss)
        if (acc is not None or loss is not None) and self.eval_points_per_decade is None:
            raise ValueError(
                "stop_at_test_acc and stop_at_train_loss are checked at the log-spaced evaluations; set "
                "eval_points_per_decade (e.g. 10) too"
            )

    @property
    def targets(self) -> dict[str, float]:
        """The targets that end the run early (``test_acc`` at least, ``train_loss`` at most), those that are set."""
        chosen = {"test_acc": self.stop_at_test_acc, "train_loss": self.stop_at_train_loss}
        return {name: float(value) for name, value in chosen.items() if value is not None}

    @property
    def base_regime(self) -> Regime:
        """The regime as given, tuned for ``base_batch_size``."""
        return Regime.from_dict(self.regime)  # type: ignore[arg-type]

    def effective_regime(self) -> Regime:
        """The regime the run follows: learning rates scaled to ``batch_size``, then adapted."""
        regime = self.base_regime
        if self.base_batch_size is not None:
            regime = regime.for_batch(self.batch_size, self.base_batch_size, self.lr_rule)
        return regime if self.regime_adaptation == 1 else regime.adapt(self.regime_adaptation)

    @property
    def is_array_dataset(self) -> bool:
        """Whether the data set is an in-memory array data set (else an image folder)."""
        return self.dataset in SPECS

    def to_dict(self) -> dict[str, Any]:
        """All fields as JSON-ready data."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainConfig:
        """Inverse of :meth:`to_dict`; missing fields take their defaults, unknown ones are refused."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown TrainConfig field(s) {unknown}; the fields are {sorted(known)}")
        if "model" not in data:
            raise ValueError("a TrainConfig needs a 'model' (one of " + ", ".join(names()) + ")")
        return cls(**data)

    def to_json(self) -> str:
        """The config as indented JSON."""
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str) -> TrainConfig:
        """Inverse of :meth:`to_json`."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError(f"a TrainConfig JSON must be an object, got {type(data).__name__}")
        return cls.from_dict(data)

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with some fields changed (and validated again)."""
        return dataclasses.replace(self, **changes)

    def device_type(self) -> str:
        """The kind of device the run computes on: ``"auto"`` resolved on this machine, the GPU number dropped."""
        if self.device == "auto":
            return "cuda" if torch.cuda.is_available() else "cpu"
        return torch.device(self.device).type

    def resolved_precision(self) -> str:
        """The precision the run computes in (``"auto"`` resolved for :meth:`device_type` on this machine)."""
        if self.precision != "auto":
            return self.precision
        kind = self.device_type()
        if kind != "cuda":
            return "fp32"
        if not torch.cuda.is_available():
            raise ValueError(
                f"device {self.device!r} needs CUDA, which this machine lacks, so precision 'auto' (bf16 or fp16, "
                "depending on the GPU) cannot be resolved; use device auto or cpu here, or set precision to bf16, "
                "fp16 or fp32 to name a GPU run"
            )
        return resolve_precision("auto", torch.device("cuda")).precision

    def resolved(self) -> TrainConfig:
        """This config with ``device`` and ``precision`` as the run computes them here (``"auto"`` made concrete),
        the form a result records, so that reading it on another machine gives the same hash."""
        device = self.device_type() if self.device == "auto" else self.device
        return self.replace(device=device, precision=self.resolved_precision())

    def hashed_fields(self) -> dict[str, Any]:
        """The fields that change what a run computes, in canonical form.

        Paths, the progress bar and the checkpoint cadence are left out; the device counts by its kind (``auto``
        that resolves to the CPU, ``cpu`` and ``cpu:0`` are one computation; ``cuda:0`` and ``cuda:1`` another)
        and the precision as resolved (``auto`` is fp32 on the CPU); ``base_batch_size=None`` equals the batch
        size; the scaling rule is dropped when nothing is scaled; loader processes only count for folder data
        sets; options of :data:`HASHED_ONLY_WHEN_SET` count only when set; every number is a float, so that 50
        and 50.0 hash alike.
        """
        fields = {key: value for key, value in self.to_dict().items() if key not in NOT_HASHED}
        fields["device"] = self.device_type()
        fields["precision"] = self.resolved_precision()
        fields["base_batch_size"] = self.base_batch_size or self.batch_size
        if fields["base_batch_size"] == self.batch_size:
            fields["lr_rule"] = "none"
        if self.is_array_dataset:
            del fields["workers"]
        for name, unset in HASHED_ONLY_WHEN_SET.items():
            if fields[name] == unset:
                del fields[name]
        return _numbers_as_floats(fields)

    def config_hash(self) -> str:
        """SHA-256 of the canonical JSON of :meth:`hashed_fields`: equal hashes, equal runs."""
        canonical = json.dumps(self.hashed_fields(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _numbers_as_floats(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _numbers_as_floats(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_numbers_as_floats(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _check_int(name: str, value: object, *, minimum: int, optional: bool = False) -> None:
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        allowed = f"an int >= {minimum}" + (" or None" if optional else "")
        raise ValueError(f"{name} must be {allowed}, got {value!r}")


def check_normalized_batch(model: str, samples: int, what: str) -> None:
    """Refuse batches of one sample for a network with BatchNorm, whose statistics in training are taken across the
    samples of each batch (or ghost batch, or process's share of a batch); ``what`` names the batch in the error."""
    if samples == 1 and has_batch_norm(model):
        raise ValueError(
            f"{what} 1: network {model!r} has BatchNorm layers, which in training normalize with statistics across "
            "the samples of each batch, and one sample gives none to speak of (after a fully connected layer, a "
            f"single value per channel); use a {what} of 2 or more"
        )


def _check_positive(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


DEVICE_TYPES: tuple[str, ...] = ("cpu", "cuda", "mps")
"""Kinds of device a run can train on."""


def _check_device(device: object) -> None:
    if device == "auto":
        return
    try:
        kind = torch.device(device).type  # type: ignore[arg-type]
    except (RuntimeError, TypeError):
        kind = None
    if kind not in DEVICE_TYPES:
        raise ValueError(
            f"device must be 'auto' or a device of kind {', '.join(DEVICE_TYPES)} such as 'cpu', 'cuda', 'cuda:1', "
            f"got {device!r}"
        )


def _dataset_input_shape(dataset: str) -> tuple[int, int, int]:
    """The input shape of an array data set, else of ImageNet, whose crops every image folder is cut into."""
    return SPECS.get(dataset, DATASETS["imagenet"]).input_shape


def _check_input_shape(model: str, model_shape: tuple[int, int, int], dataset: str) -> None:
    data_shape = _dataset_input_shape(dataset)
    if tuple(model_shape) != data_shape:
        fitting = [name for name in names() if tuple(model_info(name).input_shape) == data_shape]
        raise ValueError(
            f"model {model!r} takes inputs of shape {tuple(model_shape)} but data set {dataset!r} gives "
            f"{data_shape}; use a model made for it ({', '.join(fitting) or 'none available'}) or another data set"
        )


def _largest_divisor_at_most(n: int, limit: int) -> int:
    return max(d for d in range(1, min(n, limit) + 1) if n % d == 0)
