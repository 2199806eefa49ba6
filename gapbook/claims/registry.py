"""The one registry of the book's claims, and their verdicts on a set of stores, with and without extra runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .catalog import MODULES
from .claim import Claim, Verdict, evaluate
from .evidence import Stores

__all__ = ["CLAIMS", "Change", "changes", "claim", "claims_of", "evaluate_all"]


def _collect() -> tuple[Claim, ...]:
    found = tuple(entry for module in MODULES for entry in module.CLAIMS)
    keys = [entry.key for entry in found]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ValueError(f"claim keys must be unique; repeated: {', '.join(duplicates)}")
    return found


CLAIMS: tuple[Claim, ...] = _collect()
"""Every claim the book makes, in the book's order."""


def claim(key: str) -> Claim:
    """The claim named ``key``."""
    for entry in CLAIMS:
        if entry.key == key:
            return entry
    raise KeyError(f"no claim named {key!r}; `gapbook claims` lists them")


def claims_of(chapter: str | None = None, profile: str | None = None) -> tuple[Claim, ...]:
    """The claims of ``chapter`` at ``profile`` (``None``: any)."""
    return tuple(
        entry
        for entry in CLAIMS
        if (chapter is None or entry.chapter == chapter) and (profile is None or entry.profile == profile)
    )


def evaluate_all(stores: Stores, claims: Sequence[Claim] = CLAIMS) -> list[Verdict]:
    """The verdict of every one of ``claims`` on ``stores``."""
    return [evaluate(entry, stores) for entry in claims]


@dataclass(frozen=True)
class Change:
    """A claim's verdict on the stores alone (``before``) and with extra runs added (``after``)."""

    before: Verdict
    after: Verdict

    @property
    def changed(self) -> bool:
        """Whether the extra runs change the verdict's words or whether the claim holds."""
        return (self.before.status, self.before.holds) != (self.after.status, self.after.holds)


def changes(stores: Stores, extra: str, claims: Sequence[Claim] = CLAIMS) -> list[Change]:
    """Every claim's verdict before and after adding the runs in folder ``extra`` (laid out as a results store:
    ``extra/<profile>/*.json``) to ``stores``."""
    extended = stores.with_folder(extra)
    return [Change(evaluate(entry, stores), evaluate(entry, extended)) for entry in claims]
