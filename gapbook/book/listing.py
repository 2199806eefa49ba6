"""The source of a package object, shown in a chapter: what a chapter teaches is the package's own code."""

from __future__ import annotations

import inspect
from typing import Any

__all__ = ["listing"]


def listing(obj: Any) -> Any:
    """The source code of ``obj`` (a public function, class or method of gapbook) as a highlighted IPython ``Code``
    display; the book's style sheet wraps its long lines at the text column."""
    from IPython.display import Code  # the book's extras install IPython; the package itself does not need it

    name = getattr(obj, "__qualname__", repr(obj))
    if name.split(".")[-1].startswith("_") and not name.split(".")[-1].startswith("__"):
        raise ValueError(f"{name} is private; a chapter shows the package's public code")
    return Code(inspect.getsource(obj), language="python")
