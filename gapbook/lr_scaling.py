"""Learning-rate scaling rules for training with a larger batch.

With a mini-batch of M samples, the covariance of an SGD update is about (eta^2 / M) times the per-sample gradient
covariance (Hoffer, Hubara & Soudry 2017). Keeping eta^2 / M fixed when the batch grows from B0 to B
gives the square-root rule eta * sqrt(B / B0), the paper's "+LR" column. Goyal et al. (2017) keep eta / M fixed
instead, the linear rule eta * B / B0, which they pair with a gradual warm-up.
"""

from __future__ import annotations

import math

__all__ = ["LR_RULES", "scale_lr"]

LR_RULES: tuple[str, ...] = ("sqrt", "linear", "none")


def _check_batch_size(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int (a number of samples, e.g. 128), got {value!r}")
    return value


def scale_lr(lr: float, batch_size: int, base_batch_size: int, rule: str = "sqrt") -> float:
    """Return the learning rate for ``batch_size``, given ``lr`` tuned for ``base_batch_size``.

    ``rule`` is ``"sqrt"`` (lr * sqrt(B / B0), the paper), ``"linear"`` (lr * B / B0, Goyal et al. 2017) or
    ``"none"`` (lr unchanged, the paper's plain "LB" column).
    """
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr < 0:
        raise ValueError(f"lr must be a finite number >= 0 (the learning rate tuned for base_batch_size), got {lr!r}")
    ratio = _check_batch_size("batch_size", batch_size) / _check_batch_size("base_batch_size", base_batch_size)
    if rule == "sqrt":
        return lr * math.sqrt(ratio)
    if rule == "linear":
        return lr * ratio
    if rule == "none":
        return float(lr)
    raise ValueError(f"unknown learning-rate scaling rule {rule!r}; choose one of {', '.join(map(repr, LR_RULES))}")
