"""The source of a package object, shown in a chapter: what a chapter teaches is the package's own code."""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

__all__ = ["essential_source", "listing"]

_LEFT_OUT = "# (checks of the arguments left out here: they raise a ValueError that names the fix)"


_CHECK_PREFIXES = ("_check", "_positive", "_require", "_validate")
"""Private helpers whose call, as a statement of its own, is an argument check (it returns nothing, or raises)."""


def _is_check(node: ast.AST) -> bool:
    """Whether ``node`` is an argument check: an ``if`` whose every branch only raises, or a statement that only
    calls a private checking helper such as ``_positive_int("n", n)``."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name):
        return node.value.func.id.startswith(_CHECK_PREFIXES)
    return _raises_only(node)


def _raises_only(node: ast.AST) -> bool:
    """Whether ``node`` is an ``if`` whose every branch only raises."""
    if not isinstance(node, ast.If):
        return False
    branches = [node.body, *([node.orelse] if node.orelse else [])]
    return all(
        all(isinstance(statement, ast.Raise) or _raises_only(statement) for statement in branch)
        for branch in branches
    )


def essential_source(obj: Any) -> str:
    """The source of ``obj`` without its argument checks (``if`` blocks that only raise, calls of private checking
    helpers), each run of them replaced by one comment line, so that a listing shows what the code does rather than what it refuses."""
    source = textwrap.dedent(inspect.getsource(obj))
    lines = source.splitlines()
    checks = sorted(
        (node.lineno, node.end_lineno)
        for node in ast.walk(ast.parse(source))
        if _is_check(node) and node.end_lineno is not None
    )
    dropped: set[int] = set()
    for first, last in checks:
        dropped |= set(range(first - 1, last))
    kept = []
    for index, line in enumerate(lines):
        if index not in dropped:
            kept.append(line)
        elif index - 1 not in dropped:  # the first line of a run of checks: say what was left out
            kept.append(line[: len(line) - len(line.lstrip())] + _LEFT_OUT)
    return "\n".join(kept) + "\n"


def listing(obj: Any, *, essential: bool = True) -> Any:
    """The source code of ``obj`` (a public function, class or method of gapbook) as a highlighted IPython ``Code``
    display; ``essential`` (the default) leaves out its argument checks (:func:`essential_source`). The book's
    style sheet wraps long lines at the text column."""
    from IPython.display import Code  # the book's extras install IPython; the package itself does not need it

    name = getattr(obj, "__qualname__", repr(obj))
    if name.split(".")[-1].startswith("_") and not name.split(".")[-1].startswith("__"):
        raise ValueError(f"{name} is private; a chapter shows the package's public code")
    source = essential_source(obj) if essential else inspect.getsource(obj)
    return Code(source, language="python")
