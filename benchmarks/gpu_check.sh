#!/usr/bin/env bash
# Everything gapbook measures only on a GPU, in one command, within about ten minutes on one CUDA GPU:
#   (a) the tests that skip without CUDA (pytest -m cuda),
#   (b) the Ghost BN and training-throughput benchmarks on CUDA, with their ratios,
#   (c) the MNIST/F1 row of Table 1 at the paper's scale (all five columns, seed 0) into a results folder of its own,
#   (d) everything it measured, with provenance (GPU, driver, versions, commit, wall times), under one folder.
#
#   bash benchmarks/gpu_check.sh OUT            # on a machine with a CUDA GPU
#   bash benchmarks/gpu_check.sh --dry-run OUT  # the same steps on the CPU at toy sizes (CI runs this), so that
#                                               # the first GPU run is not the script's first run
#
# The data sets come from $GAPBOOK_DATA or the user cache (the MNIST cache must be there, or downloadable). The
# MNIST results land in OUT/results/full/ (dry run: OUT/results/smoke/); copy them into book/results/full/ to
# show them in the book. Each step's output is in OUT/*.txt; OUT/summary.txt lists what ran and how long it took.
set -uo pipefail

dry_run=0
if [ "${1:-}" = "--dry-run" ]; then dry_run=1; shift; fi
out=${1:?usage: bash benchmarks/gpu_check.sh [--dry-run] OUT}
cd "$(dirname "$0")/.."
mkdir -p "$out"
out=$(cd "$out" && pwd)
summary="$out/summary.txt"
: > "$summary"
failed=0

step() {  # step NAME COMMAND...: run COMMAND, its output to OUT/NAME.txt, its status and time to the summary
    local name=$1; shift
    local started=$SECONDS
    echo "== $name: $*" | tee -a "$summary"
    "$@" > "$out/$name.txt" 2>&1
    local status=$?
    echo "   exit $status after $((SECONDS - started)) s" | tee -a "$summary"
    [ $status -eq 0 ] || failed=1
}

python3 - > "$out/provenance.txt" <<'PY'
import json, platform, subprocess, torch
import gapbook
from gapbook.train.provenance import git_commit
gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
try:
    driver = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
                            capture_output=True, text=True, timeout=30).stdout.strip() or None
except OSError:
    driver = None
print(json.dumps({"gpu": gpu, "nvidia_smi": driver, "torch": torch.__version__, "cuda": torch.version.cuda,
                  "python": platform.python_version(), "gapbook": gapbook.__version__, "commit": git_commit(),
                  "cpu": platform.processor() or platform.machine(), "threads": torch.get_num_threads()}, indent=2))
PY
cat "$out/provenance.txt" >> "$summary"

if [ $dry_run -eq 0 ]; then
    python3 -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" || {
        echo "no CUDA GPU here: run with --dry-run, or on a machine with one" | tee -a "$summary"; exit 2; }
    step tests python3 -m pytest -p no:nbval -o addopts= -m cuda -rs tests
    step ghost_bn python3 benchmarks/ghost_bn.py --device cuda --rounds 10
    step train_throughput python3 benchmarks/train_throughput.py --device cuda --rounds 5
    step mnist_full python3 -m gapbook reproduce mnist-f1 --profile full --seeds 0 --device cuda --no-progress \
        --results-dir "$out/results"
    step table python3 -m gapbook table --profile full --results-dir "$out/results"
else
    # The CPU has no CUDA tests to run: collect them, so that a broken one fails here before it reaches a GPU.
    step tests python3 -m pytest -p no:nbval -o addopts= -m cuda -rs --collect-only -q tests
    step ghost_bn python3 benchmarks/ghost_bn.py --device cpu --model f1 --batch 256 --ghost 32 --rounds 1
    step train_throughput python3 benchmarks/train_throughput.py --device cpu --models f1 --batches 128 \
        --rounds 1 --steps 2 --workers 0 --threads 1
    step mnist_full python3 -m gapbook reproduce mnist-f1 --profile smoke --seeds 0 --device cpu --no-progress \
        --threads 1 --results-dir "$out/results"
    step table python3 -m gapbook table --profile smoke --results-dir "$out/results"
fi
echo "== done: $([ $failed -eq 0 ] && echo 'every step passed' || echo 'a step failed'), outputs in $out" \
    | tee -a "$summary"
exit $failed
