"""Atomic file writes: a temporary file in the target folder, flushed to disk, then ``os.replace``.

A reader, or a run killed half-way through a write, sees either the old file or the new one, never a torn one.
Ctrl-C during a write takes effect once the write is done, so an interrupted run keeps the file it was writing
(and libraries that cannot be interrupted half way, such as ``torch.save``, are never interrupted).
The temporary file of a write killed before its move is named after its process and removed by the next write
to the same path once that process is gone.
"""

from __future__ import annotations

import os
import signal
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


def atomic_write(path: str | os.PathLike[str], write: Callable[[BinaryIO], None]) -> Path:
    """Call ``write`` on a temporary binary file beside ``path``, then move it onto ``path``; returns ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    with _interrupt_deferred():
        try:
            with open(tmp, "xb") as f:
                write(f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return target


@contextmanager
def _interrupt_deferred() -> Iterator[None]:
    """Hold back Ctrl-C (SIGINT) until the block is done, then hand it to the handler it would have met (Python's
    raises ``KeyboardInterrupt``); only the main thread can handle signals, so elsewhere the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: received.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received and callable(previous):
        previous(signal.SIGINT, None)  # Python's default handler raises KeyboardInterrupt
    elif received and previous == signal.SIG_DFL:
        raise KeyboardInterrupt


def _remove_stale_temporaries(target: Path) -> None:
    """Remove temporary files of earlier writes to ``target`` whose process no longer runs."""
    for tmp in target.parent.glob(f".{target.name}.*.tmp"):
        pid = tmp.name[len(target.name) + 2 :].split(".")[0]
        if pid.isdigit() and not process_alive(int(pid)):
            tmp.unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    """Whether a process with id ``pid`` runs on this machine (on Windows, where signal 0 would stop the process
    instead of probing it, every process counts as running)."""
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns ``path``."""
    return atomic_write(path, lambda f: f.write(text.encode("utf-8")))
