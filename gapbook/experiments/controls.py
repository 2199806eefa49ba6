"""Controls beside the Table 1 columns: the small batch trained longer.

+RA trains the large batch for ceil(LB / SB) times the epochs, so it makes as many updates as SB but sees that
many times more samples. Whether it "reaches SB's accuracy" depends on which SB: the SB of the table, trained for
the row's epochs, or SB trained to convergence. :func:`longer_sb_config` is SB with its regime stretched by a
factor (epochs and every phase boundary, as regime adaptation stretches +RA's); at the factor ceil(LB / SB) it sees
as many samples as +RA (the sample-matched control), and a few factors show where SB's accuracy levels off.
:func:`first_drop_halved` is the other control of "train longer": the same run with its first drop of the learning
rate brought forward, fewer of its updates at the high learning rate.
"""

from __future__ import annotations

from gapbook.train import RunResult, TrainConfig

from .configs import experiment_config
from .scales import scale
from .store import ResultStore

__all__ = ["first_drop_halved", "longer_sb_config", "longer_sb_factors", "stored_longer_sb"]


def longer_sb_config(
    row_key: str,
    profile: str,
    factor: int,
    *,
    seed: int = 0,
    device: str = "auto",
    data_root: str | None = None,
    progress: bool = True,
) -> TrainConfig:
    """Row ``row_key``'s SB at ``profile`` with its regime stretched ``factor`` times (factor 1 is SB itself)."""
    if isinstance(factor, bool) or not isinstance(factor, int) or factor < 1:
        raise ValueError(f"factor must be an int >= 1 (how many times SB's epochs), got {factor!r}")
    sb = experiment_config(row_key, "SB", profile, seed=seed, device=device, data_root=data_root, progress=progress)
    if factor == 1:
        return sb
    return sb.replace(
        regime=sb.base_regime.adapt(factor).to_dict(),
        eval_every=sb.eval_every * factor,
        checkpoint_every=sb.checkpoint_every * factor,
    )


def first_drop_halved(config: TrainConfig) -> TrainConfig:
    """``config`` with its base regime's first drop of the learning rate moved to half its epoch, the later drops
    and the length unchanged: fewer updates at the high learning rate, as many in all."""
    regime = config.base_regime.to_dict()
    regime["phases"][1]["epoch"] /= 2
    return config.replace(regime=regime)


def longer_sb_factors(row_key: str, profile: str) -> list[int]:
    """The factors SB is trained longer by, to see where its accuracy levels off: 1, 2, 4, ... up to the row's
    regime-adaptation factor ceil(LB / SB) at ``profile``, the sample-matched control, which is always the last."""
    adaptation = scale(row_key, profile).batches.adaptation
    return [2**k for k in range(adaptation.bit_length()) if 2**k < adaptation] + [adaptation]


def stored_longer_sb(store: ResultStore, row_key: str, profile: str) -> dict[int, list[RunResult]]:
    """The runs of SB trained longer that ``store`` holds, by factor of :func:`longer_sb_factors`, for each seed
    the row's scale runs SB with (a factor without a stored run maps to ``[]``); it reads and never trains."""
    return {
        factor: [
            result
            for seed in scale(row_key, profile).seeds
            if (result := store.lookup(longer_sb_config(row_key, profile, factor, seed=seed, progress=False)))
            is not None
        ]
        for factor in longer_sb_factors(row_key, profile)
    }
