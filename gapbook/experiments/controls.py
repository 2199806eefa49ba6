"""Controls beside the Table 1 columns: the small batch trained longer.

+RA trains the large batch for ceil(LB / SB) times the epochs, so it makes as many updates as SB but sees that
many times more samples. Whether it "reaches SB's accuracy" depends on which SB: the SB of the table, trained for
the row's epochs, or SB trained to convergence. :func:`longer_sb_config` is SB with its regime stretched by a
factor (epochs and every phase boundary, as regime adaptation stretches +RA's); at the factor ceil(LB / SB) it sees
as many samples as +RA (the sample-matched control), and a few factors show where SB's accuracy levels off.
"""

from __future__ import annotations

from gapbook.train import TrainConfig

from .configs import experiment_config

__all__ = ["longer_sb_config"]


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
