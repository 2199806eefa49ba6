"""Table 1 as data: the paper's numbers, the five columns as config transformations, every row at every profile."""

from __future__ import annotations

import math

import pytest

from gapbook.experiments import (
    AUTHORS_CODE_DEFECTS,
    COLUMN_KEYS,
    COLUMNS,
    ROW_KEYS,
    ROWS,
    Batches,
    column,
    experiment_config,
    parse_columns,
    scale,
    step_regime,
)
from gapbook.experiments.synthetic import train_samples
from gapbook.experiments.profiles import PROFILES
from gapbook.train import ASSUMPTIONS, TrainConfig, authors_regime

PAPER = {
    "mnist-f1": (98.27, 97.05, 97.55, 97.60, 98.53),
    "cifar10-c1": (87.80, 83.95, 86.15, 86.4, 88.20),
    "cifar10-resnet44": (92.83, 86.10, 89.30, 90.50, 93.07),
    "cifar10-vgg": (92.30, 84.1, 88.6, 91.50, 93.03),
    "cifar100-c3": (61.25, 51.50, 57.38, 57.5, 63.20),
    "cifar100-wrn16-4": (73.70, 68.15, 69.05, 71.20, 73.57),
    "imagenet-alexnet-4096": (57.10, 41.23, 53.25, 54.92, 59.5),
    "imagenet-alexnet-8192": (57.10, 41.23, 53.25, 53.93, 59.5),
}
"""Table 1 of REFERENCE.md (the authors' poster), SB, LB, +LR, +GBN, +RA."""

CELLS = [(key, col, profile) for key in ROW_KEYS for col in COLUMN_KEYS for profile in PROFILES]


def test_the_rows_hold_the_papers_numbers_exactly() -> None:
    assert ROW_KEYS == tuple(PAPER)
    assert {key: entry.paper for key, entry in ROWS.items()} == PAPER
    assert COLUMN_KEYS == ("SB", "LB", "+LR", "+GBN", "+RA") == tuple(COLUMNS)
    assert ROWS["cifar100-c3"].paper_value("+LR") == 57.38 and ROWS["mnist-f1"].paper_value("+RA") == 98.53


def test_only_the_poster_cells_of_the_8192_row_are_uncertain() -> None:
    uncertain = {key: entry.uncertain for key, entry in ROWS.items() if entry.uncertain}
    assert uncertain == {"imagenet-alexnet-8192": frozenset({"SB", "LB", "+LR"})}
    assert any("copied" in note for note in ROWS["imagenet-alexnet-8192"].notes)


def test_the_authors_code_defects_are_listed() -> None:
    text = " ".join(AUTHORS_CODE_DEFECTS)
    assert "rebuilt at the start of every epoch" in text and "C1 and C3 train without momentum" in text
    assert "first parameter tensor only" in text and len(AUTHORS_CODE_DEFECTS) == 3


def test_the_rows_use_the_papers_batches_and_the_engines_regimes() -> None:
    for key, entry in ROWS.items():
        assert entry.ghost_batch_size == 128
        assert entry.large_batch == (8192 if key.endswith("8192") else 4096)
        assert entry.small_batch == (256 if entry.dataset == "imagenet" else 128)
        assert entry.regime == authors_regime(entry.model)
        assert entry.assumption == ASSUMPTIONS.get(entry.model)
    models = ["f1", "c1", "resnet44", "vgg16", "c3", "wrn16_4", "alexnet", "alexnet"]
    assert [ROWS[key].model for key in ROW_KEYS] == models


@pytest.mark.parametrize(("key", "col", "profile"), CELLS)
def test_every_cell_builds_a_valid_config(key: str, col: str, profile: str) -> None:
    config = experiment_config(key, col, profile, seed=3, device="cpu")
    chosen = scale(key, profile)
    assert TrainConfig.from_json(config.to_json()) == config
    assert (config.model, config.dataset, config.seed) == (ROWS[key].model, ROWS[key].dataset, 3)
    assert config.batch_size == (chosen.batches.small if col == "SB" else chosen.batches.large)
    assert config.train_size == chosen.train_size and config.augment == chosen.augment
    assert config.base_regime == chosen.regime


