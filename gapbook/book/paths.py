"""Where the book is: the folder that holds ``_toc.yml`` and ``book/results/``, whatever the working directory.

A chapter reads its stored results from the book it belongs to. In a checkout (the package installed in
editable mode from it, or the chapter run from inside it) that is the checkout; in a runtime outside one (Colab)
the chapter's setup cell clones the repository and points :data:`BOOK_VARIABLE` at the clone.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["BOOK_VARIABLE", "book_root", "results_dir"]

BOOK_VARIABLE = "GAPBOOK_BOOK"
"""The environment variable that names the book's folder (set by a chapter's setup cell outside a checkout)."""


def _is_book(folder: Path) -> bool:
    return (folder / "_toc.yml").is_file() and (folder / "book").is_dir()


def book_root() -> Path:
    """The book's folder: ``$GAPBOOK_BOOK``, else the checkout that holds the imported package, else the nearest
    folder at or above the working directory that holds ``_toc.yml`` and ``book/``."""
    chosen = os.environ.get(BOOK_VARIABLE, "").strip()
    if chosen:
        folder = Path(chosen).expanduser().resolve()
        if not _is_book(folder):
            raise FileNotFoundError(
                f"{BOOK_VARIABLE}={chosen!r} is not the book's folder (no _toc.yml and book/ in it); point it at a "
                "clone of the book's repository, or unset it"
            )
        return folder
    package_checkout = Path(__file__).resolve().parents[2]
    candidates = [package_checkout, Path.cwd(), *Path.cwd().parents]
    found = next((folder for folder in candidates if _is_book(folder)), None)
    if found is None:
        raise FileNotFoundError(
            "this runtime holds no copy of the book (no _toc.yml and book/ here or above): run the chapter's first "
            f"cell, which clones the book's repository, or set {BOOK_VARIABLE} to a clone of it"
        )
    return found


def results_dir() -> Path:
    """The book's stored results, ``<book>/book/results`` (one folder per profile below it)."""
    return book_root() / "book" / "results"
