"""The weight-diffusion experiment (the paper's Figure 1): how far the weights travel at several batch sizes.

Every run trains F1 on MNIST at a constant learning rate, the high-learning-rate phase only, and logs
||w_t - w_0|| at log-spaced iterations. Plain runs use the small batch's learning rate at every batch size
(Figure 1, left); matched runs scale it by sqrt(B / B_S) and add Ghost BN over ghost batches of B_S (Figure 1,
right). The paper's Figure 1 is ResNet44 on CIFAR-10; F1 on MNIST is what a CPU affords in minutes. A run's
distances in its high-learning-rate phase are :attr:`gapbook.train.RunResult.high_lr_distances`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .profiles import PROFILES
from gapbook.regime import Regime
from gapbook.train import TrainConfig, authors_regime

__all__ = ["DiffusionScale", "diffusion_config", "diffusion_scale"]


@dataclass(frozen=True)
class DiffusionScale:
    """The batches, the small batch they are compared to, the epochs and the data of the experiment at a profile."""

    profile: str
    batches: tuple[int, ...]
    small_batch: int
    epochs: float
    augment: bool
    differences: tuple[str, ...]

    @property
    def regime(self) -> Regime:
        """The authors' first F1 phase (learning rate 0.1, momentum 0.9, weight decay 1e-4), for ``epochs``."""
        return authors_regime("f1").first_phase(self.epochs)


_SCALES = {
    "smoke": DiffusionScale(
        "smoke", (2, 4, 8), 2, 2, True, ("Tiny synthetic data: proves the plumbing, measures nothing.",)
    ),
    "mini": DiffusionScale(
        "mini",
        (128, 256, 512, 1024, 2048),
        128,
        4,
        False,
        (
            "F1 on MNIST (60,000 training images, no augmentation), not the paper's ResNet44 on CIFAR-10.",
            "4 epochs at the authors' first F1 learning rate, 0.1 (momentum 0.9, weight decay 1e-4), for every "
            "batch: the high-learning-rate phase only, from 468 updates at batch 128 down to 29 at batch 2048 "
            "per epoch.",
        ),
    ),
    "full": DiffusionScale(
        "full",
        (128, 256, 512, 1024, 2048, 4096),
        128,
        10,
        True,
        (
            "F1 on MNIST with the authors' augmentation, not the paper's ResNet44 on CIFAR-10.",
            "The authors' whole first F1 phase: 10 epochs at learning rate 0.1 (momentum 0.9, weight decay 1e-4).",
        ),
    ),
}


def diffusion_scale(profile: str) -> DiffusionScale:
    """The experiment at ``profile`` (smoke, mini or full)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; the profiles are {', '.join(PROFILES)}")
    return _SCALES[profile]


def diffusion_config(
    batch_size: int,
    profile: str,
    *,
    matched: bool = False,
    seed: int = 0,
    device: str = "auto",
    data_root: str | None = None,
    progress: bool = True,
) -> TrainConfig:
    """The run at ``batch_size``: the small batch's learning rate, or with ``matched`` the sqrt rule and Ghost BN.

    At the small batch itself both are the same run (same config, same hash).
    """
    chosen = diffusion_scale(profile)
    config = TrainConfig(
        model="f1",
        dataset="mnist",
        batch_size=batch_size,
        regime=chosen.regime.to_dict(),
        augment=chosen.augment,
        seed=seed,
        device=device,
        progress=progress,
        data_root=data_root,
    )
    if matched and batch_size != chosen.small_batch:
        return config.replace(
            base_batch_size=chosen.small_batch, lr_rule="sqrt", ghost_batch_size=chosen.small_batch
        )
    return config
