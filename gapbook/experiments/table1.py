"""The rows of Table 1 of Hoffer, Hubara & Soudry (2017) as data: network, data set, batches and the paper's numbers.

The numbers are validation accuracies (%) as printed on the authors' NeurIPS 2017 poster. The poster gives LB =
4096 and ghost batch 128 and prints the same SB, LB and +LR values for both ImageNet batch sizes, which may be a
copying artifact: those three cells of the LB 8192 row are marked uncertain.
"""

from __future__ import annotations

from dataclasses import dataclass

from gapbook.data import DATASETS
from gapbook.models import model_info
from gapbook.regime import Regime
from gapbook.train import ASSUMPTIONS, authors_regime

from .columns import COLUMN_KEYS, Batches

__all__ = ["AUTHORS_CODE_DEFECTS", "POSTER_CAVEAT", "ROWS", "ROW_KEYS", "Row", "row"]

AUTHORS_CODE_DEFECTS: tuple[str, ...] = (
    "The optimizer is rebuilt at the start of every epoch, so the momentum buffers are reset every epoch.",
    "C1 and C3 train without momentum.",
    "The weight distance ||w_t - w_0|| is logged once per epoch, for the first parameter tensor only.",
)
"""Known defects of the authors' code (the public repository eladhoffer/bigBatch)."""

POSTER_CAVEAT = (
    "The poster prints the same SB, LB and +LR values for ImageNet at LB 4096 and LB 8192; for LB 8192 they may "
    "have been copied from the LB 4096 row."
)


@dataclass(frozen=True)
class Row:
    """One row of Table 1.

    ``small_batch``, ``large_batch`` and ``ghost_batch_size`` are the paper's batches; ``paper`` holds the five
    accuracies (%) in the order of :data:`~gapbook.experiments.columns.COLUMN_KEYS`; ``uncertain`` names the
    columns whose printed value is in doubt; ``notes`` say what is assumed or known about the row.
    """

    key: str
    model: str
    dataset: str
    small_batch: int
    large_batch: int
    ghost_batch_size: int
    paper: tuple[float, float, float, float, float]
    uncertain: frozenset[str] = frozenset()
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if len(self.paper) != len(COLUMN_KEYS):
            raise ValueError(f"row {self.key}: the paper gives {len(COLUMN_KEYS)} numbers, got {len(self.paper)}")
        unknown = sorted(self.uncertain - set(COLUMN_KEYS))
        if unknown:
            raise ValueError(f"row {self.key}: unknown uncertain column(s) {unknown}; use {', '.join(COLUMN_KEYS)}")
        Batches(self.small_batch, self.large_batch, self.ghost_batch_size)

    @property
    def label(self) -> str:
        """The network as Table 1 names it, e.g. ``"F1"``."""
        return model_info(self.model).label

    @property
    def title(self) -> str:
        """The row as the book names it, e.g. ``"F1 on MNIST"`` (``", LB 8192"`` added where the large batch is not
        the paper's usual 4096)."""
        batch = "" if self.large_batch == 4096 else f", LB {self.large_batch}"
        return f"{self.label} on {DATASETS[self.dataset].title}{batch}"

    @property
    def citation(self) -> str:
        """Where the network comes from, e.g. ``"Keskar et al. 2017"``."""
        return model_info(self.model).citation

    @property
    def batches(self) -> Batches:
        """The paper's small, large and ghost batches."""
        return Batches(self.small_batch, self.large_batch, self.ghost_batch_size)

    @property
    def regime(self) -> Regime:
        """The authors' base regime for this row's network, tuned for the small batch."""
        return authors_regime(self.model)

    @property
    def assumption(self) -> str | None:
        """What the engine assumes where the authors' code does not give the regime in full, if anything."""
        return ASSUMPTIONS.get(self.model)

    def paper_value(self, column: str) -> float:
        """The paper's accuracy (%) in ``column``."""
        return self.paper[COLUMN_KEYS.index(column)]


_ALEXNET_SB = (
    "SB 256 is assumed: the text of the paper with the ImageNet small batch was not at hand, and 256 is the batch "
    "for which AlexNet's learning rate 0.01 is customary."
)
_ISSUE_3 = (
    "An issue on the authors' repository (#3, 2018) reports that running their script gave far lower numbers: {}."
)

ROWS: dict[str, Row] = {
    row.key: row
    for row in (
        Row("mnist-f1", "f1", "mnist", 128, 4096, 128, (98.27, 97.05, 97.55, 97.60, 98.53)),
        Row(
            "cifar10-c1", "c1", "cifar10", 128, 4096, 128, (87.80, 83.95, 86.15, 86.4, 88.20),
            notes=(_ISSUE_3.format("C1 75.1 at +GBN after 200 epochs"),),
        ),
        Row(
            "cifar10-resnet44", "resnet44", "cifar10", 128, 4096, 128, (92.83, 86.10, 89.30, 90.50, 93.07),
            notes=(_ISSUE_3.format("ResNet44 85.2 at +GBN after 200 epochs"),),
        ),
        Row(
            "cifar10-vgg", "vgg16", "cifar10", 128, 4096, 128, (92.30, 84.1, 88.6, 91.50, 93.03),
            notes=(
                "The VGG is not in the authors' big-batch repository; the CIFAR VGG-16 with BN of their general "
                "repository is used, unconfirmed as the paper's.",
            ),
        ),
        Row(
            "cifar100-c3", "c3", "cifar100", 128, 4096, 128, (61.25, 51.50, 57.38, 57.5, 63.20),
            notes=(_ISSUE_3.format("C3 27.3 at +GBN after 200 epochs"),),
        ),
        Row("cifar100-wrn16-4", "wrn16_4", "cifar100", 128, 4096, 128, (73.70, 68.15, 69.05, 71.20, 73.57)),
        Row(
            "imagenet-alexnet-4096", "alexnet", "imagenet", 256, 4096, 128, (57.10, 41.23, 53.25, 54.92, 59.5),
            notes=(_ALEXNET_SB, "Top-1 accuracy."),
        ),
        Row(
            "imagenet-alexnet-8192", "alexnet", "imagenet", 256, 8192, 128, (57.10, 41.23, 53.25, 53.93, 59.5),
            uncertain=frozenset({"SB", "LB", "+LR"}),
            notes=(_ALEXNET_SB, "Top-1 accuracy.", POSTER_CAVEAT),
        ),
    )
}  # fmt: skip
"""Table 1, row by row, in the paper's order."""

ROW_KEYS: tuple[str, ...] = tuple(ROWS)


def row(key: str) -> Row:
    """The row called ``key`` (e.g. ``"mnist-f1"``); an unknown key raises and lists the known ones."""
    try:
        return ROWS[key.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown row {key!r}; the rows are {', '.join(ROW_KEYS)}") from None
