"""Each Table 1 row at each profile: batches, base regime, data subset and how that scale differs from the paper.

- ``smoke``: every row on tiny synthetic data (:mod:`gapbook.experiments.synthetic`), SB 2 / LB 8 / ghost 2,
  2 epochs; proves the plumbing in seconds.
- ``mini``: what a 2-core CPU affords, on the real data, keeping the row's network, the five columns and
  ghost = SB; the batch ratio, the data and the epochs shrink (see each scale's ``differences``).
- ``full``: the paper's setting: its batches (LB 4096 or 8192, ghost 128), the authors' regimes and
  +RA = ceil(LB / SB).

Scales with fewer epochs than the authors' regime use :func:`step_regime`: the authors' largest learning rate,
multiplied by 0.1 at 50% and again at 75% of training.
"""

from __future__ import annotations

from dataclasses import dataclass

from .profiles import PROFILES
from gapbook.regime import Regime
from gapbook.train import authors_regime

from .columns import COLUMN_KEYS, Batches
from .table1 import Row, row

__all__ = ["Scale", "scale", "step_regime"]


@dataclass(frozen=True)
class Scale:
    """A row at one profile: the batches, the base regime (tuned for the small batch), the data and the cadence.

    ``train_size`` / ``test_size`` select class-balanced subsets (``None``: the whole split); ``differences``
    lists, in words the book can show, how this scale differs from the paper's experiment; ``cost_only`` marks a
    short run that measures cost and proves the plumbing, whose accuracies say nothing about the paper's claims.
    ``seeds`` are the seeds the book runs (and stores) each column with, ``adapted_seeds`` those of the +RA column,
    which costs ceil(LB / SB) times more, and ``more_seeds`` (column, seeds) pairs for columns run with more seeds
    than the others, where a verdict rested on few. ``precision`` and ``channels_last`` are the numerics the row
    runs in at this scale unless a caller asks for others: ``auto`` (float32 on a CPU) and the contiguous layout,
    except where a row is affordable on a CPU only on its fast path (bfloat16 with channels-last).
    """

    profile: str
    batches: Batches
    regime: Regime
    train_size: int | None
    test_size: int | None
    augment: bool
    eval_every: int
    workers: int
    differences: tuple[str, ...]
    cost_only: bool = False
    seeds: tuple[int, ...] = (0,)
    adapted_seeds: tuple[int, ...] = (0,)
    more_seeds: tuple[tuple[str, tuple[int, ...]], ...] = ()
    precision: str = "auto"
    channels_last: bool = False

    def seeds_of(self, column: str) -> tuple[int, ...]:
        """The seeds the book runs ``column`` (a Table 1 column key) with at this scale."""
        if column not in COLUMN_KEYS:
            raise ValueError(f"unknown column {column!r}; the columns are {', '.join(COLUMN_KEYS)}")
        if column == "+RA":
            return self.adapted_seeds
        return dict(self.more_seeds).get(column, self.seeds)

    @property
    def adapted_epochs(self) -> float:
        """The epochs of the +RA column: the regime's epochs times ceil(LB / SB)."""
        return self.regime.adapt(self.batches.adaptation).epochs


def step_regime(model: str, epochs: float, momentum: float | None = None) -> Regime:
    """The authors' largest learning rate for ``model`` (with its momentum and weight decay, or ``momentum`` when
    given) for the first half of ``epochs``, then x0.1 at 50% and again at 75% of training."""
    peak = max(authors_regime(model).phases, key=lambda phase: phase.lr)
    first = {
        "epoch": 0,
        "lr": peak.lr,
        "momentum": peak.momentum if momentum is None else momentum,
        "weight_decay": peak.weight_decay,
    }
    phases = [first, {"epoch": epochs / 2, "lr": peak.lr / 10}, {"epoch": 3 * epochs / 4, "lr": peak.lr / 100}]
    return Regime.from_authors(phases, epochs=epochs)


_SMOKE_DIFFERENCES = (
    "Tiny synthetic data (noise with a class-coded bright band), SB 2 / LB 8 / ghost 2, 2 epochs: proves that "
    "the row builds and trains, measures nothing about the paper.",
)

