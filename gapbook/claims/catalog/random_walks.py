"""The claims of the chapter random_walks."""

from __future__ import annotations

from ..claim import Claim

__all__ = ["CLAIMS"]

CLAIMS: tuple[Claim, ...] = ()
