"""Track how far the weights travel from their initialization, d_t = ||w_t - w_0||, and read the log back.

Section 3 of the paper (Figure 1) shows that in the high-learning-rate phase d_t grows
like log t ("ultra-slow diffusion") rather than like sqrt(t) as for a free random walk.
The authors logged d per epoch and for the first parameter tensor only; this tracker
logs all trainable weights at log-spaced iterations, which is what a log-t axis needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = ["DistanceLog", "WeightDistance", "next_log_point"]


@dataclass(frozen=True)
class DistanceLog:
    """A logged ||w_t - w_0||: the distances at the updates ``iterations`` (a missing value is NaN)."""

    iterations: np.ndarray
    distances: np.ndarray

    @classmethod
    def from_lists(cls, iterations: Sequence[int], distances: Sequence[float | None]) -> DistanceLog:
        """From the lists a result stores (``None`` where the distance was not finite)."""
        values = [np.nan if value is None else value for value in distances]
        return cls(np.asarray(iterations, dtype=np.float64), np.asarray(values, dtype=np.float64))

    def between(self, first: float, last: float) -> DistanceLog:
        """The finite points with ``first <= t <= last``."""
        keep = (self.iterations >= first) & (self.iterations <= last) & np.isfinite(self.distances)
        return DistanceLog(self.iterations[keep], self.distances[keep])

    def at(self, t: float) -> float:
        """The distance at update ``t``, interpolated linearly in log t between the logged points (the log is
        log-spaced, so that is where it is dense); ``t`` must lie within the logged range."""
        finite = self.between(1, np.inf)
        if not len(finite.iterations) or not finite.iterations[0] <= t <= finite.iterations[-1]:
            raise ValueError(f"update {t} is outside the logged range of this distance log")
        return float(np.interp(np.log(t), np.log(finite.iterations), finite.distances))


def _trainable(model: nn.Module) -> list[tuple[str, nn.Parameter]]:
    """The model's trainable parameters, named as in ``model.named_parameters()``."""
    return [(name, p) for name, p in model.named_parameters() if p.requires_grad]


def _schedule_point(j: int, points_per_decade: int) -> int:
    """The j-th point of the log grid, 10**(j / points_per_decade) rounded to an integer."""
    return int(np.floor(10.0 ** (j / points_per_decade) + 0.5))


def _first_target_after(t: int, points_per_decade: int, start: int = 0) -> tuple[int, int]:
    """The smallest grid point greater than ``t`` and its grid index, searching from ``start``."""
    j = start
    while _schedule_point(j, points_per_decade) <= t:
        j += 1
    return j, _schedule_point(j, points_per_decade)


def next_log_point(t: int, points_per_decade: int) -> int:
    """The first iteration after ``t`` on the log grid of :class:`WeightDistance` (rounded values of
    10**(j / points_per_decade)): the grid on which the engine also logs its evaluations."""
    return _first_target_after(t, points_per_decade)[1]


