"""The GPU check script runs end to end on the CPU (its dry run), so that its first GPU run is not its first run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_dry_run_passes_every_step_and_records_its_provenance(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    if not (Path(env.get("GAPBOOK_DATA", "/nonexistent")) / "mnist.npz").exists():
        pytest.skip("the throughput benchmark trains on MNIST: point $GAPBOOK_DATA at a folder holding mnist.npz")
    out = tmp_path / "out"
    done = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu_check.sh"), "--dry-run", str(out)],
                          capture_output=True, text=True, timeout=900, env=env)  # fmt: skip
    summary = (out / "summary.txt").read_text()
    assert done.returncode == 0, summary + done.stderr[-2000:]
    assert summary.count("exit 0 after") == 5 and "every step passed" in summary
    provenance = json.loads((out / "provenance.txt").read_text())
    assert provenance["torch"] and "commit" in provenance and provenance["gpu"] is None
    assert list((out / "results" / "smoke").glob("f1-mnist-*.json")), "the MNIST row left no results"
    assert "| F1 on MNIST | SB |" in (out / "table.txt").read_text()
    assert "cuda" in (out / "tests.txt").read_text()  # the CUDA tests were collected


def test_without_a_gpu_the_real_run_refuses_and_says_why(tmp_path: Path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    done = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu_check.sh"), str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"})
    assert done.returncode == 2 and "no CUDA GPU here: run with --dry-run" in done.stdout