@pytest.mark.parametrize("profile", PROFILES)
def test_each_column_does_what_it_says(profile: str) -> None:
    for key in ROW_KEYS:
        batches = scale(key, profile).batches
        sb, lb, lr, gbn, ra = (experiment_config(key, col, profile) for col in COLUMN_KEYS)
        ratio = math.ceil(batches.large / batches.small)
        assert sb.effective_regime() == lb.effective_regime() == sb.base_regime  # LB: same rates and epochs
        assert sb.ghost_batch_size is lb.ghost_batch_size is lr.ghost_batch_size is None
        multiplier = math.sqrt(batches.large / batches.small)
        assert [p.lr for p in lr.effective_regime().phases] == pytest.approx(
            [p.lr * multiplier for p in sb.base_regime.phases]
        )
        assert lr.effective_regime().epochs == sb.base_regime.epochs
        assert gbn.ghost_batch_size == batches.ghost_batch_size and gbn.effective_regime() == lr.effective_regime()
        assert ra.regime_adaptation == ratio and ra.ghost_batch_size == batches.ghost_batch_size
        adapted = ra.effective_regime()
        assert adapted.epochs == sb.base_regime.epochs * ratio
        assert [p.start_epoch for p in adapted.phases] == [p.start_epoch * ratio for p in sb.base_regime.phases]
        assert [p.lr for p in adapted.phases] == pytest.approx([p.lr for p in lr.effective_regime().phases])
        assert ra.eval_every == sb.eval_every * ratio