class WeightDistance:
    """Record ||w_t - w_0|| over all trainable parameters at log-spaced iterations.

    Call :meth:`step` once after every optimizer step. It records at the distinct
    rounded values of 10**(j / points_per_decade): every t = 1, ..., 10 when
    points_per_decade >= 20 (the default), then points_per_decade points per decade,
    the same iterations in every run. Between those iterations a step is one integer
    comparison. Call :meth:`record` to add a point at the current iteration, e.g. at an
    epoch end.

    Recording runs under ``torch.no_grad()`` with ``torch._foreach`` ops and keeps the
    results as device tensors, so it never waits for the device; the history becomes
    numpy arrays only when read. Differences are taken in at least float32. A record
    briefly allocates one copy of the trainable parameters for the differences.

    Args:
        model: the network whose trainable parameters (``requires_grad=True``) are
            tracked; w_0 is a detached copy of them taken now.
        per_layer: also keep ||w_t - w_0|| for every parameter tensor.
        points_per_decade: density of the log-spaced recording grid.
    """

    def __init__(
        self, model: nn.Module, per_layer: bool = False, points_per_decade: int = 20
    ) -> None:
        if isinstance(points_per_decade, bool) or not isinstance(points_per_decade, int):
            raise TypeError(f"points_per_decade must be an int, got {points_per_decade!r}")
        if points_per_decade < 1:
            raise ValueError(f"points_per_decade must be at least 1, got {points_per_decade}")
        named = _trainable(model)
        if not named:
            raise ValueError(
                "the model has no trainable parameters (none with requires_grad=True); "
                "unfreeze some before creating a WeightDistance"
            )
        self._model = model
        self._per_layer = per_layer
        self._points_per_decade = points_per_decade
        self._names = [name for name, _ in named]
        self._shapes = [p.shape for _, p in named]
        self._initial = [p.detach().clone() for _, p in named]
        self._iteration = 0
        self._target_index, self._next_target = _first_target_after(0, points_per_decade)
        self._recorded_at: list[int] = []
        self._totals: list[torch.Tensor] = []
        self._layers: list[torch.Tensor] = []

    @property
    def iteration(self) -> int:
        """Number of :meth:`step` calls so far (the current iteration t)."""
        return self._iteration

    @property
    def per_layer(self) -> bool:
        """Whether distances are kept for every parameter tensor."""
        return self._per_layer

    @property
    def points_per_decade(self) -> int:
        """Density of the log-spaced recording grid."""
        return self._points_per_decade

    @property
    def names(self) -> list[str]:
        """Names of the tracked parameter tensors, in ``named_parameters()`` order."""
        return list(self._names)

    def step(self) -> None:
        """Advance the iteration counter; record if it reached the next log-spaced point."""
        self._iteration += 1
        if self._iteration == self._next_target:
            self._append()
            self._target_index, self._next_target = _first_target_after(
                self._iteration, self._points_per_decade, start=self._target_index
            )

    def record(self) -> None:
        """Record at the current iteration unless it is already recorded."""
        if not self._recorded_at or self._recorded_at[-1] != self._iteration:
            self._append()

    def _current_parameters(self) -> list[nn.Parameter]:
        """The model's trainable parameters, checked against those present at construction."""
        named = _trainable(self._model)
        names = [name for name, _ in named]
        if names != self._names:
            missing = [name for name in self._names if name not in names]
            added = [name for name in names if name not in self._names]
            raise RuntimeError(
                "the model's trainable parameters changed after the WeightDistance was "
                f"created (missing: {missing}, new: {added}, or a different order); create a "
                "new WeightDistance after changing the model or freezing/unfreezing parameters"
            )
        for name, shape, (_, p) in zip(self._names, self._shapes, named):
            if p.shape != shape:
                raise RuntimeError(
                    f"parameter {name!r} changed shape from {tuple(shape)} to {tuple(p.shape)} "
                    "after the WeightDistance was created; create a new WeightDistance"
                )
        return [p for _, p in named]

    @torch.no_grad()
    def _append(self) -> None:
        """Measure ||w_t - w_0|| (and per tensor) and store it as device tensors."""
        params = self._current_parameters()
        for i, p in enumerate(params):
            if self._initial[i].device != p.device:
                self._initial[i] = self._initial[i].to(p.device)
        pairs = [_widen(p.detach(), w) for p, w in zip(params, self._initial)]
        norms = torch._foreach_norm(
            torch._foreach_sub([now for now, _ in pairs], [start for _, start in pairs])
        )
        device = params[0].device
        dtype = torch.float64 if any(n.dtype == torch.float64 for n in norms) else torch.float32
        layer_norms = torch.stack([n.to(device=device, dtype=dtype) for n in norms])
        self._recorded_at.append(self._iteration)
        self._totals.append(torch.linalg.vector_norm(layer_norms))
        if self._per_layer:
            self._layers.append(layer_norms)

    @property
    def iterations(self) -> np.ndarray:
        """Iterations t at which distances were recorded, strictly increasing."""
        return np.asarray(self._recorded_at, dtype=np.int64)

    @property
    def distances(self) -> np.ndarray:
        """||w_t - w_0|| over all tracked parameters at each recorded iteration."""
        if not self._totals:
            return np.zeros(0, dtype=np.float64)
        return torch.stack(self._totals).to("cpu", torch.float64).numpy()

    @property
    def layer_distances(self) -> dict[str, np.ndarray]:
        """Per-tensor ||w_t - w_0||, keyed by parameter name; needs ``per_layer=True``."""
        if not self._per_layer:
            raise RuntimeError(
                "per-layer distances were not recorded; create the tracker with "
                "WeightDistance(model, per_layer=True)"
            )
        if not self._layers:
            return {name: np.zeros(0, dtype=np.float64) for name in self._names}
        table = torch.stack(self._layers).to("cpu", torch.float64).numpy()
        return {name: table[:, i].copy() for i, name in enumerate(self._names)}

    def to_dict(self) -> dict[str, Any]:
        """The history as plain Python lists, ready for ``json.dump``."""
        result: dict[str, Any] = {
            "points_per_decade": self._points_per_decade,
            "iterations": self.iterations.tolist(),
            "distances": self.distances.tolist(),
        }
        if self._per_layer:
            result["layer_distances"] = {
                name: values.tolist() for name, values in self.layer_distances.items()
            }
        return result

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume the same log: w_0, the iteration counter, the history."""
        return {
            "names": list(self._names),
            "per_layer": self._per_layer,
            "points_per_decade": self._points_per_decade,
            "iteration": self._iteration,
            "initial": [w.clone() for w in self._initial],
            "recorded_at": list(self._recorded_at),
            "totals": [d.clone() for d in self._totals],
            "layers": [d.clone() for d in self._layers],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state from :meth:`state_dict`, onto the devices of the current model."""
        for key in ("names", "per_layer", "points_per_decade"):
            mine = getattr(self, f"_{key}")
            if state[key] != mine:
                raise ValueError(
                    f"state_dict has {key}={state[key]!r} but this tracker has {mine!r}; "
                    "create the WeightDistance with the same model and settings as the saved one"
                )
        params = self._current_parameters()
        for name, saved, p in zip(self._names, state["initial"], params):
            if saved.shape != p.shape:
                raise ValueError(
                    f"saved w_0 of {name!r} has shape {tuple(saved.shape)} but the parameter has "
                    f"{tuple(p.shape)}; load a state saved from the same architecture"
                )
        device = params[0].device
        self._initial = [
            w.to(device=p.device, dtype=p.dtype, copy=True)
            for w, p in zip(state["initial"], params)
        ]
        self._iteration = int(state["iteration"])
        self._target_index, self._next_target = _first_target_after(
            self._iteration, self._points_per_decade
        )
        self._recorded_at = [int(t) for t in state["recorded_at"]]
        self._totals = [d.to(device) for d in state["totals"]]
        self._layers = [d.to(device) for d in state["layers"]]


def _widen(current: torch.Tensor, initial: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Both tensors in a common dtype of at least float32, so half-float differences stay exact."""
    dtype = torch.promote_types(torch.promote_types(current.dtype, initial.dtype), torch.float32)
    return current.to(dtype), initial.to(dtype)
