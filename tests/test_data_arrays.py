"""Data root, npz cache validation, load_arrays and class-balanced subsets (offline, synthetic data)."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import ClassVar
from urllib.error import URLError

import numpy as np
import pytest

from gapbook.data import (
    ENV_VAR,
    SPECS,
    ArrayDataset,
    CacheError,
    DataUnavailableError,
    cache_path,
    data_root,
    load_arrays,
    sources,
    write_cache,
)


def synthetic(name: str = "mnist", n_train: int = 60, n_test: int = 20, seed: int = 0) -> ArrayDataset:
    """Random images whose first pixel encodes the label, with labels sorted by class like the CIFAR copy."""
    spec = SPECS[name]
    rng = np.random.default_rng(seed)
    y_train = np.sort(np.arange(n_train) % spec.num_classes).astype(np.uint8)
    y_test = (np.arange(n_test) % spec.num_classes).astype(np.uint8)
    x_train = rng.integers(0, 256, (n_train, *spec.image_shape), dtype=np.uint8)
    x_test = rng.integers(0, 256, (n_test, *spec.image_shape), dtype=np.uint8)
    x_train.reshape(n_train, -1)[:, 0] = y_train
    x_test.reshape(n_test, -1)[:, 0] = y_test
    classes = tuple(f"class{i}" for i in range(spec.num_classes))
    return ArrayDataset(name, x_train, y_train, x_test, y_test, classes, spec.mean, spec.std)


def save_npz(path: Path, **arrays: np.ndarray) -> None:
    """Write arrays as an npz file, bypassing validation."""
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def test_data_root_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert data_root() == tmp_path / "xdg" / "gapbook"
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env"))
    assert data_root() == tmp_path / "env"
    assert data_root(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv(ENV_VAR)
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_root() == tmp_path / "home" / ".cache" / "gapbook"


@pytest.mark.parametrize("name", ["mnist", "cifar10"])
def test_cache_round_trip(tmp_path: Path, name: str) -> None:
    data = synthetic(name)
    write_cache(cache_path(tmp_path, name), data)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{name}.npz"]  # no temporary file left behind
    loaded = load_arrays(name, tmp_path, download=False)
    for key in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(loaded, key), getattr(data, key))
        assert getattr(loaded, key).dtype == np.uint8
    assert loaded.classes == data.classes
    assert (loaded.mean, loaded.std) == (SPECS[name].mean, SPECS[name].std)


def test_load_uses_environment_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write_cache(cache_path(tmp_path, "mnist"), synthetic("mnist", n_train=30))
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert len(load_arrays("mnist", download=False).y_train) == 30


def _valid_mnist() -> dict[str, np.ndarray]:
    data = synthetic("mnist")
    return {
        "x_train": data.x_train,
        "y_train": data.y_train,
        "x_test": data.x_test,
        "y_test": data.y_test,
        "classes": np.array(data.classes),
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"x_train": np.zeros((60, 28, 28), np.float32)}, "x_train has dtype float32, expected uint8"),
        ({"x_train": np.zeros((60, 32, 32), np.uint8)}, r"x_train has shape \(60, 32, 32\)"),
        ({"x_test": np.zeros((20, 28, 28, 3), np.uint8)}, "x_test has shape"),
        ({"y_train": np.zeros(59, np.uint8)}, "60 images and y_train 59 labels"),
        ({"y_test": np.full(20, 10, np.uint8)}, "y_test has label 10, but mnist has 10 classes"),
        ({"classes": np.array(["a", "b"])}, "expected 10 strings"),
        ({"y_train": None}, r"missing key\(s\) \['y_train'\]"),
    ],
)
def test_invalid_cache_names_file_and_problem(tmp_path: Path, change: dict, message: str) -> None:
    arrays = _valid_mnist()
    for key, value in change.items():
        if value is None:
            del arrays[key]
        else:
            arrays[key] = value
    path = cache_path(tmp_path, "mnist")
    save_npz(path, **arrays)
    with pytest.raises(CacheError, match=message) as info:
        load_arrays("mnist", tmp_path)
    assert str(path) in str(info.value)


def test_unreadable_cache_is_rejected(tmp_path: Path) -> None:
    path = cache_path(tmp_path, "cifar10")
    path.write_bytes(b"not a zip file")
    with pytest.raises(CacheError, match="cannot be read") as info:
        load_arrays("cifar10", tmp_path)
    assert str(path) in str(info.value)


def test_pickled_classes_are_refused(tmp_path: Path) -> None:
    arrays = _valid_mnist()
    arrays["classes"] = np.array([str(i) for i in range(10)], dtype=object)
    path = cache_path(tmp_path, "mnist")
    save_npz(path, **arrays)
    with pytest.raises(CacheError, match="without pickles"):
        load_arrays("mnist", tmp_path)


def test_missing_data_set_without_download_fails_fast(tmp_path: Path) -> None:
    start = time.perf_counter()
    with pytest.raises(DataUnavailableError) as info:
        load_arrays("cifar100", tmp_path, download=False)
    assert time.perf_counter() - start < 5
    message = str(info.value)
    for part in ("'cifar100'", str(tmp_path / "cifar100.npz"), "download=False", "GAPBOOK_DATA", "root"):
        assert part in message


def test_unknown_name_lists_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"Unknown data set 'svhn'.*cifar10"):
        load_arrays("svhn", tmp_path)


class _OfflineSource:
    """Stands for a torchvision data set class on a machine without network access."""

    timeouts: ClassVar[list[float | None]] = []

    def __init__(self, root: Path, train: bool, download: bool) -> None:
        self.timeouts.append(socket.getdefaulttimeout())
        raise URLError("[Errno -2] Name or service not known")


def test_failed_download_gives_one_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sources._TORCHVISION, "mnist", _OfflineSource)
    before = socket.getdefaulttimeout()
    with pytest.raises(DataUnavailableError, match=r"download failed.*Name or service not known") as info:
        load_arrays("mnist", tmp_path)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert _OfflineSource.timeouts[-1] == sources.DOWNLOAD_TIMEOUT_S
    assert socket.getdefaulttimeout() == before
    assert not cache_path(tmp_path, "mnist").exists()


class _FakeCifar:
    """A torchvision-like CIFAR-10 class: HWC uint8 data, list targets, class names."""

    calls = 0

    def __init__(self, root: Path, train: bool, download: bool) -> None:
        type(self).calls += 1
        n = 50 if train else 10
        self.data = np.full((n, 32, 32, 3), 7 if train else 9, np.uint8)
        self.targets = [i % 10 for i in range(n)]
        self.classes = [f"c{i}" for i in range(10)]


def test_download_is_converted_and_cached_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sources._TORCHVISION, "cifar10", _FakeCifar)
    first = load_arrays("cifar10", tmp_path)
    assert _FakeCifar.calls == 2  # one train and one test split
    assert cache_path(tmp_path, "cifar10").is_file()
    second = load_arrays("cifar10", tmp_path)
    assert _FakeCifar.calls == 2  # served from the cache
    assert second.x_train.shape == (50, 32, 32, 3) and second.y_train.dtype == np.uint8
    np.testing.assert_array_equal(second.y_test, first.y_test)
    assert int(second.x_test[0, 0, 0, 0]) == 9 and second.classes[3] == "c3"


def test_subset_is_balanced_seeded_and_aligned() -> None:
    data = synthetic("cifar10", n_train=200)  # sorted by class, as the CIFAR copy is
    small = data.subset(25, seed=3)
    counts = np.bincount(small.y_train, minlength=10)
    assert counts.sum() == 25 and counts.max() - counts.min() <= 1
    assert small.x_train[:, 0, 0, 0].tolist() == small.y_train.tolist()  # images stay with their labels
    rows = {row.tobytes() for row in small.x_train}
    assert len(rows) == 25  # no sample twice
    again = data.subset(25, seed=3)
    np.testing.assert_array_equal(again.x_train, small.x_train)
    assert not np.array_equal(data.subset(25, seed=4).x_train, small.x_train)
    assert small.x_test is data.x_test
    assert len(data.subset(25, seed=3, n_test=10).y_test) == 10
    with pytest.raises(ValueError, match="n=201"):
        data.subset(201)
