"""The claims of the chapter ghost_bn_in_code."""

from __future__ import annotations

from ..claim import Claim

__all__ = ["CLAIMS"]

CLAIMS: tuple[Claim, ...] = ()
