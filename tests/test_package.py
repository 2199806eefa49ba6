"""The package as users meet it: its public names, the README's example, and the command line."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import gapbook
from gapbook.cli import build_parser, main
from gapbook.experiments import render

ROOT = Path(__file__).resolve().parents[1]


def test_public_names_are_importable() -> None:
    for name in gapbook.__all__:
        assert getattr(gapbook, name) is not None, name
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", gapbook.__version__)


def test_the_readme_table_is_what_gapbook_table_prints_from_the_committed_results() -> None:
    table = render(ROOT / "book" / "results", ("full", "mini")).strip()
    message = "README.md: paste the output of `gapbook table --profile full,mini`"
    assert table in (ROOT / "README.md").read_text(), message


def test_every_gapbook_command_the_readme_shows_is_accepted() -> None:
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.DOTALL)
    commands = [line.split("#")[0].split() for block in blocks for line in block.splitlines()]
    commands = [words[1:] for words in commands if words[:1] == ["gapbook"]]
    assert len(commands) >= 6 and {"train", "reproduce", "table", "steps"} <= {words[0] for words in commands}
    parser = build_parser()
    for words in commands:
        parser.parse_args(words)  # exits with a usage error on an option the command line does not have


def test_readme_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.DOTALL)
    assert len(blocks) == 1, "README.md should hold exactly one runnable Python example"
    exec(compile(blocks[0], "README.md", "exec"), {})
    printed = capsys.readouterr().out
    match = re.search(r"(\d+) updates, \|\|w - w0\|\| = ([\d.]+)", printed)
    assert match, printed
    assert int(match.group(1)) == 24 * (2048 // 256)  # 3 epochs adapted by 8, 8 steps per epoch
    assert float(match.group(2)) > 0


def test_info_reports_versions_profile_and_models(capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "mnist.npz").write_bytes(b"")
    monkeypatch.setenv("GAPBOOK_DATA", str(tmp_path))
    monkeypatch.setenv("GAPBOOK_PROFILE", "smoke")
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"gapbook     {gapbook.__version__}" in out
    assert "profile     smoke" in out
    assert f"data root   {tmp_path}" in out and "cached: mnist" in out
    assert "resnet44" in out


def test_bad_profile_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GAPBOOK_PROFILE", "huge")
    assert main(["info"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("gapbook info: error: GAPBOOK_PROFILE='huge' is not a profile; use one of smoke, mini")


def test_command_without_subcommand_shows_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: gapbook" in capsys.readouterr().err


def test_the_project_urls_are_the_books_repository_address() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11 and newer
    import yaml

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    address = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert project["urls"] == {"Repository": address, "Issues": f"{address}/issues"}
    assert project["license"] == "MIT"  # an SPDX expression, not the table form setuptools stops accepting


def test_python_dash_m_is_the_same_command_line() -> None:
    run = subprocess.run([sys.executable, "-m", "gapbook", "--version"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == f"gapbook {gapbook.__version__}"
