"""The CPU's fast path, measured in one run: the engine's training step in float32, bfloat16, channels-last, both,
and both under ``torch.compile``, beside a plain PyTorch loop, against the machine's matrix-product peaks.

For each case (network and batch; by default F1 at batch 4096 and 128, C1, ResNet44 and VGG16 at 128):

- ``engine <numerics>``: the engine's own epoch loop (:mod:`gapbook.train.engine`), as a run of ``gapbook train``
  goes through it: the device-resident loader with the authors' augmentation, the training step (autocast,
  cross-entropy, backward, gradient-norm clip at 5, SGD with the authors' first-phase momentum and weight
  decay), the learning-rate schedule, the weight-distance log, the loss and accuracy sums and their reads, with
  deterministic algorithms as the engine sets them on a CPU. An "epoch" is the timed stretch of steps: the run
  trains on a subset of exactly that many batches and evaluates nothing in between;
- ``plain <numerics>``: the loop anyone would write: one preloaded batch (from the same loader) reused every
  step, forward under autocast, cross-entropy, backward, ``optimizer.step()``, ``zero_grad``; the same network,
  initial weights and SGD settings, no clipping, no data pipeline, no bookkeeping, default algorithms.

Numerics: ``fp32`` (float32, contiguous NCHW), ``bf16`` (bfloat16 autocast), ``channels-last`` (float32 with images
and network channels-last), ``bf16 + CL`` (both) and ``bf16 + CL, compiled`` (both, with the engine's
``torch.compile`` of the network).

Every round times one stretch of each variant in turn (order reversed every other round) after an untimed warm-up
stretch (allocations, algorithm choices, compilation). Milliseconds per step are medians over rounds; each ratio
is the median over rounds of that round's ratio, so slow drifts of a shared machine hit all variants alike.

FLOPs are counted, not estimated: :class:`torch.utils.flop_counter.FlopCounterMode` over one float32 forward and
backward of the network at the case's batch, i.e. the matrix products and convolutions of both passes at 2 FLOPs per
multiply-add (the backward's weight and input gradients included, the first layer's input gradient not, since
autograd does not compute it). Elementwise work (batch norm, ReLU, pooling, the loss, the optimizer) is not counted,
so the GFLOP/s figures are a lower bound of the work done. The peaks are the GFLOP/s of one ``(M, K) @ (K, N)``
matrix product in float32 and in bfloat16 (the best of three), through ``torch.matmul`` and through oneDNN's linear
layer (on an AMD CPU MKL's float32 GEMM, which ``torch.matmul`` uses, is much slower than oneDNN's), the faster of
the two, timed in every round beside the variants, so that they see the same load; a float32 variant is set against
the float32 peak of its round, a bfloat16 one against the bfloat16 peak, and the fraction is the median over rounds.

    python benchmarks/fast_path.py                      # CPU, one thread, every case (README.md: the figures)
    python benchmarks/fast_path.py --cases c1:128 --rounds 3 --no-compile
"""

from __future__ import annotations

import argparse
import copy
import math
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
from tqdm.auto import tqdm

from gapbook.data import load_arrays, train_loader
from gapbook.models import build, model_info
from gapbook.train import TrainConfig, authors_regime
from gapbook.train.distributed import current
from gapbook.train.engine import _deterministic, _Run
from gapbook.train.precision import AmpPolicy, resolve_precision
from train_throughput import cpu_model

CPU = torch.device("cpu")
DEFAULT_CASES = ("f1:4096", "f1:128", "c1:128", "resnet44:128", "vgg16:128")
Stretch = Callable[[], None]


@dataclass(frozen=True)
class Numerics:
    """How a step computes: autocast precision, memory format, compiled or not."""

    precision: str
    channels_last: bool
    compile: bool = False

    @property
    def label(self) -> str:
        """``fp32``, ``bf16``, ``channels-last``, ``bf16 + CL``, with ``, compiled`` when compiled."""
        if self.channels_last:
            label = "bf16 + CL" if self.precision == "bf16" else "channels-last"
        else:
            label = self.precision
        return label + (", compiled" if self.compile else "")


ENGINE = (
    Numerics("fp32", False),
    Numerics("bf16", False),
    Numerics("fp32", True),
    Numerics("bf16", True),
    Numerics("bf16", True, compile=True),
)
PLAIN = (Numerics("fp32", False), Numerics("bf16", True))
BASELINE = "engine fp32"


