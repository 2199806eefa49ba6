"""What a claim's evidence says: an interval, judged against what the claim expects, in the book's three words.

The three verdicts a difference can get:

- **shown**: its 95% interval excludes zero (it is then shown above or below zero);
- **not shown at this scale**: its 95% interval includes zero. This never means "equal": more seeds or a larger
  scale may show it;
- **equivalent within ±m**: only from an equivalence test (two one-sided tests, TOST): the 90% interval lies inside
  (−m, +m), for a margin m stated before the data were seen.

A claim states what it expects (:class:`Expect`): above or below a threshold, inside a band (two-sided words such
as "about perfect scaling"), equivalent within a margin, or nothing (a number the book reports without a claim).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

__all__ = ["Expect", "Interval", "NOT_SHOWN", "SHOWN_ABOVE", "SHOWN_BELOW", "equivalent_words", "signed", "status_of"]

SHOWN_ABOVE = "shown above zero"
SHOWN_BELOW = "shown below zero"
NOT_SHOWN = "not shown at this scale"


def equivalent_words(margin: float, unit: str) -> str:
    """The verdict of a passed equivalence test, e.g. "equivalent within ±0.20 points"."""
    return f"equivalent within ±{margin:.2f}{' ' + unit if unit else ''}"


@dataclass(frozen=True)
class Interval:
    """An estimate with its interval at ``confidence``, from ``method`` on samples of sizes ``n``."""

    estimate: float
    low: float
    high: float
    n: tuple[int, ...]
    confidence: float
    method: str
    unit: str = "points"

    def __post_init__(self) -> None:
        if not (self.low <= self.estimate <= self.high) and all(map(math.isfinite, (self.low, self.high))):
            raise ValueError(f"an interval must hold its estimate, got {self.estimate} in [{self.low}, {self.high}]")

    @property
    def text(self) -> str:
        """The estimate and its interval, e.g. "+0.26 [+0.14, +0.38]" (a true minus sign)."""
        return f"{signed(self.estimate)} [{signed(self.low)}, {signed(self.high)}]"


def signed(value: float, digits: int = 2) -> str:
    """``value`` with its sign always written and a true minus sign: +0.26, −1.08."""
    return f"{value:+.{digits}f}".replace("-", "−")


def status_of(interval: Interval) -> str:
    """Whether ``interval`` shows its estimate above zero, below zero, or does not show it at this scale."""
    if interval.low > 0:
        return SHOWN_ABOVE
    if interval.high < 0:
        return SHOWN_BELOW
    return NOT_SHOWN


Kind = Literal["above", "below", "band", "equivalent", "report"]


@dataclass(frozen=True)
class Expect:
    """What a claim expects of its interval, and when its threshold, band or margin was fixed.

    - ``above``: the 95% interval lies above ``threshold`` (0 for "A beats B");
    - ``below``: the 95% interval lies below ``threshold``;
    - ``band``: the 95% interval lies inside [``band[0]``, ``band[1]``] (a two-sided word such as "about");
    - ``equivalent``: the 90% interval lies inside (−``margin``, +``margin``): two one-sided tests at 5% each;
    - ``report``: nothing is claimed; the number is shown with its verdict and never asserted.

    ``fixed`` says whether the threshold, band or margin was chosen ``"before"`` or ``"after"`` the data were
    seen; a threshold fixed after the data is disclosed as such wherever the claim is shown.
    """

    kind: Kind
    threshold: float = 0.0
    band: tuple[float, float] | None = None
    margin: float | None = None
    fixed: Literal["before", "after"] = "before"

    def __post_init__(self) -> None:
        if self.kind not in ("above", "below", "band", "equivalent", "report"):
            raise ValueError(f"unknown expectation {self.kind!r}; use above, below, band, equivalent or report")
        if self.kind == "band" and (self.band is None or not self.band[0] < self.band[1]):
            raise ValueError(f"a band expectation needs band=(low, high) with low < high, got {self.band!r}")
        if self.kind == "equivalent" and (self.margin is None or not self.margin > 0):
            raise ValueError(f"an equivalence expectation needs a margin > 0, got {self.margin!r}")
        if self.fixed not in ("before", "after"):
            raise ValueError(f"fixed must be 'before' or 'after' (seeing the data), got {self.fixed!r}")

    @property
    def confidence(self) -> float:
        """The confidence of the interval judged: 0.90 for two one-sided tests at 5%, else 0.95."""
        return 0.90 if self.kind == "equivalent" else 0.95

    def holds(self, interval: Interval) -> bool | None:
        """Whether ``interval`` (at :attr:`confidence`) meets the expectation; ``None`` for a report."""
        if self.kind == "above":
            return interval.low > self.threshold
        if self.kind == "below":
            return interval.high < self.threshold
        if self.kind == "band":
            assert self.band is not None
            return self.band[0] <= interval.low and interval.high <= self.band[1]
        if self.kind == "equivalent":
            assert self.margin is not None
            return -self.margin < interval.low and interval.high < self.margin
        return None

    def brief(self) -> str:
        """What is expected, in a few characters for a table: "> 0, before", "in [−1.25, −0.75], after", "—"."""
        if self.kind == "above":
            what = f"> {self.threshold:g}"
        elif self.kind == "below":
            what = f"< {self.threshold:g}"
        elif self.kind == "band":
            assert self.band is not None
            what = f"in [{self.band[0]:g}, {self.band[1]:g}]"
        elif self.kind == "equivalent":
            what = f"within ±{self.margin:g}"
        else:
            return "—"
        return f"{what}, {self.fixed}".replace("-", "−")
