"""Where and with what a run was computed: device, library versions and the source commit."""

from __future__ import annotations

import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import torch

__all__ = ["device_name", "git_commit", "versions"]


def device_name(device: torch.device) -> str:
    """A readable name of ``device``: the GPU model, or the CPU with its thread count."""
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} ({device})"
    if device.type == "cpu":
        return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"
    return str(device)


def versions() -> dict[str, str]:
    """Versions of Python, PyTorch and gapbook (as installed; ``0+unknown`` from a source tree never installed)."""
    try:
        installed = version("gapbook")
    except PackageNotFoundError:
        installed = "0+unknown"
    return {"python": platform.python_version(), "torch": torch.__version__, "gapbook": installed}


def _git(*args: str) -> str | None:
    package = Path(__file__).resolve().parents[1]  # the gapbook package folder
    try:
        done = subprocess.run(
            ["git", "-C", str(package), *args], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_commit() -> str | None:
    """The commit of the git checkout that holds the imported gapbook package, with ``+dirty`` when its tracked
    files differ from it; ``None`` when gapbook is not a tracked part of a git checkout (e.g. installed from PyPI)."""
    if _git("ls-files", "--error-unmatch", "__init__.py") is None:
        return None
    commit = _git("rev-parse", "HEAD")
    if commit is None:
        return None
    changes = _git("status", "--porcelain", "--untracked-files=no")
    return f"{commit}+dirty" if changes else commit
