"""How far the weights travel, compared after the same number of updates.

Two experiments with different batch sizes make different numbers of updates, so their distances from the
initialization, ||w_t − w_0||, are compared at one update t, the point where the runs of one of them (the *clock*)
end: their whole run, or their high-learning-rate phase (the last logged update of the phase, as
:func:`gapbook.experiments.phase_end_distance` reads it). The other side's distance is read from its log at that t.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gapbook.train import RunResult

from .evidence import Stores
from .measures import Samples, Welch

__all__ = ["DistanceAtUpdates", "end_update"]


def end_update(result: RunResult, at: Literal["run", "phase"]) -> int:
    """The last logged update of ``result``'s whole run (``"run"``) or of its high-learning-rate phase
    (``"phase"``)."""
    log = result.high_lr_distances if at == "phase" else result.distance_log.between(1, float("inf"))
    if not len(log.iterations):
        raise ValueError(f"run {result.config_hash} logged no finite distance in its {at}")
    return int(log.iterations[-1])


@dataclass(frozen=True)
class DistanceAtUpdates(Welch):
    """||w_t − w_0|| of experiment ``a`` minus that of ``b``, both at the update t where the runs of ``clock``
    (``"a"`` or ``"b"``) end their run or their high-learning-rate phase (``at``), with Welch's interval."""

    clock: Literal["a", "b"] = "b"
    at: Literal["run", "phase"] = "run"
    quantity: str = "distance from the initialization"
    unit: str = ""

    def __post_init__(self) -> None:
        if self.clock not in ("a", "b") or self.at not in ("run", "phase"):
            raise ValueError(f"clock is 'a' or 'b' and at is 'run' or 'phase', got {self.clock!r}, {self.at!r}")

    def describe(self) -> str:
        clock = self.a if self.clock == "a" else self.b
        span = "run" if self.at == "run" else "high-learning-rate phase"
        return f"{self.a.label} − {self.b.label}, {self.quantity} at the last update of {clock.label}'s {span}"

    def samples(self, stores: Stores, profile: str) -> Samples:
        clock = self.a if self.clock == "a" else self.b
        ends = {end_update(result, self.at) for result in stores.runs(clock, profile)}
        if not ends:
            return ((), ())
        if len(ends) > 1:
            raise ValueError(f"the runs of {clock.label} end at different updates {sorted(ends)}: no single t")
        (t,) = ends
        return tuple(self._distances(stores.runs(side, profile), t) for side in (self.a, self.b))

    def _distances(self, results: list[RunResult], t: int) -> tuple[float, ...]:
        """The distance of every run of ``results`` at update ``t``."""
        logs = (result.high_lr_distances if self.at == "phase" else result.distance_log for result in results)
        return tuple(log.at(t) for log in logs)
