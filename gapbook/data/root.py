"""Where data sets live on disk.

One rule decides the data root everywhere, so a notebook, the command line and the tests agree on it:
an explicit argument wins, then the ``GAPBOOK_DATA`` environment variable, then a per-user cache directory.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "GAPBOOK_DATA"


def default_cache_dir() -> Path:
    """The per-user cache directory: ``$XDG_CACHE_HOME/gapbook``, else ``~/.cache/gapbook``."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "gapbook"


def data_root(root: str | os.PathLike[str] | None = None) -> Path:
    """Resolve the data root: ``root`` if given, else ``$GAPBOOK_DATA``, else :func:`default_cache_dir`."""
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return default_cache_dir()
