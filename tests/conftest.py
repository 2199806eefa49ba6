"""Fixtures shared by the tests: one CPU thread per test, tiny synthetic data sets written once per session, one
build of the book per session, and the ``cuda`` mark (skipped without a GPU)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from book_build import BookBuild, shared_book_build
from gapbook.experiments import write_synthetic_data
from train_support import write_dataset


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip the tests marked ``cuda`` on a machine without a CUDA GPU."""
    if item.get_closest_marker("cuda") is not None and not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU (benchmarks/gpu_check.sh runs these on one)")


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """Train on one thread: tiny models gain nothing from more, and a busy machine then never stalls them."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def mnist_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A data root holding a synthetic ``mnist.npz``: 128 training and 50 test images whose class is a band."""
    return str(write_dataset(tmp_path_factory.mktemp("mnist"), "mnist", n_train=128, n_test=50))


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A data root holding the synthetic data of every Table 1 row at the smoke profile."""
    return str(write_synthetic_data(tmp_path_factory.mktemp("synthetic")))


@pytest.fixture(scope="session")
def book_build(tmp_path_factory: pytest.TempPathFactory) -> BookBuild:
    """The book built once per session (a few minutes), for every test that reads the built site. The xdist workers
    share it through the folder that holds each worker's temporary folder; a run without xdist keeps it in its own."""
    base = tmp_path_factory.getbasetemp()
    return shared_book_build(base.parent if "PYTEST_XDIST_WORKER" in os.environ else base)


@pytest.fixture
def result_dir(tmp_path: Path) -> Path:
    """An empty folder for results."""
    folder = tmp_path / "results"
    folder.mkdir()
    return folder
