"""Learning-rate scaling rules: values, the invariants they keep, and refusals."""

from __future__ import annotations

import math

import pytest

from gapbook.lr_scaling import LR_RULES, scale_lr


def test_rules_are_listed() -> None:
    assert LR_RULES == ("sqrt", "linear", "none")


@pytest.mark.parametrize(
    ("rule", "expected"),
    [("sqrt", 0.1 * math.sqrt(32)), ("linear", 3.2), ("none", 0.1)],
)
def test_values_for_batch_4096_from_128(rule: str, expected: float) -> None:
    assert scale_lr(0.1, 4096, 128, rule) == pytest.approx(expected, rel=1e-12)


def test_sqrt_is_the_default_and_shrinks_for_a_smaller_batch() -> None:
    assert scale_lr(0.4, 256, 1024) == pytest.approx(0.2, rel=1e-12)


@pytest.mark.parametrize("rule", LR_RULES)
def test_same_batch_keeps_the_lr(rule: str) -> None:
    assert scale_lr(0.05, 128, 128, rule) == pytest.approx(0.05, rel=1e-12)


@pytest.mark.parametrize("batch_size", [256, 1000, 8192])
def test_sqrt_keeps_update_covariance_and_linear_keeps_mean_step(batch_size: int) -> None:
    """The update covariance ~ eta^2 / B (the paper) and the mean update ~ eta / B (Goyal et al.) stay fixed."""
    lr, base = 0.1, 128
    assert scale_lr(lr, batch_size, base, "sqrt") ** 2 / batch_size == pytest.approx(lr**2 / base, rel=1e-12)
    assert scale_lr(lr, batch_size, base, "linear") / batch_size == pytest.approx(lr / base, rel=1e-12)


def test_unknown_rule_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown learning-rate scaling rule 'square'") as info:
        scale_lr(0.1, 256, 128, "square")
    assert all(repr(rule) in str(info.value) for rule in LR_RULES)


@pytest.mark.parametrize("size", [0, -128, 128.0, True, "128"])
def test_bad_batch_size_is_refused(size: object) -> None:
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        scale_lr(0.1, size, 128)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="base_batch_size must be a positive int"):
        scale_lr(0.1, 128, size)  # type: ignore[arg-type]


@pytest.mark.parametrize("lr", [-0.1, math.nan, math.inf, "0.1", None, True])
def test_bad_lr_is_refused(lr: object) -> None:
    with pytest.raises(ValueError, match="lr must be a finite number >= 0"):
        scale_lr(lr, 256, 128)  # type: ignore[arg-type]


def test_zero_lr_stays_zero() -> None:
    assert scale_lr(0, 4096, 128, "linear") == 0
