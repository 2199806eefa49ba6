"""The book: its chapters are wired up, committed with outputs, Colab-ready, and it builds offline with -W."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from book_build import BookBuild
from gapbook.book import setup_cell

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())


def toc_files() -> list[str]:
    """Every file named in _toc.yml, root first, without extension."""
    files = [TOC["root"]]
    for part in TOC.get("parts", []):
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


def notebooks() -> list[Path]:
    return [ROOT / f"{name}.ipynb" for name in toc_files() if (ROOT / f"{name}.ipynb").exists()]


def test_every_toc_entry_exists_and_every_chapter_is_listed() -> None:
    for name in toc_files():
        assert (ROOT / f"{name}.md").exists() or (ROOT / f"{name}.ipynb").exists(), name
    listed = {ROOT / f"{name}.ipynb" for name in toc_files()}
    assert set((ROOT / "book").glob("*.ipynb")) <= listed
    assert notebooks(), "the book has no notebook chapter"


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.stem)
def test_chapter_is_committed_with_outputs(path: Path) -> None:
    cells = [cell for cell in json.loads(path.read_text())["cells"] if cell["cell_type"] == "code"]
    assert all(cell["execution_count"] for cell in cells), f"{path.name} has unexecuted code cells"
    counts = [cell["execution_count"] for cell in cells]
    assert counts == list(range(1, len(cells) + 1)), f"{path.name} was not executed top to bottom in one kernel"
    assert not any(output.get("output_type") == "error" for cell in cells for output in cell["outputs"])


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.stem)
def test_chapter_starts_with_the_setup_cell_for_the_configured_repository(path: Path) -> None:
    notebook = json.loads(path.read_text())
    first_code = next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")
    assert "".join(first_code["source"]) == setup_cell(CONFIG["repository"]["url"])
    assert "hide-input" in first_code["metadata"].get("tags", [])
    assert notebook["metadata"].get("accelerator") == "GPU"


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.stem)
def test_chapter_uses_only_the_public_api_and_finds_results_by_itself(path: Path) -> None:
    sources = ["".join(cell["source"]) for cell in json.loads(path.read_text())["cells"] if cell["cell_type"] == "code"]
    code = "\n".join(sources)
    private = re.findall(r"from gapbook[\w.]* import [^\n]*\b_(?!_)\w+|gapbook[\w.]*\._(?!_)\w+", code)
    assert private == [], f"{path.name} reaches past the public API: {private}"
    assert not re.search(r"""["']results["']|Path\(["']results""", code), f"{path.name}: results by a relative path"


def png_width(data: str) -> int:
    """The width in pixels of a base64 PNG, from its IHDR chunk."""
    import base64

    return int.from_bytes(base64.b64decode(data[:64])[16:20], "big")


def figures(path: Path) -> list[tuple[int, int]]:
    """Each PNG a chapter shows: (its width in pixels, the width it is displayed at, from the output's metadata,
    else its pixels)."""
    cells = json.loads(path.read_text())["cells"]
    found = []
    for output in (output for cell in cells if cell["cell_type"] == "code" for output in cell["outputs"]):
        if "image/png" in output.get("data", {}):
            pixels = png_width(output["data"]["image/png"])
            shown = output.get("metadata", {}).get("image/png", {}).get("width", pixels)
            found.append((pixels, int(shown)))
    return found


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.stem)
def test_figures_fit_the_text_column_at_twice_their_pixels(path: Path) -> None:
    """A figure wider than the 688 px text column is shrunk to fit, and its text with it: figures are displayed at
    most 7 inches wide at 100 dpi (text of 10 pt stays about 10 px or more on the page), and stored with at least
    1.5 times the pixels of that width, so that they stay sharp on a dense screen."""
    shown = figures(path)
    assert [width for _, width in shown if width > 720] == [], f"{path.name}: figures wider than the text column"
    assert [(pixels, width) for pixels, width in shown if pixels < 1.5 * width] == [], f"{path.name}: 1x figures"


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.stem)
def test_chapter_code_and_text_output_fit_the_column(path: Path) -> None:
    cells = [cell for cell in json.loads(path.read_text())["cells"] if cell["cell_type"] == "code"]
    long_code = [line for cell in cells for line in "".join(cell["source"]).splitlines() if len(line) > 79]
    long_output = [
        line for cell in cells for output in cell["outputs"] if output.get("output_type") == "stream"
        for line in "".join(output["text"]).splitlines() if len(line) > 79
    ]  # fmt: skip
    assert long_code == [], f"{path.name}: code lines wider than 79 characters"
    assert long_output == [], f"{path.name}: printed lines wider than 79 characters"


def test_book_builds_offline_with_warnings_as_errors(book_build: BookBuild) -> None:
    assert book_build.returncode == 0, book_build.log
    html = book_build.html
    assert (html / "_static" / "mathjax" / "tex-chtml.js").exists(), "MathJax is not served from the build"
    repository = CONFIG["repository"]["url"].removeprefix("https://github.com/")
    for name in toc_files():
        page = (html / f"{name}.html").read_text()
        scripts = re.findall(r'<script[^>]*src="([^"]+)"', page)
        assert not [src for src in scripts if src.startswith(("http:", "https:", "//"))], f"{name}: remote script"
        if (ROOT / f"{name}.ipynb").exists():
            colab = f"https://colab.research.google.com/github/{repository}/blob/main/{name}.ipynb"
            assert colab in page, f"{name}: no Colab button for its notebook"
