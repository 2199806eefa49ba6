"""Where a chapter finds the book and its results, whatever the working directory; the setup cell's text."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gapbook.book import BOOK_VARIABLE, book_root, results_dir, setup_cell

ROOT = Path(__file__).resolve().parents[1]


def test_the_checkout_is_found_from_any_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(BOOK_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    assert book_root() == ROOT and results_dir() == ROOT / "book" / "results"


def test_the_variable_points_at_a_clone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "_toc.yml").write_text("root: book/intro\n")
    (tmp_path / "book").mkdir()
    monkeypatch.setenv(BOOK_VARIABLE, str(tmp_path))
    assert book_root() == tmp_path.resolve() and results_dir() == tmp_path.resolve() / "book" / "results"


def test_a_variable_that_names_no_book_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BOOK_VARIABLE, str(tmp_path))
    with pytest.raises(FileNotFoundError, match="is not the book's folder"):
        book_root()


def test_the_setup_cell_clones_the_configured_repository() -> None:
    address = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    cell = setup_cell(address)
    assert f'os.environ.get("GAPBOOK_REPOSITORY",\n                            "{address}")' in cell
    assert '"google.colab" in sys.modules' in cell and 'os.environ["GAPBOOK_BOOK"]' in cell
    assert "import gapbook" not in cell  # it runs before gapbook is installed
    compile(cell, "setup cell", "exec")
    assert max(len(line) for line in cell.splitlines()) <= 80  # fits the text column without scrolling


def test_a_listing_shows_public_source_only() -> None:
    from gapbook import scale_lr
    from gapbook.book import listing
    from gapbook.ghost_bn import _check_eps

    assert "def scale_lr" in listing(scale_lr).data
    with pytest.raises(ValueError, match="is private"):
        listing(_check_eps)