def updates(config: TrainConfig, train_samples: int) -> int:
    """Optimizer steps of ``config`` on ``train_samples`` images (only full batches count)."""
    return config.effective_regime().total_steps(train_samples // config.batch_size)


def test_ra_makes_as_many_updates_as_sb() -> None:
    cases = [("mnist-f1", "smoke", train_samples("mnist")), ("cifar10-c1", "mini", 16384), ("mnist-f1", "full", 8192)]
    for key, profile, samples in cases:
        sb, ra = (experiment_config(key, col, profile) for col in ("SB", "+RA"))
        assert updates(ra, samples) == updates(sb, samples) > 0
    sb, ra = (experiment_config("mnist-f1", col, "mini") for col in ("SB", "+RA"))
    assert (updates(sb, 60000), updates(ra, 60000)) == (2340, 2320)  # as the mini differences say
    assert any("2,320 updates to SB's 2,340" in text for text in scale("mnist-f1", "mini").differences)


def test_a_column_refuses_an_adapted_config() -> None:
    adapted = experiment_config("mnist-f1", "+RA", "smoke")
    with pytest.raises(ValueError, match="already adapted .* apply the column to the base config"):
        column("SB").apply(adapted, Batches(2, 8, 2))


def test_column_names_are_parsed_and_checked() -> None:
    assert parse_columns("+ra, sb,LR") == ("SB", "+LR", "+RA") and parse_columns(["gbn"]) == ("+GBN",)
    with pytest.raises(ValueError, match=r"unknown column 'XL'; the columns are SB, LB, \+LR, \+GBN, \+RA"):
        parse_columns("SB,XL")
    with pytest.raises(ValueError, match="no column given"):
        parse_columns(" , ")


def test_batches_are_checked() -> None:
    assert Batches(128, 4096, 128).adaptation == 32 and Batches(256, 8192, 128).adaptation == 32
    with pytest.raises(ValueError, match="must exceed the small batch"):
        Batches(128, 128, 128)
    with pytest.raises(ValueError, match="must divide the large batch"):
        Batches(128, 1000, 128)


def test_the_mini_profile_keeps_ghost_equal_to_sb_and_mnist_at_the_measured_scale() -> None:
    for key in ROW_KEYS:
        batches = scale(key, "mini").batches
        assert batches.ghost_batch_size == batches.small
    mnist = scale("mnist-f1", "mini")
    assert mnist.batches == Batches(128, 2048, 128) and mnist.train_size is None and mnist.augment is False
    assert mnist.regime == step_regime("f1", 5) and mnist.adapted_epochs == 80
    phases = [(p.start_epoch, p.lr, p.momentum, p.weight_decay) for p in mnist.regime.phases]
    assert [value for phase in phases for value in phase] == pytest.approx(
        [0, 0.1, 0.9, 1e-4, 2.5, 0.01, 0.9, 1e-4, 3.75, 0.001, 0.9, 1e-4]
    )
    c1 = scale("cifar10-c1", "mini")
    assert c1.batches == Batches(128, 1024, 128) and c1.train_size is not None and c1.train_size % 1024 == 0
    assert c1.adapted_epochs == 8 * c1.regime.epochs


def test_resnet44_at_mini_is_evidence_on_the_fast_path_and_a_caller_may_ask_for_other_numerics() -> None:
    resnet = scale("cifar10-resnet44", "mini")
    assert not resnet.cost_only and resnet.seeds == (0, 1, 2) and resnet.adapted_seeds == (0,)
    assert resnet.train_size == 8192 and resnet.test_size is None and resnet.adapted_epochs == 64
    config = experiment_config("cifar10-resnet44", "LB", "mini", progress=False)
    assert (config.precision, config.channels_last) == ("bf16", True)
    asked = experiment_config("cifar10-resnet44", "LB", "mini", precision="fp32", channels_last=False, progress=False)
    assert (asked.precision, asked.channels_last) == ("fp32", False) and asked.config_hash() != config.config_hash()
    for key in ROW_KEYS:  # every other row at every profile: float32 (auto) in the contiguous layout
        for profile in PROFILES:
            if (key, profile) != ("cifar10-resnet44", "mini"):
                assert (scale(key, profile).precision, scale(key, profile).channels_last) == ("auto", False)


def test_the_full_profile_is_the_papers_setting() -> None:
    for key, entry in ROWS.items():
        full = scale(key, "full")
        assert full.batches == entry.batches and full.regime == authors_regime(entry.model)
        assert (full.train_size, full.test_size, full.augment) == (None, None, True)
        assert full.adapted_epochs == full.regime.epochs * math.ceil(entry.large_batch / entry.small_batch)
        text = " ".join(full.differences)
        assert "rebuilt it every epoch" in text and "first parameter tensor only" in text
        assert ("without momentum" in text) == (entry.model in ("c1", "c3"))
        assert (ASSUMPTIONS.get(entry.model, "") in text) and all(scale(key, p).differences for p in PROFILES)


def test_unknown_rows_and_profiles_are_refused_with_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown row 'mnist-f2'; the rows are mnist-f1, cifar10-c1, "):
        scale("mnist-f2", "mini")
    with pytest.raises(ValueError, match="unknown profile 'huge'; the profiles are smoke, mini, full"):
        scale("mnist-f1", "huge")


def test_longer_sb_is_sb_stretched_like_ra() -> None:
    from gapbook.experiments import longer_sb_config

    sb, ra = experiment_config("mnist-f1", "SB", "mini"), experiment_config("mnist-f1", "+RA", "mini")
    assert longer_sb_config("mnist-f1", "mini", 1) == sb
    matched = longer_sb_config("mnist-f1", "mini", 16, seed=3)
    assert matched.batch_size == sb.batch_size and matched.seed == 3 and matched.ghost_batch_size is None
    assert matched.effective_regime().epochs == ra.effective_regime().epochs == 80
    assert [p.start_epoch for p in matched.effective_regime().phases] == [0, 40, 60]
    assert matched.eval_every == ra.eval_every and matched.config_hash() != sb.config_hash()
    with pytest.raises(ValueError, match="factor must be an int >= 1"):
        longer_sb_config("mnist-f1", "mini", 0)


def test_each_scale_names_the_seeds_the_book_runs_with() -> None:
    mnist = scale("mnist-f1", "mini")
    assert mnist.seeds_of("SB") == mnist.seeds_of("+RA") == (0, 1, 2, 3, 4)
    assert mnist.seeds_of("+LR") == mnist.seeds_of("+GBN") == (0, 1, 2, 3, 4, 5, 6)
    full = scale("mnist-f1", "full")
    assert full.seeds_of("LB") == full.seeds_of("+GBN") == (0, 1, 2, 3, 4) and full.seeds_of("+RA") == (0,)
    assert scale("cifar10-c1", "full").seeds_of("SB") == (0, 1, 2)
    assert scale("cifar10-c1", "mini").seeds_of("+GBN") == scale("cifar10-c1", "mini").seeds_of("+RA") == (0, 1, 2)
    assert all(scale(key, "smoke").seeds_of(col) == (0,) for key in ROW_KEYS for col in COLUMN_KEYS)
    with pytest.raises(ValueError, match=r"unknown column '\+BN'; the columns are SB, LB, \+LR, \+GBN, \+RA"):
        mnist.seeds_of("+BN")


@pytest.mark.parametrize("key", ["mnist-f1", "cifar10-c1"])
def test_the_stored_mini_rows_hold_exactly_the_seeds_their_scale_names(key: str) -> None:
    from gapbook.book import results_dir
    from gapbook.experiments import row_runs

    stored = row_runs(results_dir(), key, "mini")
    chosen = scale(key, "mini")
    assert {col: sorted(r.seed for r in runs) for col, runs in stored.items()} == {
        col: list(chosen.seeds_of(col)) for col in COLUMN_KEYS
    }
