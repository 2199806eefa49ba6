"""A claim the book makes, and its verdict on the stored runs.

A :class:`Claim` says in plain words what the book states, which chapter states it, at which profile, what it
measures and what it expects. :func:`evaluate` reads the runs, computes the interval and returns a
:class:`Verdict`: the numbers a chapter glues into its text, the verdict in the book's words, whether the claim
holds (what a chapter asserts), and whether it is *fragile*: whether leaving out any one seed would change it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .evidence import Stores
from .measures import Measure, Samples
from .verdicts import NOT_SHOWN, Expect, Interval, equivalent_words, signed, status_of

__all__ = ["Claim", "Verdict", "evaluate"]


@dataclass(frozen=True)
class Claim:
    """One statement of the book: ``says`` in plain words, in ``chapter``, at ``profile``, on ``measure``."""

    key: str
    chapter: str
    profile: str
    says: str
    measure: Measure
    expect: Expect

    def __post_init__(self) -> None:
        if not self.key.replace("_", "").replace("-", "").isalnum():
            raise ValueError(
                f"a claim's key holds letters, digits, '-' and '_' only (it names glued values), got {self.key!r}"
            )


@dataclass(frozen=True)
class Verdict:
    """What the stored runs say about ``claim``.

    ``interval`` is the 95% interval (``None`` with too few runs: then nothing is claimed); ``equivalence`` the
    90% interval of an equivalence claim; ``status`` the verdict in the book's words; ``holds`` whether the claim's
    expectation is met (``None`` for a report, or without an interval); ``loo_changes`` how many of the
    leave-one-seed-out variants would change ``holds`` (or, for a report, the status), of ``loo_total``.
    """

    claim: Claim
    interval: Interval | None
    equivalence: Interval | None
    status: str
    holds: bool | None
    loo_changes: int
    loo_total: int

    @property
    def fragile(self) -> bool:
        """Whether leaving out one seed could change the verdict."""
        return self.loo_changes > 0

    @property
    def n(self) -> tuple[int, ...]:
        """The number of runs on each side (``()`` without an interval)."""
        return self.interval.n if self.interval else ()

    @property
    def n_text(self) -> str:
        """The runs on each side in words, e.g. "n = 5 and 5", or "too few runs"."""
        if not self.n:
            return "too few runs"
        return "n = " + " and ".join(map(str, self.n))

    @property
    def text(self) -> str:
        """The estimate and interval in the claim's unit, e.g. "+0.26 points [+0.14, +0.38]", or "missing"."""
        if self.interval is None:
            return "missing"
        unit = f" {self.interval.unit}" if self.interval.unit else ""
        return f"{signed(self.interval.estimate)}{unit} [{signed(self.interval.low)}, {signed(self.interval.high)}]"

    @property
    def sentence(self) -> str:
        """The whole verdict in one line: the numbers, the verdict, the runs and the fragility."""
        if self.interval is None:
            return f"{self.claim.says}: too few runs for an interval, no claim"
        fragility = f", fragile ({self.loo_changes} of {self.loo_total} leave-one-seed-out variants change it)"
        return (
            f"{self.claim.says}: {self.text}, {self.status} (95% interval, {self.interval.method}, {self.n_text}"
            f"{fragility if self.fragile else ''})"
        )


def _judge(claim: Claim, samples: Samples) -> tuple[Interval | None, Interval | None, str, bool | None]:
    """The 95% interval, the 90% equivalence interval, the status and whether the claim holds on ``samples``."""
    interval = claim.measure.interval(samples, 0.95)
    if interval is None:
        return None, None, "too few runs", None
    status = status_of(interval)
    if claim.expect.kind != "equivalent":
        return interval, None, status, claim.expect.holds(interval)
    equivalence = claim.measure.interval(samples, claim.expect.confidence)
    assert equivalence is not None and claim.expect.margin is not None
    holds = claim.expect.holds(equivalence)
    if holds:
        status = equivalent_words(claim.expect.margin, interval.unit)
    elif status == NOT_SHOWN:
        status = f"{NOT_SHOWN}, nor equivalent within ±{claim.expect.margin:g}"
    return interval, equivalence, status, holds


def evaluate(claim: Claim, stores: Stores) -> Verdict:
    """The verdict of ``claim`` on the runs in ``stores``, with its leave-one-seed-out check."""
    samples = claim.measure.samples(stores, claim.profile)
    interval, equivalence, status, holds = _judge(claim, samples)
    changes = total = 0
    if interval is not None:
        for variant in claim.measure.leave_one_out(samples):
            _, _, variant_status, variant_holds = _judge(claim, variant)
            total += 1
            changed = variant_holds != holds if holds is not None else variant_status != status
            changes += changed
    return Verdict(claim, interval, equivalence, status, holds, changes, total)
