"""The claims' verdicts as a table (Markdown for the book, plain text for the terminal)."""

from __future__ import annotations

from collections.abc import Sequence

from .claim import Verdict
from .registry import Change

__all__ = ["changes_markdown", "verdicts_markdown"]


def _claimed(verdict: Verdict) -> str:
    """What the claim expects, when that was fixed, and whether it holds, e.g. "> 0, before: holds"; "—" for a
    report."""
    expect = verdict.claim.expect
    if expect.kind == "report":
        return "—"
    if verdict.holds is None:
        return f"{expect.brief()}: no interval"
    return f"{expect.brief()}: {'holds' if verdict.holds else '**fails**'}"


def _fragility(verdict: Verdict) -> str:
    """How many leave-one-seed-out variants change the verdict, of how many, e.g. "2/10"."""
    if not verdict.loo_total:
        return "—"
    return f"{verdict.loo_changes}/{verdict.loo_total}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def verdicts_markdown(verdicts: Sequence[Verdict]) -> str:
    """One row per claim: what it says, the estimate with its 95% interval, the verdict, the runs, what the claim
    expects of its interval, whether that was fixed before or after seeing the data (:meth:`Expect.brief`) and
    whether it holds ("—" for a report), and how many leave-one-seed-out variants change it, of how many."""
    rows = [
        [
            f"`{v.claim.key}`",
            v.claim.says,
            v.text,
            v.status,
            v.n_text.removeprefix("n = "),
            _claimed(v),
            _fragility(v),
        ]
        for v in verdicts
    ]
    return _table(["Claim", "Says", "Estimate [95%]", "Verdict", "Runs", "Claimed, fixed: holds", "Fragile"], rows)


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
