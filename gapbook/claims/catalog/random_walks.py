"""The claims of the chapter random_walks: none in the registry.

Every claim of that chapter is about simulations it runs itself (free walks, Sinai's walk, walks on fractional
potentials, exact exit times), with no stored runs to evaluate; the chapter asserts each with an explicit
tolerance and glues the simulated numbers into its text.
"""

from __future__ import annotations

from ..claim import Claim

__all__ = ["CLAIMS"]

CLAIMS: tuple[Claim, ...] = ()