_FULL_COMMON = (
    "The optimizer is built once, so momentum buffers survive every epoch and every learning-rate change; the "
    "authors' code rebuilt it every epoch, resetting them. Their behaviour is an option (reset_momentum, "
    "gapbook reproduce --reset-momentum); a run with it is a separate experiment, never pooled with these.",
    "The weight distance ||w_t - w_0|| is measured over all weights at log-spaced iterations; the authors' code "
    "logged it once per epoch for the first parameter tensor only.",
    "+GBN normalizes every ghost batch in one forward and backward pass of the whole batch; the authors' code "
    "ran forward and backward once per ghost batch through ordinary BatchNorm and averaged the gradients, which "
    "gives the same gradient and the same running statistics.",
    "On a GPU the run uses mixed precision (bf16, or fp16 where bf16 is unsupported): torch.autocast did not exist "
    "in the PyTorch of 2017 that the authors used.",
)
_FULL_BY_DATASET = {
    "mnist": ("MNIST is augmented as in the authors' code: pad to 32, random 28x28 crop, horizontal flip.",),
    "cifar10": ("CIFAR is normalized with its own per-channel statistics; the authors' code used ImageNet's.",),
    "imagenet": (
        "+LR multiplies the learning rates by sqrt(LB / SB) = sqrt(LB / 256); the authors' code used "
        "sqrt(LB / 128), the ghost size.",
    ),
}
_FULL_BY_DATASET["cifar100"] = _FULL_BY_DATASET["cifar10"]
_FULL_BY_MODEL = {
    name: (f"{name.upper()} trains without momentum, as the authors' code did: its regime's rates were tuned so.",)
    for name in ("c1", "c3")
}


def _smoke(entry: Row) -> Scale:
    return Scale(
        "smoke", Batches(2, 8, 2), step_regime(entry.model, 2), train_size=None, test_size=None, augment=True,
        eval_every=1, workers=0, differences=_SMOKE_DIFFERENCES,
    )  # fmt: skip


def _full(entry: Row) -> Scale:
    differences = (
        *_FULL_COMMON,
        *_FULL_BY_DATASET[entry.dataset],
        *_FULL_BY_MODEL.get(entry.model, ()),
        *((f"Assumed: {entry.assumption}.",) if entry.assumption else ()),
    )
    seeds = _FIVE_SEEDS if entry.key == "mnist-f1" else (0, 1, 2)  # the committed F1 row has five seeds a column
    return Scale(
        "full", entry.batches, entry.regime, train_size=None, test_size=None, augment=True, eval_every=1,
        workers=4, differences=differences, seeds=seeds,
    )  # fmt: skip


_SHORT = (
    "A short run, for cost and plumbing only: 2 epochs of a 4,096-image class-balanced training subset, tested "
    "on a 2,000-image subset, SB 128 / LB 1024 (ratio 8, the paper's is 32), ghost 128, +RA 16 epochs; LB "
    "makes 8 updates. Nothing about the paper's claims can be read from it.",
    "Regime: the authors' first learning rate with its momentum and weight decay, x0.1 at 50% and at 75% of "
    "training (mini-profile regime).",
)
_C_SHALLOW = (
    "A class-balanced 16,384-image training subset (of 50,000), tested on the whole test set, SB 128 / LB 1024 "
    "(ratio 8, the paper's is 32), ghost 128, 16 epochs, +RA 128 epochs; evaluated every 2 epochs (every 16 at "
    "+RA).",
    "Regime: learning rate 0.01 (the authors' largest for C1/C3) with momentum 0.9 and weight decay 5e-4, x0.1 at "
    "50% and at 75% of training (mini-profile regime). The authors' regime starts at 0.001 without momentum; "
    "measured on C1 at this scale (SB, one seed, 4 epochs at 0.01), momentum 0.9 reached 58.3% test accuracy, "
    "no momentum 48.7%.",
    "The subset and the short training cap the accuracy well below the paper's; the comparison between the "
    "columns is the point.",
)
_RESNET_MINI = (
    "A class-balanced 8,192-image training subset (of 50,000), tested on the whole test set, SB 128 / LB 1024 "
    "(ratio 8, the paper's is 32), ghost 128, 8 epochs, +RA 64 epochs; evaluated every 2 epochs (every 16 at +RA).",
    "Regime: the authors' learning rate 0.1 with momentum 0.9 and weight decay 1e-4, x0.1 at 50% and at 75% of "
    "training (mini-profile regime; the authors' is 200 epochs with drops at epochs 81, 122 and 164).",
    "Computed in bfloat16 autocast with channels-last, the CPU's fast path (a training step of ResNet44 at batch 128 "
    "1.93 times as fast as in float32 on one thread of an AMD EPYC without AMX, benchmarks/README.md; its fidelity "
    "against float32 is measured on F1 and C1 in the Table 1 summary).",
    "The subset and the short training cap the accuracy far below the paper's; the comparison between the "
    "columns is the point.",
)
_IMAGENET_MINI = (
    "Not affordable on a CPU: the whole ImageNet for 1 epoch, SB 32 with the same ratio LB / SB as the paper, "
    "ghost 32. AlexNet trained at about 20 images per second on one CPU thread (batch 8, 224x224), so one epoch "
    "would take about 18 hours.",
    "Regime: the authors' first learning rate, x0.1 at 50% and at 75% of training (mini-profile regime).",
)