def parse_case(text: str) -> tuple[str, int]:
    """``"network:batch"``, e.g. ``c1:128``."""
    name, _, batch = text.partition(":")
    if not batch.isdigit() or int(batch) < 1:
        raise argparse.ArgumentTypeError(f"a case is network:batch, e.g. c1:128; got {text!r}")
    model_info(name)  # refuses an unknown network by name
    return name.lower(), int(batch)


def engine_config(name: str, batch: int, steps: int, numerics: Numerics, data_root: str | None) -> TrainConfig:
    """A run whose epoch is ``steps`` steps of ``name`` at ``batch``, evaluated only at its (never reached) end."""
    return TrainConfig(
        model=name,
        batch_size=batch,
        train_size=steps * batch,
        test_size=batch,
        device="cpu",
        precision=numerics.precision,
        channels_last=numerics.channels_last,
        compile=numerics.compile,
        eval_every=10**6,
        progress=False,
        data_root=data_root,
    )


def engine_stretch(config: TrainConfig, rounds: int) -> Stretch:
    """One epoch of the engine's loop per call, on a run that lasts longer than the benchmark: the engine's own run
    object, driven epoch by epoch, so that the very loop a run executes is timed."""
    run = _Run(config, current(), CPU, resolve_precision(config.precision, CPU))
    if run.num_epochs <= rounds + 1:
        raise ValueError(
            f"{config.model}'s regime has {run.num_epochs} epochs; ask for fewer than {run.num_epochs - 1} rounds"
        )
    bar = tqdm(disable=True)

    def stretch() -> None:
        with _deterministic(True):
            run._epoch(bar)

    return stretch


def plain_stretch(
    base: nn.Module, name: str, batch: tuple[torch.Tensor, torch.Tensor], steps: int, numerics: Numerics
) -> Stretch:
    """``steps`` steps of the plain loop on a copy of ``base`` and the preloaded ``batch``."""
    model = copy.deepcopy(base)
    x, y = batch
    if numerics.channels_last:
        model, x = model.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)
    first = authors_regime(name).phases[0]
    optimizer = torch.optim.SGD(
        model.parameters(), lr=first.lr, momentum=first.momentum or 0.0, weight_decay=first.weight_decay or 0.0
    )
    autocast = AmpPolicy(numerics.precision, "cpu").autocast

    def stretch() -> None:
        for _ in range(steps):
            with autocast():
                loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)

    return stretch


