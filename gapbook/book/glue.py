"""Numbers a chapter computes, pasted into its prose: MyST-NB's glue, so the text cannot go stale.

A chapter glues each number where it computes it (nothing is displayed) and its Markdown pastes it with
``{glue:text}`KEY``` (or ``{glue:text}`other_chapter.ipynb::KEY``` from another page). A claim's verdict is glued
under its key with fixed suffixes (:func:`glue_verdict`). Gluing needs ``myst_nb``, installed with the book's
dependencies; where it is missing (a notebook run outside the book's environment) there is no book to paste into,
and gluing does nothing.
"""

from __future__ import annotations

from gapbook.claims import Verdict, signed

__all__ = ["VERDICT_FIELDS", "glue_text", "glue_verdict"]

VERDICT_FIELDS = ("", "_est", "_low", "_high", "_status", "_n", "_sentence")
"""The suffixes :func:`glue_verdict` glues a verdict's parts under, after the claim's key."""


def glue_text(key: str, text: object) -> str:
    """Glue ``str(text)`` under ``key`` for ``{glue:text}`` without displaying it; returns the text glued."""
    text = str(text)
    try:
        from myst_nb import glue
    except ImportError:  # outside the book's environment: nothing to paste into
        return text
    glue(key, text, display=False)
    return text


def glue_verdict(verdict: Verdict, key: str | None = None) -> None:
    """Glue the parts of ``verdict`` under ``key`` (the claim's key by default) and its suffixes:

    - ``KEY``: the estimate with its interval, e.g. "+0.26 points [+0.14, +0.38]" ("missing" without one);
    - ``KEY_est``, ``KEY_low``, ``KEY_high``: the estimate and the interval's ends, signed, e.g. "+0.26";
    - ``KEY_status``: the verdict in words, e.g. "shown above zero", "not shown at this scale";
    - ``KEY_n``: the runs it rests on, e.g. "n = 5 and 5";
    - ``KEY_sentence``: all of it in one sentence.
    """
    key = key or verdict.claim.key
    interval = verdict.interval
    ends = () if interval is None else (interval.estimate, interval.low, interval.high)
    parts = [signed(value) for value in ends] or ["missing"] * 3
    for suffix, text in zip(VERDICT_FIELDS, (verdict.text, *parts, verdict.status, verdict.n_text, verdict.sentence)):
        glue_text(key + suffix, text)
