"""Every claim of the book, one module per chapter (each exports ``CLAIMS``), in the book's order."""

from __future__ import annotations

from . import (
    generalization_gap,
    ghost_bn_in_code,
    noise_scaling,
    random_walks,
    sharpness,
    steps_to_target,
    table1_cifar10,
    table1_deeper,
    table1_mnist,
    table1_summary,
    train_longer,
    weight_diffusion,
)

__all__ = ["MODULES"]

MODULES = (
    generalization_gap,
    random_walks,
    noise_scaling,
    ghost_bn_in_code,
    weight_diffusion,
    train_longer,
    table1_mnist,
    table1_cifar10,
    table1_deeper,
    table1_summary,
    sharpness,
    steps_to_target,
)
"""The catalog's modules, in the book's order (_toc.yml)."""
