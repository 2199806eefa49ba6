"""The claims of the chapter weight_diffusion."""

from __future__ import annotations

from ..claim import Claim

__all__ = ["CLAIMS"]

CLAIMS: tuple[Claim, ...] = ()
