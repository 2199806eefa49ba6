"""The first cell of every chapter: outside a checkout of the book, fetch it and install gapbook from it.

A chapter opened in Colab (or in any runtime outside a checkout) has neither the package nor the stored results
it reads. Its first cell clones the book's repository (code and ``book/results/`` together), installs the package
from the clone with pip (which keeps the runtime's own PyTorch, since it satisfies the requirement) and points
``GAPBOOK_BOOK`` at the clone, so that :func:`gapbook.book.results_dir` finds the results. Inside a checkout the
cell does nothing. The repository address is ``repository.url`` of ``_config.yml``; ``GAPBOOK_REPOSITORY``
overrides it (a fork, a local copy). The cell cannot import gapbook (it is what installs it), so its text lives
here and a test keeps every chapter's first cell equal to :func:`setup_cell`.
"""

from __future__ import annotations

__all__ = ["REPOSITORY_VARIABLE", "setup_cell"]

REPOSITORY_VARIABLE = "GAPBOOK_REPOSITORY"
"""The environment variable that overrides the repository the setup cell clones."""

_TEMPLATE = '''\
# Setup. Outside a checkout of this book (in Colab, say): clone the book's
# repository, code and stored results, and install gapbook from it, keeping
# the runtime's PyTorch. Inside a checkout: nothing to do.
import os, subprocess, sys
from pathlib import Path

REPOSITORY = os.environ.get("GAPBOOK_REPOSITORY",
                            "{repository}")
here = [Path.cwd(), *Path.cwd().parents]
in_checkout = any((folder / "_toc.yml").is_file() for folder in here)
if "google.colab" in sys.modules or not in_checkout:
    clone = Path.cwd() / "gapbook-book"
    if not clone.exists():
        subprocess.run(["git", "clone", "--quiet", "--depth", "1",
                        REPOSITORY, str(clone)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                    str(clone)], check=True)
    os.environ["GAPBOOK_BOOK"] = str(clone)'''


def setup_cell(repository: str) -> str:
    """The source of a chapter's first cell, cloning ``repository`` (by default)."""
    return _TEMPLATE.format(repository=repository)
