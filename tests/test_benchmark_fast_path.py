"""The fast-path benchmark runs end to end at a toy size, so that its first real run is not its first run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_fast_path_benchmark_prints_every_variant_and_its_ratios() -> None:
    if not (Path(os.environ.get("GAPBOOK_DATA", "/nonexistent")) / "mnist.npz").exists():
        pytest.skip("the benchmark trains on MNIST: point $GAPBOOK_DATA at a folder holding mnist.npz")
    args = ["--cases", "f1:16", "--rounds", "1", "--seconds", "0", "--min-steps", "1", "--no-compile",
            "--peak-shape", "64", "64", "64"]  # fmt: skip
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "fast_path.py"), *args],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    for variant in ("engine fp32", "engine bf16", "engine channels-last", "engine bf16 + CL", "plain fp32",
                    "plain bf16 + CL"):  # fmt: skip
        assert f"| F1 | 16 | {variant} |" in done.stdout, variant
    assert "| 1 x 1 |" in done.stdout and "| not measured |" in done.stdout
    assert "Matrix product 64 x 64 x 64, GFLOP/s, median over all 1 rounds: fp32 matmul" in done.stdout
