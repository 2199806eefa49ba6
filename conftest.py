"""How the suite shares the CPU's cores: pytest-xdist (``-n auto --dist loadfile`` in pyproject.toml) hands out
units of work in collection order, each to the next worker that runs short of work.

A unit is a test file, so that its module fixtures are built once, and a notebook, because nbval runs its cells
in order in one kernel; but each test of the files in ``ONE_UNIT_PER_TEST`` is a unit of its own: those tests each
execute a whole chapter or open the built book, and share nothing costly. So that no long unit starts last and runs
alone at the end, the units are ordered: the file that builds the book first (a few minutes; the browser checks
wait for that build), then the units that execute a whole chapter, longest first by the time the chapter printed
when it was last executed, then the rest as collected, and the browser checks last, when the build is ready.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent
BUILDS_THE_BOOK = "tests/test_book.py"
OPENS_THE_BOOK = "tests/test_browser.py"
ONE_UNIT_PER_TEST = frozenset({"tests/test_fresh_runtime.py", OPENS_THE_BOOK})


def unit_of(nodeid: str) -> str:
    """The unit of work of a test, by its node id: its file, or the test itself in ``ONE_UNIT_PER_TEST``."""
    path = nodeid.split("::", 1)[0]
    return nodeid if path in ONE_UNIT_PER_TEST else path


@cache
def chapter_seconds(notebook: Path) -> float:
    """How long a chapter took when it was last executed, from its stored outputs ("chapter executed in 178 s");
    0 for a chapter that does not say."""
    outputs = [
        "".join(output.get("text", "")) for cell in json.loads(notebook.read_text())["cells"]
        for output in cell.get("outputs", [])
    ]  # fmt: skip
    times = re.findall(r"chapter executed in (\d+) s", "\n".join(outputs))
    return float(times[-1]) if times else 0.0


def chapter_of(item: pytest.Item) -> Path | None:
    """The chapter that the unit of ``item`` executes whole: a notebook's cell, or a test of ``ONE_UNIT_PER_TEST``
    parametrized by a chapter's name."""
    if item.path.suffix == ".ipynb":
        return item.path
    callspec = getattr(item, "callspec", None)
    if unit_of(item.nodeid) != item.nodeid or callspec is None:
        return None
    chapter = ROOT / "book" / f"{callspec.id}.ipynb"
    return chapter if chapter.is_file() else None


def unit_order(item: pytest.Item) -> tuple[int, float]:
    """Sort key of the unit of ``item``: the book build, the chapters (longest first), the rest, the browser."""
    path = item.nodeid.split("::", 1)[0]
    if path == BUILDS_THE_BOOK:
        return 0, 0.0
    if path == OPENS_THE_BOOK:
        return 3, 0.0
    chapter = chapter_of(item)
    return (1, -chapter_seconds(chapter)) if chapter is not None else (2, 0.0)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Order the units of work (``--no-loadscope-reorder`` keeps this order), each unit's items as collected."""
    units: dict[str, list[pytest.Item]] = {}
    for item in items:
        units.setdefault(unit_of(item.nodeid), []).append(item)
    items[:] = [item for unit in sorted(units.values(), key=lambda unit: unit_order(unit[0])) for item in unit]


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: unknown, and never called, without the plugin
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under ``--dist loadfile``, hand out the units of ``unit_of``: files, but single tests in ONE_UNIT_PER_TEST.
    (Not ``--dist loadgroup`` with ``xdist_group`` marks: with pytest 9.2 and pytest-xdist 3.8 those marks no
    longer group anything, pytest-dev/pytest-xdist#1386.)"""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class UnitScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

    return UnitScheduling(config, log)
