"""Mixed-precision policy: which autocast dtype a run uses, and whether it needs a gradient scaler.

On a GPU with bfloat16 (compute capability 8 and later, e.g. A100, H100) autocast runs in bf16, whose range equals
float32's, so no loss scaling is needed. Older GPUs (e.g. the T4 of free Colab) only emulate bf16, slowly, so they
get float16 with ``torch.amp.GradScaler`` against gradient underflow. The CPU trains in float32.
Parameters, optimizer state and the loss stay float32 in every case.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass

import torch

__all__ = ["AmpPolicy", "resolve_precision"]

_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass(frozen=True)
class AmpPolicy:
    """A resolved precision (``"fp32"``, ``"bf16"`` or ``"fp16"``) on a device type."""

    precision: str
    device_type: str

    def autocast(self) -> AbstractContextManager[None]:
        """The autocast context for forward passes (disabled for fp32)."""
        dtype = _DTYPES.get(self.precision)
        return torch.autocast(self.device_type, dtype=dtype, enabled=dtype is not None)

    def grad_scaler(self) -> torch.amp.GradScaler:
        """A gradient scaler, enabled for fp16 only (a disabled one passes everything through)."""
        return torch.amp.GradScaler(self.device_type, enabled=self.precision == "fp16")


def _bf16_native(device: torch.device) -> bool:
    """Whether the GPU computes in bf16 natively (not by emulation)."""
    with torch.cuda.device(device):
        return torch.cuda.is_bf16_supported(including_emulation=False)


def resolve_precision(precision: str, device: torch.device) -> AmpPolicy:
    """Turn ``"auto"``/``"fp32"``/``"bf16"``/``"fp16"`` into the policy for ``device``, refusing what it lacks."""
    kind = device.type
    if precision == "auto":
        if kind != "cuda":
            return AmpPolicy("fp32", kind)
        return AmpPolicy("bf16" if _bf16_native(device) else "fp16", kind)
    if precision == "fp32":
        return AmpPolicy("fp32", kind)
    if precision == "fp16" and kind != "cuda":
        raise ValueError(
            f"precision fp16 needs a CUDA device, but the run uses {device}; use precision fp32 (or bf16) there"
        )
    if precision == "bf16" and kind == "cuda" and not _bf16_native(device):
        raise ValueError(
            f"{torch.cuda.get_device_name(device)} has no native bfloat16; use precision fp16 (with loss "
            "scaling) or auto"
        )
    if precision == "bf16" and kind not in ("cuda", "cpu"):
        raise ValueError(f"precision bf16 is supported on cuda and cpu, not {kind}; use fp32")
    if precision not in _DTYPES:
        raise ValueError(f"precision must be auto, fp32, bf16 or fp16, got {precision!r}")
    return AmpPolicy(precision, kind)