def step_flops(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> int:
    """Matrix-product and convolution FLOPs of one float32 forward and backward (see the module docstring)."""
    model = copy.deepcopy(model)
    with FlopCounterMode(display=False) as counter:
        F.cross_entropy(model(x), y).backward()
    return counter.get_total_flops()


PRECISIONS = {"fp32": torch.float32, "bf16": torch.bfloat16}
LIBRARIES = ("matmul", "oneDNN")
"""The two ways of computing a matrix product timed for the peaks: ``torch.matmul`` (MKL's GEMM in float32,
oneDNN's in bfloat16) and oneDNN's linear layer in both precisions (what ``torch.utils.mkldnn`` runs)."""


class Peaks:
    """The float32 and bfloat16 matrix-product peaks: GFLOP/s of one ``(M, K) @ (K, N)`` through each of
    :data:`LIBRARIES`, the best of ``repeats`` each; a precision's peak is the faster library's."""

    def __init__(self, shape: tuple[int, int, int], repeats: int = 3) -> None:
        m, k, n = shape
        generator = torch.Generator().manual_seed(0)
        a, w = torch.randn(m, k, generator=generator), torch.randn(n, k, generator=generator)
        self.products: dict[str, Callable[[], object]] = {}
        for precision, dtype in PRECISIONS.items():
            self.products.update(_products(precision, a.to(dtype), w.to(dtype)))
        self.flops, self.repeats = 2 * m * k * n, repeats
        self.measure()  # warm-up

    def measure(self) -> dict[str, float]:
        """GFLOP/s of every precision and library (``"fp32 matmul"``, ...), now."""
        rates = {}
        for key, product in self.products.items():
            best = math.inf
            for _ in range(self.repeats):
                start = time.perf_counter()
                product()
                best = min(best, time.perf_counter() - start)
            rates[key] = self.flops / best / 1e9
        return rates


def _products(precision: str, a: torch.Tensor, w: torch.Tensor) -> dict[str, Callable[[], object]]:
    """``a @ w.T`` through each library, keyed ``"<precision> <library>"``."""
    b, a_onednn, w_onednn = w.t().contiguous(), a.to_mkldnn(), w.to_mkldnn()
    return {
        f"{precision} matmul": lambda: a @ b,
        f"{precision} oneDNN": lambda: torch._C._nn.mkldnn_linear(a_onednn, w_onednn, None),
    }


def peak_of(rates: dict[str, float], precision: str) -> float:
    """A precision's peak in one measurement: its faster library."""
    return max(rates[f"{precision} {library}"] for library in LIBRARIES)


@dataclass(frozen=True)
class Case:
    """Seconds per step of every variant in every round, for one network at one batch."""

    name: str
    batch: int
    steps: int
    flops: int
    seconds: dict[str, list[float]]
    peaks: list[dict[str, float]]

    def ms(self, variant: str) -> float:
        return 1000 * statistics.median(self.seconds[variant])

    def ratio(self, variant: str, over: str = BASELINE) -> float:
        """How many times faster ``variant`` is than ``over``: median over rounds of the per-round ratio."""
        return statistics.median(o / v for v, o in zip(self.seconds[variant], self.seconds[over]))

    def of_peak(self, variant: str) -> float:
        """The fraction of its precision's peak that ``variant`` reaches: median over rounds."""
        precision = precision_of(variant)
        return statistics.median(self.flops / v / 1e9 / peak_of(rates, precision)
                                 for v, rates in zip(self.seconds[variant], self.peaks))  # fmt: skip

    def peak(self, precision: str) -> float:
        """The median peak of the case's rounds, GFLOP/s."""
        return statistics.median(peak_of(rates, precision) for rates in self.peaks)


def precision_of(variant: str) -> str:
    """The precision of a variant's matrix products: ``bf16`` or ``fp32``."""
    return "bf16" if "bf16" in variant else "fp32"


def measure(name: str, batch: int, args: argparse.Namespace, peaks: Peaks) -> Case:
    """Time every variant of network ``name`` at ``batch`` and the peaks in interleaved rounds."""
    torch.manual_seed(TrainConfig(model=name).seed)  # the engine's initial weights
    base = build(name)
    preloaded = next(iter(train_loader(load_arrays(model_info(name).dataset, root=args.data_root), batch)))
    flops = step_flops(base, *preloaded)
    one = plain_stretch(base, name, preloaded, 1, PLAIN[0])
    one()
    start = time.perf_counter()
    one()
    steps = max(args.min_steps, math.ceil(args.seconds / (time.perf_counter() - start)))

    stretches: dict[str, Stretch] = {}
    for numerics in ENGINE:
        if numerics.compile and args.no_compile:
            continue
        config = engine_config(name, batch, steps, numerics, args.data_root)
        stretches[f"engine {numerics.label}"] = engine_stretch(config, args.rounds)
    for numerics in PLAIN:
        stretches[f"plain {numerics.label}"] = plain_stretch(base, name, preloaded, steps, numerics)

    started = time.perf_counter()
    for stretch in stretches.values():
        stretch()  # warm-up, compilation included
    print(f"  warm-up {time.perf_counter() - started:.0f} s", flush=True)
    seconds: dict[str, list[float]] = {key: [] for key in stretches}
    rates = []
    for round_ in range(args.rounds):
        rates.append(peaks.measure())
        for key in list(stretches)[:: -1 if round_ % 2 else 1]:
            start = time.perf_counter()
            stretches[key]()
            seconds[key].append((time.perf_counter() - start) / steps)
    return Case(model_info(name).label, batch, steps, flops, seconds, rates)


def cpu_flags() -> str:
    """The CPU's matrix and bfloat16 extensions, as /proc/cpuinfo lists them."""
    cpuinfo = Path("/proc/cpuinfo")
    flags = cpuinfo.read_text().split() if cpuinfo.exists() else []
    wanted = sorted({flag for flag in flags if flag.startswith("amx") or flag in ("avx512_bf16", "avx512f", "avx2")})
    return ", ".join(wanted) or "none of amx*, avx512_bf16, avx512f, avx2"


def report(cases: list[Case]) -> None:
    """The Markdown table of every variant, then the side-by-side ratios and the peaks."""
    print("\n| model | batch | variant | ms/step | samples/s | x engine fp32 | GFLOP/s | of its peak |")
    print("|---|---|---|---|---|---|---|---|")
    for case in cases:
        for variant in case.seconds:
            rate = case.flops / (case.ms(variant) / 1000) / 1e9
            print(f"| {case.name} | {case.batch} | {variant} | {case.ms(variant):,.1f} "
                  f"| {case.batch / case.ms(variant) * 1000:,.0f} | {case.ratio(variant):.2f}x "
                  f"| {rate:,.1f} | {100 * case.of_peak(variant):.0f}% ({precision_of(variant)}) |")  # fmt: skip
    print("\n| model | batch | GFLOP/step | steps x rounds | engine bf16 + CL gain | plain bf16 + CL gain "
          "| engine / plain, fp32 | engine / plain, bf16 + CL | compiled / not | peak fp32, bf16 (GFLOP/s) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for case in cases:
        compiled = "engine bf16 + CL, compiled"
        versus = f"{case.ratio(compiled, 'engine bf16 + CL'):.2f}x" if compiled in case.seconds else "not measured"
        print(f"| {case.name} | {case.batch} | {case.flops / 1e9:.2f} | {case.steps} x {len(case.seconds[BASELINE])} "
              f"| {case.ratio('engine bf16 + CL'):.2f}x "
              f"| {case.ratio('plain bf16 + CL', 'plain fp32'):.2f}x "
              f"| {case.ratio('plain fp32'):.2f}x | {case.ratio('plain bf16 + CL', 'engine bf16 + CL'):.2f}x "
              f"| {versus} | {case.peak('fp32'):.0f}, {case.peak('bf16'):.0f} |")  # fmt: skip
    print("\nGains: time per step of float32 over bf16 + CL (engine: its fp32 over its bf16 + CL; plain likewise). "
          "engine / plain: how many times longer the engine's step takes than the plain loop's at those numerics "
          "(1.00x: the engine costs nothing over the plain loop). compiled / not: the compiled engine's speed over "
          "the uncompiled one's (below 1: compiling made it slower). Peaks: medians over the case's rounds.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", type=parse_case, default=[parse_case(c) for c in DEFAULT_CASES],
                        metavar="NET:BATCH", help=f"networks and batches (default: {' '.join(DEFAULT_CASES)})")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default: 1)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved timed rounds (default: 5)")
    parser.add_argument("--seconds", type=float, default=2.0, help="aim for this many seconds of plain float32 steps "
                        "per variant and round (default: 2)")
    parser.add_argument("--min-steps", type=int, default=2, help="at least this many steps per stretch (default: 2)")
    parser.add_argument("--no-compile", action="store_true", help="leave out the compiled variant (compiling a "
                        "network takes minutes on one thread)")
    parser.add_argument("--peak-shape", nargs=3, type=int, default=(4096, 2048, 2048), metavar=("M", "K", "N"),
                        help="the matrix product of the peaks (default: 4096 2048 2048)")
    parser.add_argument("--data-root", help="folder holding the data sets (default: $GAPBOOK_DATA, else the user "
                        "cache)")
    args = parser.parse_args()
    if args.threads < 1 or args.rounds < 1 or args.min_steps < 1:
        parser.error("--threads, --rounds and --min-steps must be at least 1")
    torch.set_num_threads(args.threads)
    shape = tuple(args.peak_shape)

    started = time.perf_counter()
    print(f"{date.today()}, {cpu_model()} ({cpu_flags()}), torch {torch.__version__}, {torch.get_num_threads()} "
          f"thread(s), {args.rounds} rounds, load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    peaks = Peaks(shape)
    cases = []
    for name, batch in args.cases:
        print(f"{model_info(name).label} at batch {batch}:", flush=True)
        cases.append(measure(name, batch, args, peaks))
        print(f"  done, {time.perf_counter() - started:.0f} s so far", flush=True)
    rates = [rate for case in cases for rate in case.peaks]
    medians = ", ".join(f"{key} {statistics.median(rate[key] for rate in rates):.0f}" for key in rates[0])
    ratio = statistics.median(peak_of(rate, "bf16") / peak_of(rate, "fp32") for rate in rates)
    print(f"\nMatrix product {' x '.join(map(str, shape))}, GFLOP/s, median over all {len(rates)} rounds: {medians}; "
          f"peak bfloat16 / peak float32 {ratio:.2f}x (median of the per-round ratios)")
    report(cases)
    print(f"\nTotal time: {time.perf_counter() - started:.0f} s, load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