_FIVE_SEEDS = (0, 1, 2, 3, 4)
_SEVEN_SEEDS = (*_FIVE_SEEDS, 5, 6)


def _mini(entry: Row) -> Scale:
    key = entry.key
    if key == "mnist-f1":
        differences = (
            "The whole MNIST (60,000 / 10,000) without augmentation, SB 128 / LB 2048 (ratio 16, the paper's is "
            "32), ghost 128, 5 epochs, +RA 80 epochs.",
            "Regime: learning rate 0.1, momentum 0.9, weight decay 1e-4, x0.1 at 50% and at 75% of training "
            "(mini-profile regime; the authors' is 50 epochs with x0.1 at epochs 10, 20 and 30).",
            "With 60,000 samples an epoch has 468 small batches but 29 large ones (the rest of the data is left out "
            "of each epoch), so +RA makes 2,320 updates to SB's 2,340.",
        )
        return Scale(
            "mini", Batches(128, 2048, 128), step_regime("f1", 5), train_size=None, test_size=None, augment=False,
            eval_every=1, workers=4, differences=differences, seeds=_FIVE_SEEDS, adapted_seeds=_FIVE_SEEDS,
            more_seeds=(("+LR", _SEVEN_SEEDS), ("+GBN", _SEVEN_SEEDS)),
        )  # fmt: skip
    if entry.model in ("c1", "c3"):
        regime = step_regime(entry.model, 16, momentum=0.9)
        adapted_seeds = (0, 1, 2) if key == "cifar10-c1" else (0,)  # the committed C1 row has three +RA seeds
        return Scale(
            "mini", Batches(128, 1024, 128), regime, train_size=16384, test_size=None, augment=True, eval_every=2,
            workers=4, differences=_C_SHALLOW, seeds=(0, 1, 2), adapted_seeds=adapted_seeds,
        )  # fmt: skip
    if key == "cifar10-resnet44":
        return Scale(
            "mini", Batches(128, 1024, 128), step_regime("resnet44", 8), train_size=8192, test_size=None,
            augment=True, eval_every=2, workers=4, differences=_RESNET_MINI, seeds=(0, 1, 2), adapted_seeds=(0,),
            precision="bf16", channels_last=True,
        )  # fmt: skip
    if entry.dataset == "imagenet":
        ratio = entry.large_batch // entry.small_batch
        return Scale(
            "mini", Batches(32, 32 * ratio, 32), step_regime(entry.model, 1), train_size=None, test_size=None,
            augment=True, eval_every=1, workers=4, differences=_IMAGENET_MINI,
        )  # fmt: skip
    regime = step_regime(entry.model, 2)
    return Scale(
        "mini", Batches(128, 1024, 128), regime, train_size=4096, test_size=2000, augment=True, eval_every=1,
        workers=4, differences=_SHORT, cost_only=True,
    )  # fmt: skip


_BUILDERS = {"smoke": _smoke, "mini": _mini, "full": _full}


def scale(row_key: str, profile: str) -> Scale:
    """Row ``row_key`` at ``profile`` (smoke, mini or full)."""
    entry = row(row_key)
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; the profiles are {', '.join(PROFILES)}")
    return _BUILDERS[profile](entry)

