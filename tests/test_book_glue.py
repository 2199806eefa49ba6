"""Numbers pasted into the book's prose: every pasted key is glued by the notebook it names (a missing key would
leave a hole in the text), a paste from another page carries the format the text role needs, the prose holds
few typed decimals (measured numbers are glued, not typed), and no chapter asserts that an effect is absent."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
ROLE = re.compile(r"\{glue(?::(\w+))?\}`([^`]+)`")
DECIMAL = re.compile(r"(?<![\w.])[+\u2212-]?\d+\.\d+")
PAGES = sorted(BOOK.glob("*.ipynb")) + sorted(BOOK.glob("*.md"))


def _markdown(page: Path) -> str:
    if page.suffix == ".md":
        return page.read_text()
    cells = json.loads(page.read_text())["cells"]
    return "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")


def _glued(notebook: Path) -> set[str]:
    """The keys ``notebook``'s committed outputs glue."""
    cells = json.loads(notebook.read_text())["cells"]
    return {
        output["metadata"]["scrapbook"]["name"]
        for cell in cells
        if cell["cell_type"] == "code"
        for output in cell.get("outputs", [])
        if "scrapbook" in output.get("metadata", {})
    }


def _pastes(page: Path) -> list[tuple[str, Path, str]]:
    """(role text, notebook, key) of every paste in ``page``'s prose."""
    found = []
    for kind, text in ROLE.findall(_markdown(page)):
        target, key = page.with_suffix(".ipynb"), text
        if "::" in text:
            document, key = text.split("::", 1)
            target = (page.parent / document).resolve()
        if kind == "text" and ":" in key:
            key = key.rsplit(":", 1)[0]
        found.append((text, target, key))
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_pasted_key_is_glued_by_its_notebook(page: Path) -> None:
    missing = [
        text for text, target, key in _pastes(page) if not target.exists() or key not in _glued(target)
    ]
    assert not missing, f"{page.name} pastes keys no notebook glues: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_a_paste_from_another_page_names_its_format(page: Path) -> None:
    # {glue:text}`page.ipynb::key` would read "key" as the format: the role needs `page.ipynb::key:s`.
    bare = [text for kind, text in ROLE.findall(_markdown(page)) if kind == "text" and re.fullmatch(r"[^:]+::[^:]+", text)]
    assert not bare, f"{page.name}: add a format (e.g. ':s') to {bare}"


def test_the_prose_holds_at_most_150_typed_decimals() -> None:
    typed = {page.name: len(DECIMAL.findall(ROLE.sub("", _markdown(page)))) for page in PAGES}
    assert sum(typed.values()) <= 150, typed


NULL_ASSERT = re.compile(r"assert\s+not\b[^\n]*\.shown|assert\b[^\n]*\.low\s*<\s*0\s*<[^\n]*\.high|assert\b[^\n]*NOT_SHOWN")


@pytest.mark.parametrize("notebook", sorted(BOOK.glob("*.ipynb")), ids=lambda p: p.stem)
def test_no_chapter_asserts_that_an_effect_is_absent(notebook: Path) -> None:
    # "Not shown at this scale" is reported with its verdict, never asserted: more seeds may show the effect.
    cells = json.loads(notebook.read_text())["cells"]
    code = "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")
    assert NULL_ASSERT.findall(code) == [], f"{notebook.name} asserts a null verdict"
