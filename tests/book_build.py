"""One build of the book per test session, shared by the tests that read the built site, on every xdist worker."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from filelock import FileLock

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class BookBuild:
    """A ``jupyter-book build -W`` of this checkout: its exit status, the tail of its output and its HTML folder."""

    returncode: int
    log: str
    html: Path


def build_book(out: Path) -> BookBuild:
    """Build the book into ``out`` with warnings as errors (the build executes no chapter, so needs no network)."""
    build = subprocess.run(
        [sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
         "build", str(ROOT), "-W", "--path-output", str(out)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    return BookBuild(build.returncode, build.stdout[-3000:] + build.stderr[-3000:], out / "_build" / "html")


def shared_book_build(folder: Path) -> BookBuild:
    """The book built once into ``folder``, a folder all workers of the session share: the first to ask builds it
    under a lock and records the outcome, failed or not, so that the others wait for it and read the record instead
    of building again."""
    record = folder / "book-build.json"
    with FileLock(folder / "book-build.lock"):
        if not record.exists():
            build = build_book(folder / "book")
            record.write_text(json.dumps({**asdict(build), "html": str(build.html)}))
        stored = json.loads(record.read_text())
    return BookBuild(stored["returncode"], stored["log"], Path(stored["html"]))
