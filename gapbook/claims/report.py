"""The claims' verdicts as a table (Markdown for the book, plain text for the terminal)."""

from __future__ import annotations

from collections.abc import Sequence

from .claim import Verdict
from .registry import Change

__all__ = ["changes_markdown", "verdicts_markdown"]


def _holds(verdict: Verdict) -> str:
    if verdict.claim.expect.kind == "report":
        return "reported"
    if verdict.holds is None:
        return "no interval"
    return "holds" if verdict.holds else "**fails**"


def _fragility(verdict: Verdict) -> str:
    if not verdict.loo_total:
        return "—"
    return f"{verdict.loo_changes} of {verdict.loo_total}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def verdicts_markdown(verdicts: Sequence[Verdict]) -> str:
    """One row per claim: what it says, the estimate with its 95% interval, the verdict, the runs, what the claim
    expects (and when that was fixed), whether it holds, and how many leave-one-seed-out variants change it."""
    rows = [
        [
            f"`{v.claim.key}`",
            v.claim.says,
            v.text,
            v.status,
            v.n_text.removeprefix("n = "),
            v.claim.expect.words(v.interval.unit if v.interval else ""),
            _holds(v),
            _fragility(v),
        ]
        for v in verdicts
    ]
    return _table(["Claim", "Says", "Estimate [95%]", "Verdict", "Runs", "Expects", "Holds", "Fragile"], rows)


def changes_markdown(found: Sequence[Change]) -> str:
    """One row per claim: its verdict before and after extra runs were added, and whether it changed."""
    rows = [
        [
            f"`{c.before.claim.key}`",
            f"{c.before.text}, {c.before.status} ({c.before.n_text})",
            f"{c.after.text}, {c.after.status} ({c.after.n_text})",
            "**changed**" if c.changed else "same",
        ]
        for c in found
    ]
    return _table(["Claim", "Stored runs", "With the extra runs", "Verdict"], rows)
