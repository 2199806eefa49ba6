"""Plumbing shared by every layer of gapbook: files written atomically, so that nothing half-written is ever read."""

from .atomic import atomic_write, atomic_write_text, process_alive

__all__ = ["atomic_write", "atomic_write_text", "process_alive"]
