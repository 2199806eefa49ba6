"""Every result the book shows was made from code that is part of this repository's history: a clean commit
(no uncommitted changes, so the code that made it can be checked out) that is an ancestor of the checkout."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from gapbook.book import results_dir

RESULTS = sorted(results_dir().rglob("*.json"))


def git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=results_dir(), capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def history() -> None:
    """Skip where the history cannot answer: outside a git checkout, or in a shallow clone."""
    inside = git("rev-parse", "--is-inside-work-tree")
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        pytest.skip("not a git checkout: the commits of the results cannot be checked")
    if git("rev-parse", "--is-shallow-repository").stdout.strip() == "true":
        pytest.skip("a shallow clone lacks the commits of the results")


def test_the_book_stores_results_at_both_profiles() -> None:
    assert {path.relative_to(results_dir()).parts[0] for path in RESULTS} >= {"mini", "full"}


@pytest.mark.parametrize("path", RESULTS, ids=lambda p: str(p.relative_to(results_dir())))
def test_a_result_names_a_clean_commit_of_this_history(path: Path, history: None) -> None:
    commit = json.loads(path.read_text()).get("git_commit")
    assert commit, f"{path.name}: no commit recorded"
    assert not commit.endswith("+dirty"), f"{path.name}: made from a modified tree ({commit}); re-run it from a commit"
    ancestry = git("merge-base", "--is-ancestor", commit, "HEAD")
    assert ancestry.returncode == 0, f"{path.name}: {commit[:12]} is not an ancestor of HEAD ({ancestry.stderr.strip()})"
