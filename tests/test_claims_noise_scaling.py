"""The noise scaling chapter's claims: the linear rules' configs find the stored runs."""

from __future__ import annotations

from pathlib import Path

from gapbook.claims import Stores, claims_of
from gapbook.claims.catalog.noise_scaling import LINEAR, LINEAR_WARM, linear_rule
from gapbook.experiments import experiment_config

BOOK_RESULTS = Path(__file__).resolve().parents[1] / "book" / "results"


def test_the_linear_rules_are_plus_lr_with_the_linear_rule_and_warm_up() -> None:
    sqrt = experiment_config("mnist-f1", "+LR", "mini", progress=False)
    linear, warm = linear_rule("mini"), linear_rule("mini", warmup_epochs=1)
    assert linear.lr_rule == "linear" and linear.batch_size == sqrt.batch_size
    assert warm.base_regime.warmup_epochs == 1 and linear.base_regime.warmup_epochs == 0
    assert len({sqrt.config_hash(), linear.config_hash(), warm.config_hash()}) == 3


def test_the_stored_linear_runs_enter_the_claims() -> None:
    stores = Stores([BOOK_RESULTS])
    assert len(stores.runs(LINEAR, "mini")) >= 2 and len(stores.runs(LINEAR_WARM, "mini")) >= 2
    assert all(claim.profile == "mini" for claim in claims_of("noise_scaling"))
