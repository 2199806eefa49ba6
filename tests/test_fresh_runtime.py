"""Every chapter runs top to bottom where a reader runs it, not only in this checkout.

- In a fresh runtime, as Colab gives one: an empty working directory outside any checkout, a stand-in
  ``google.colab`` module, and ``GAPBOOK_REPOSITORY`` pointing at a clone of this checkout. The chapter's setup
  cell must clone the book, install gapbook from the clone (into a folder of the test's own, so that this
  environment is left alone) and run the chapter against the clone's stored results.
- At the paper's scale: the chapters on the MNIST/F1 row executed with ``GAPBOOK_PROFILE=full``, against the
  stored ``full`` results (on this CPU nothing is trained at ``full``; what is not stored is shown as missing).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))
MNIST_CHAPTERS = ["generalization_gap", "train_longer", "weight_diffusion", "table1_mnist"]
STAND_IN_COLAB = "import sys, types\nsys.modules.setdefault('google.colab', types.ModuleType('google.colab'))\n"


def execute(notebook: Path, cwd: Path, timeout: int = 1800) -> nbformat.NotebookNode:
    """Run ``notebook`` top to bottom in a fresh kernel of this environment, working in ``cwd``."""
    nb = nbformat.read(notebook, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def errors(nb: nbformat.NotebookNode) -> list[str]:
    return [
        f"{output.get('ename')}: {output.get('evalue')}"
        for cell in nb.cells if cell.cell_type == "code" for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]  # fmt: skip


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A clone of this checkout, an empty working directory, a package folder and the stand-in Colab module."""
    if shutil.which("git") is None:
        pytest.skip("git is needed to clone the book")
    base = tmp_path_factory.mktemp("fresh-runtime")
    clone = base / "repository"
    subprocess.run(["git", "clone", "--quiet", f"file://{ROOT}", str(clone)], check=True, timeout=300)
    (base / "stand-in").mkdir()
    (base / "stand-in" / "sitecustomize.py").write_text(STAND_IN_COLAB)
    (base / "packages").mkdir()
    (base / "content").mkdir()
    return {"clone": clone, "stand_in": base / "stand-in", "packages": base / "packages", "content": base / "content"}


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_a_chapter_runs_in_a_fresh_colab_like_runtime(
    chapter: Path, runtime: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAPBOOK_REPOSITORY", f"file://{runtime['clone']}")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(str(runtime[key]) for key in ("packages", "stand_in")))
    # The setup cell's pip installs the clone's gapbook into the test's own folder, keeping this environment.
    monkeypatch.setenv("PIP_TARGET", str(runtime["packages"]))
    monkeypatch.setenv("PIP_NO_DEPS", "1")
    monkeypatch.setenv("PIP_NO_BUILD_ISOLATION", "false")  # pip reads "false" as "do not isolate the build"
    monkeypatch.setenv("PIP_UPGRADE", "1")
    monkeypatch.delenv("GAPBOOK_BOOK", raising=False)
    monkeypatch.delenv("GAPBOOK_PROFILE", raising=False)
    nb = execute(runtime["clone"] / "book" / chapter.name, runtime["content"])
    assert errors(nb) == []
    assert (runtime["content"] / "gapbook-book" / "_toc.yml").is_file(), "the setup cell did not clone the book"
    installed = list(runtime["packages"].glob("gapbook/__init__.py"))
    assert installed, "the setup cell did not install gapbook from the clone"


@pytest.mark.parametrize("name", MNIST_CHAPTERS)
def test_an_mnist_chapter_runs_at_the_papers_scale_from_stored_results(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = list((ROOT / "book" / "results" / "full").glob("f1-mnist-*.json"))
    assert stored, "no stored full results of the MNIST row"
    monkeypatch.setenv("GAPBOOK_PROFILE", "full")
    monkeypatch.delenv("GAPBOOK_BOOK", raising=False)
    nb = execute(ROOT / "book" / f"{name}.ipynb", ROOT / "book")
    assert errors(nb) == []
    printed = json.dumps([cell.get("outputs", []) for cell in nb.cells if cell.cell_type == "code"])
    assert "profile full" in printed, "the chapter did not run at the full profile"
