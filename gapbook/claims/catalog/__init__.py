"""Every claim of the book, one module per chapter or group of chapters (each exports ``CLAIMS``)."""

from __future__ import annotations

from . import table1

__all__ = ["MODULES"]

MODULES = (table1,)
"""The catalog's modules, in the book's order."""
