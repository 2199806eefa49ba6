"""Get an array data set by name: from its npz cache if present, else downloaded once and cached."""

from __future__ import annotations

import os

from .arrays import ArrayDataset
from .cache import cache_path, read_cache, write_cache
from .root import data_root
from .sources import download as download_arrays
from .sources import unavailable
from .specs import get_spec


def load_arrays(name: str, root: str | os.PathLike[str] | None = None, download: bool = True) -> ArrayDataset:
    """Load ``"mnist"``, ``"cifar10"`` or ``"cifar100"`` as uint8 arrays.

    Looks for ``<root>/<name>.npz`` (root: argument, else ``$GAPBOOK_DATA``, else the user cache) and validates
    it; otherwise downloads with torchvision (if ``download``) and writes the cache atomically. A missing data
    set raises :class:`DataUnavailableError`; an invalid cache raises :class:`CacheError`.
    """
    spec = get_spec(name)
    base = data_root(root)
    path = cache_path(base, name)
    if path.exists():
        return read_cache(path, spec)
    if not download:
        raise unavailable(name, base, "download=False")
    data = download_arrays(spec, base)
    write_cache(path, data)
    return data
