"""The book: its chapters are wired up, committed with outputs, Colab-ready, and it builds offline with -W."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

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
def test_chapter_installs_gapbook_from_the_configured_repository_in_colab(path: Path) -> None:
    notebook = json.loads(path.read_text())
    first_code = next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")
    source = "".join(first_code["source"])
    assert "google.colab" in source
    assert f"git+{CONFIG['repository']['url']}" in source
    assert notebook["metadata"].get("accelerator") == "GPU"


def test_book_builds_offline_with_warnings_as_errors(tmp_path: Path) -> None:
    build = subprocess.run(
        [sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
         "build", str(ROOT), "-W", "--path-output", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    html = tmp_path / "_build" / "html"
    assert (html / "_static" / "mathjax" / "tex-chtml.js").exists(), "MathJax is not served from the build"
    repository = CONFIG["repository"]["url"].removeprefix("https://github.com/")
    for name in toc_files():
        page = (html / f"{name}.html").read_text()
        scripts = re.findall(r'<script[^>]*src="([^"]+)"', page)
        assert not [src for src in scripts if src.startswith(("http:", "https:", "//"))], f"{name}: remote script"
        if (ROOT / f"{name}.ipynb").exists():
            colab = f"https://colab.research.google.com/github/{repository}/blob/main/{name}.ipynb"
            assert colab in page, f"{name}: no Colab button for its notebook"
