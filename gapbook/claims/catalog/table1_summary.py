"""The claims of the chapter table1_summary."""

from __future__ import annotations

from ..claim import Claim

__all__ = ["CLAIMS"]

CLAIMS: tuple[Claim, ...] = ()
