"""The compact on-disk form of an array data set: one ``<name>.npz`` file, validated on load, written atomically.

A cache holds ``x_train``, ``y_train``, ``x_test``, ``y_test`` (uint8) and ``classes`` (strings), no pickled
objects. A file that does not match its data set's spec is rejected with the file and the problem named, so a
truncated or foreign file is never trained on by accident.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gapbook.support.atomic import atomic_write

from .arrays import ArrayDataset
from .specs import DatasetSpec

ARRAY_KEYS = ("x_train", "y_train", "x_test", "y_test")


class CacheError(ValueError):
    """A cache file exists but is unreadable or does not match its data set."""


def cache_path(root: Path, name: str) -> Path:
    """Where data set ``name`` is cached under ``root``."""
    return root / f"{name}.npz"


def read_cache(path: Path, spec: DatasetSpec) -> ArrayDataset:
    """Load and validate the cache at ``path`` for data set ``spec``."""
    arrays = _read_npz(path)
    missing = [key for key in (*ARRAY_KEYS, "classes") if key not in arrays]
    if missing:
        raise CacheError(_problem(path, f"missing key(s) {missing}; it holds {sorted(arrays)}"))
    _validate(path, spec, arrays)
    return ArrayDataset(
        name=spec.name,
        x_train=arrays["x_train"],
        y_train=arrays["y_train"],
        x_test=arrays["x_test"],
        y_test=arrays["y_test"],
        classes=tuple(str(c) for c in arrays["classes"]),
        mean=spec.mean,
        std=spec.std,
    )


def write_cache(path: Path, data: ArrayDataset) -> None:
    """Write ``data`` to ``path`` atomically (a reader never sees a half-written cache)."""
    atomic_write(
        path,
        lambda f: np.savez_compressed(
            f,
            x_train=data.x_train,
            y_train=data.y_train,
            x_test=data.x_test,
            y_test=data.y_test,
            classes=np.array(data.classes, dtype=str),
        ),
    )


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    """All arrays of the npz file at ``path``, read into memory; pickled objects are refused."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except Exception as err:  # any damage: not a zip, a corrupt compressed stream, a truncated array, pickles
        what = f"{type(err).__name__}: {err}"
        raise CacheError(_problem(path, f"it cannot be read as an npz file without pickles ({what})")) from None


def _validate(path: Path, spec: DatasetSpec, arrays: dict[str, np.ndarray]) -> None:
    """Check dtypes, shapes, lengths, labels and class names against ``spec``, and that the training split holds
    every class (a run on it would otherwise learn fewer classes than it is tested on, without a word)."""
    for key in ARRAY_KEYS:
        if arrays[key].dtype != np.uint8:
            raise CacheError(_problem(path, f"{key} has dtype {arrays[key].dtype}, expected uint8"))
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 1 + len(spec.image_shape) or x.shape[1:] != spec.image_shape:
            expected = ("N", *spec.image_shape)
            raise CacheError(_problem(path, f"x_{split} has shape {x.shape}, expected {expected}"))
        if y.ndim != 1:
            raise CacheError(_problem(path, f"y_{split} has shape {y.shape}, expected (N,)"))
        if len(x) != len(y) or len(x) == 0:
            raise CacheError(
                _problem(path, f"x_{split} has {len(x)} images and y_{split} {len(y)} labels; need equal, > 0")
            )
        if int(y.max()) >= spec.num_classes:
            raise CacheError(
                _problem(path, f"y_{split} has label {int(y.max())}, but {spec.name} has {spec.num_classes} classes")
            )
    classes = arrays["classes"]
    if classes.dtype.kind != "U" or classes.shape != (spec.num_classes,):
        raise CacheError(
            _problem(path, f"classes is {classes.dtype} {classes.shape}, expected {spec.num_classes} strings")
        )
    missing = sorted(set(range(spec.num_classes)) - set(np.unique(arrays["y_train"]).tolist()))
    if missing:
        named = ", ".join(f"{label} ({classes[label]})" for label in missing)
        raise CacheError(
            _problem(path, f"the training split y_train has no image of class(es) {named}, so a run would never learn "
                     f"them ({spec.num_classes - len(missing)} of {spec.num_classes} classes)")  # fmt: skip
        )


def _problem(path: Path, what: str) -> str:
    """An error message that names the file, the problem and the fix."""
    return (
        f"Invalid data cache {path}: {what}. Delete or replace the file (it is rebuilt from a download when "
        f"missing), or point the data root elsewhere."
    )
