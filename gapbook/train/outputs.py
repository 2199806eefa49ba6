"""Where a run writes: folders checked before the first step, one run per result at a time, no result lost.

A run that trains for hours must not fail at its end because its output folder was mistyped, so every output
path is checked (created, written to) before training starts. Two processes training the same config into the
same place would overwrite each other's checkpoints, so a run holds the operating system's lock on a file beside
its checkpoint or result while it trains; that lock dies with its process, however the process ends, so a lock file
left behind never blocks a run. And a result that cannot be written where it belongs is written to a fallback file instead, and the
error says where.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import lock_descriptor

from .results import RunResult

__all__ = ["RunLockedError", "UnsavedResultError", "check_file_target", "check_folder", "run_lock", "save_result"]

FALLBACK_FOLDER = Path(tempfile.gettempdir()) / "gapbook-unsaved"
"""Where a result goes when its own folder cannot be written."""


class RunLockedError(FileExistsError):
    """Another process is training the same config into the same place (it holds the run's lock)."""


class UnsavedResultError(OSError):
    """A finished run's result could not be written where it belongs (it was written to a fallback file)."""


def check_folder(path: str | os.PathLike[str], what: str) -> Path:
    """Make sure ``path`` is a folder this process can write into, creating it if needed; returns it.

    ``what`` names the option in the error (e.g. ``"--output"``).
    """
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{what} {folder} is a file, not a folder; give a folder (it is created when missing)")
    blocking = next((parent for parent in folder.parents if parent.exists() and not parent.is_dir()), None)
    if blocking is not None:
        raise ValueError(f"{what} {folder} cannot be created: {blocking} is a file; fix the path")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".gapbook-write-check-{uuid.uuid4().hex}"
        probe.touch()
        probe.unlink()
    except OSError as err:
        raise ValueError(
            f"{what} {folder} is not a folder this process can write into ({err.strerror or err}); choose another "
            "folder or fix its permissions"
        ) from None
    return folder


def check_file_target(path: str | os.PathLike[str], what: str) -> Path:
    """Make sure a file can be written at ``path``: not a folder, in a writable folder; returns it."""
    target = Path(path)
    if target.is_dir():
        raise ValueError(f"{what} {target} is a folder; give the path of a file in it (e.g. {target / 'run.pt'})")
    check_folder(target.parent, f"the folder of {what}")
    return target


@contextmanager
def run_lock(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold the operating system's lock on ``<path>.lock`` while a run trains towards ``path``; refuse (with
    :class:`RunLockedError`) when another process holds it, even another lock of this process.

    The lock is released when its process ends, however it ends, so whatever a killed run left behind blocks
    nothing. The file records the holder's process id for the error message, and is removed on exit.
    """
    lock = Path(f"{path}.lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    descriptor = _locked(lock)
    try:
        os.ftruncate(descriptor, 0)
        os.write(descriptor, str(os.getpid()).encode())
        yield
    finally:
        lock.unlink(missing_ok=True)  # before the lock is released, so that a new run locks a new file
        os.close(descriptor)


def _locked(lock: Path) -> int:
    """A descriptor of the file ``lock`` on which this process holds the operating system's lock."""
    while True:
        descriptor = os.open(lock, os.O_CREAT | os.O_RDWR)
        if not lock_descriptor(descriptor, blocking=False):
            os.close(descriptor)
            holder = _holder(lock)
            who = "another process" if holder is None else f"process {holder}"
            raise RunLockedError(
                f"{who} is already training this run (it holds the lock {lock}); wait for it to finish, or stop "
                "it and start again (an interrupted run resumes from its checkpoint)"
            )
        if _same_file(lock, descriptor):
            return descriptor
        os.close(descriptor)  # its holder removed the file between our opening and locking it: lock the new one


def _same_file(path: Path, descriptor: int) -> bool:
    """Whether ``path`` still names the file open as ``descriptor``."""
    try:
        named, opened = path.stat(), os.fstat(descriptor)
    except FileNotFoundError:
        return False
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)


def _holder(lock: Path) -> int | None:
    """The process id recorded in ``lock``, ``None`` when it cannot be read."""
    try:
        return int(lock.read_text().strip())
    except (OSError, ValueError):
        return None


def save_result(result: RunResult, path: str | os.PathLike[str]) -> Path:
    """Write ``result`` to ``path``; if that fails, write it to :data:`FALLBACK_FOLDER` and raise
    :class:`UnsavedResultError` saying where it is, so that a finished run is never lost."""
    target = Path(path)
    try:
        return result.save(target)
    except OSError as err:
        fallback = FALLBACK_FOLDER / target.name
        result.save(fallback)
        raise UnsavedResultError(
            f"the result could not be written to {target} ({err.strerror or err}); it was saved to {fallback} "
            f"instead: move it to {target} (its file name is how it is found again)"
        ) from None
