"""Profiles: one set of experiments at several scales, and which one to run here.

``smoke`` proves the plumbing in seconds (tests), ``mini`` runs in minutes on a two-core CPU (the scale at which
the book's committed outputs are produced), ``full`` is the paper's scale, for a GPU.
"""

from __future__ import annotations

import os

import torch

__all__ = ["PROFILES", "PROFILE_VARIABLE", "active_profile"]

PROFILES: tuple[str, ...] = ("smoke", "mini", "full")
PROFILE_VARIABLE = "GAPBOOK_PROFILE"
"""The environment variable that chooses the profile (see :func:`active_profile`)."""


def active_profile(on_gpu: str = "full") -> str:
    """The profile a chapter should run at: ``$GAPBOOK_PROFILE`` if set, else ``on_gpu`` on a GPU, else ``mini``.

    A chapter whose ``full`` scale takes days even on a GPU (a whole row of Table 1) passes ``on_gpu="mini"``, so
    that only an explicit ``GAPBOOK_PROFILE=full`` starts it.
    """
    if on_gpu not in PROFILES:
        raise ValueError(f"on_gpu={on_gpu!r} is not a profile; use one of {', '.join(PROFILES)}")
    chosen = os.environ.get(PROFILE_VARIABLE, "").strip().lower()
    if chosen:
        if chosen not in PROFILES:
            raise ValueError(
                f"{PROFILE_VARIABLE}={chosen!r} is not a profile; use one of {', '.join(PROFILES)} or unset it"
            )
        return chosen
    return on_gpu if torch.cuda.is_available() else "mini"

