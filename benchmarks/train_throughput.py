"""Training throughput: gapbook's device-resident loader against a pure model step and a torchvision DataLoader.

For F1 on MNIST and C1 and ResNet44 on CIFAR-10, at batch 128 and 4096, three ways of feeding the same training
step, side by side in one run:
  - ``pure step``: one batch preloaded on the device and reused every step (the upper bound: no data pipeline);
  - ``gapbook loader``: :func:`gapbook.data.train_loader`, the whole data set on the device and the authors'
    augmentation (CIFAR: pad 4, random crop 32, flip; MNIST: pad 2, random crop 28, flip) batched on the device;
  - ``DataLoader``: a pipeline like the authors', a Dataset over the same uint8 arrays returning PIL images,
    torchvision's RandomCrop (with padding), RandomHorizontalFlip, ToTensor and Normalize, and a ``DataLoader``
    with worker processes (pinned memory on CUDA) whose batches are copied to the device.

The training step is the engine's own, :func:`gapbook.train.train_step`: autocast as the precision policy says
(bf16 on recent GPUs, fp32 on the CPU), cross-entropy, backward, gradient-norm clip at 5, SGD with the authors'
first-phase momentum and weight decay; channels-last for the conv nets on CUDA; deterministic algorithms on the
CPU. Left out: what the engine does around the step (the LR schedule, the weight-distance log and the loss sums), a
few scalar operations per step.

Every round times ``steps`` consecutive steps of each pipeline in turn, in reverse order every other round;
samples/s come from the median time per step over rounds, and each ratio to the pure step is the median over
rounds of that round's ratio, so slow drifts of a shared machine hit all pipelines alike. Absolute figures vary
with the load of the machine; the ratios are what to read. The DataLoader's workers are started afresh each round
(so that they never run while another pipeline is timed) and warmed up untimed: the batches they made together at
start-up are taken and one step is trained. Worker start-up at each epoch is therefore not timed, which favours
the DataLoader.

    python benchmarks/train_throughput.py --threads 1           # CPU: ~40 min on 2 busy cores (README.md)
    python benchmarks/train_throughput.py --threads 1 --quick   # CPU without ResNet44 at batch 4096: ~8 min
    python benchmarks/train_throughput.py --device cuda         # on a GPU
"""

from __future__ import annotations

import argparse
import copy
import itertools
import math
import platform
import statistics
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from gapbook.data import ArrayDataset, DeviceLoader, load_arrays, paper_augmentation, train_loader
from gapbook.models import build, model_info
from gapbook.train import AmpPolicy, authors_regime, resolve_precision, train_step
from gapbook.train.timing import synchronize

GRAD_CLIP = 5.0
"""The engine's default gradient-norm clip (``TrainConfig.grad_clip``)."""

MODELS = ("f1", "c1", "resnet44")
BATCHES = (128, 4096)
CONV_NETS = ("c1", "resnet44")

Batch = tuple[torch.Tensor, torch.Tensor]
Step = Callable[[torch.Tensor, torch.Tensor], None]


def training_step(model: nn.Module, name: str, policy: AmpPolicy) -> Step:
    """The engine's training step for ``model`` (network ``name``), with an optimizer and a scaler of its own."""
    first = authors_regime(name).phases[0]
    optimizer = torch.optim.SGD(
        model.parameters(), lr=first.lr, momentum=first.momentum or 0.0, weight_decay=first.weight_decay or 0.0
    )
    scaler = policy.grad_scaler()

    def step(x: torch.Tensor, y: torch.Tensor) -> None:
        train_step(model, optimizer, x, y, policy=policy, scaler=scaler, grad_clip=GRAD_CLIP)

    return step


class Pipeline(ABC):
    """Batches on the device for one timed stretch of steps: ``open``, then ``next`` per step, then ``close``."""

    warm_each_round = False
    """Whether each round starts with one untimed step (for pipelines that restart in ``open``)."""

    def open(self) -> None:
        """Get ready for a round (untimed)."""

    @abstractmethod
    def next(self) -> Batch:
        """The next batch, on the device."""

    def close(self) -> None:
        """Release what the round used (untimed)."""


class Preloaded(Pipeline):
    """The same batch, already on the device, every step."""

    def __init__(self, batch: Batch) -> None:
        self.batch = batch

    def next(self) -> Batch:
        return self.batch


class OnDevice(Pipeline):
    """gapbook's device-resident loader, epoch after epoch."""

    def __init__(self, loader: DeviceLoader) -> None:
        self.batches = self._epochs(loader)

    @staticmethod
    def _epochs(loader: DeviceLoader) -> Iterator[Batch]:
        for epoch in itertools.count():
            loader.set_epoch(epoch)
            yield from loader

    def next(self) -> Batch:
        return next(self.batches)


class PilArrays(Dataset):
    """uint8 images as PIL images through torchvision transforms, as torchvision's MNIST and CIFAR data sets do."""

    def __init__(
        self, images: np.ndarray, labels: np.ndarray, transform: Callable[[Image.Image], torch.Tensor]
    ) -> None:
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.transform(Image.fromarray(self.images[index])), int(self.labels[index])


class Workers(Pipeline):
    """A torchvision DataLoader with worker processes, started afresh each round; batches copied to the device."""

    warm_each_round = True

    def __init__(self, loader: DataLoader, device: torch.device, memory_format: torch.memory_format) -> None:
        self.loader, self.device, self.memory_format = loader, device, memory_format
        self.batches: Iterator[Batch] | None = None

    @property
    def startup_batches(self) -> int:
        """Batches the workers make together at start-up: ``open`` drops all but the last, the warm-up step's."""
        return max(self.loader.num_workers, 1)

    def open(self) -> None:
        self.batches = iter(self.loader)
        for _ in range(self.startup_batches - 1):
            self.next()

    def next(self) -> Batch:
        assert self.batches is not None, "open() first"
        x, y = next(self.batches)
        x = x.to(self.device, non_blocking=True).contiguous(memory_format=self.memory_format)
        return x, y.to(self.device, non_blocking=True)

    def close(self) -> None:
        self.batches = None  # dropping the iterator shuts its workers down


def torchvision_loader(data: ArrayDataset, batch_size: int, workers: int, pin_memory: bool) -> DataLoader:
    """The authors' kind of pipeline over ``data``'s training split, with the same augmentation and normalization."""
    aug = paper_augmentation(data.name)
    transform = transforms.Compose(
        [
            transforms.RandomCrop(aug.crop, padding=aug.pad),
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
            transforms.Normalize(data.mean, data.std),
        ]
    )
    return DataLoader(
        PilArrays(data.x_train, data.y_train, transform),
        batch_size,
        shuffle=True,
        drop_last=True,
        num_workers=workers,
        pin_memory=pin_memory,
        generator=torch.Generator().manual_seed(0),
    )


def timed(step: Step, pipeline: Pipeline, steps: int, device: torch.device) -> float:
    """Seconds per step over ``steps`` consecutive steps fed by ``pipeline`` (its set-up untimed)."""
    pipeline.open()
    if pipeline.warm_each_round:
        step(*pipeline.next())
    synchronize(device)
    start = time.perf_counter()
    for _ in range(steps):
        step(*pipeline.next())
    synchronize(device)
    seconds = (time.perf_counter() - start) / steps
    pipeline.close()
    return seconds


@dataclass(frozen=True)
class Result:
    """Seconds per step of each pipeline in each round, for one (model, batch)."""

    model: str
    batch: int
    mode: str
    steps: int
    seconds: dict[str, list[float]]

    def samples_per_s(self, pipeline: str) -> float:
        """Samples per second at the median time per step."""
        return self.batch / statistics.median(self.seconds[pipeline])

    def ratio(self, pipeline: str) -> float:
        """Time per step relative to the pure step of the same round, median over rounds."""
        pure = self.seconds["pure step"]
        return statistics.median(t / p for t, p in zip(self.seconds[pipeline], pure))


def measure(
    name: str, batch: int, data: ArrayDataset, args: argparse.Namespace, device: torch.device, policy: AmpPolicy
) -> Result:
    """Time the three pipelines for network ``name`` at batch size ``batch``, interleaved over rounds."""
    channels_last = device.type == "cuda" and name in CONV_NETS
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    preloaded = next(iter(train_loader(data, batch, device=device, channels_last=channels_last, seed=1)))
    workers = Workers(
        torchvision_loader(data, batch, args.workers, pin_memory=device.type == "cuda"), device, memory_format
    )
    pipelines: dict[str, Pipeline] = {
        "pure step": Preloaded(preloaded),
        "gapbook loader": OnDevice(train_loader(data, batch, device=device, channels_last=channels_last)),
        "DataLoader": workers,
    }
    torch.manual_seed(0)
    base = build(name).to(device, memory_format=memory_format)
    steps = {key: training_step(copy.deepcopy(base), name, policy) for key in pipelines}

    for key, pipeline in pipelines.items():
        timed(steps[key], pipeline, 1, device)  # warm-up: first-call costs, allocations, algorithm choices
    if args.steps is None:
        pure = timed(steps["pure step"], pipelines["pure step"], 1, device)
        per_round = max(1, math.ceil(args.seconds / pure))
    else:
        per_round = args.steps
    # The DataLoader starts a new epoch each round, so a round fits in one epoch.
    per_round = min(per_round, len(workers.loader) - workers.startup_batches)

    seconds: dict[str, list[float]] = {key: [] for key in pipelines}
    for round_ in range(args.rounds):
        for key in list(pipelines)[:: -1 if round_ % 2 else 1]:
            seconds[key].append(timed(steps[key], pipelines[key], per_round, device))
    mode = policy.precision + (", channels-last" if channels_last else "")
    return Result(model_info(name).label, batch, mode, per_round, seconds)


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def report(results: list[Result], skipped: list[str]) -> None:
    """The Markdown table of all results, then what was not measured."""
    print(
        "\n| model | batch | mode | steps x rounds | pure step (samples/s) | gapbook loader (samples/s) "
        "| DataLoader (samples/s) | loader / pure | DataLoader / pure | loader within 1.10x | loader beats DataLoader |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        loader, workers = r.ratio("gapbook loader"), r.ratio("DataLoader")
        print(
            f"| {r.model} | {r.batch} | {r.mode} | {r.steps} x {len(r.seconds['pure step'])} "
            f"| {r.samples_per_s('pure step'):,.0f} | {r.samples_per_s('gapbook loader'):,.0f} "
            f"| {r.samples_per_s('DataLoader'):,.0f} "
            f"| {loader:.2f}x | {workers:.2f}x | {'yes' if loader <= 1.10 else 'no'} "
            f"| {'yes' if loader < workers else 'no'} |"
        )
    print("\nRatios: time per step relative to the pure step of the same round, median over rounds (1.00x: the data "
          "pipeline costs nothing).")
    for note in skipped:
        print(f"Not measured: {note}.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS, help="networks (default: all)")
    parser.add_argument("--batches", nargs="+", type=int, default=list(BATCHES), help="batch sizes (default: 128 4096)")
    parser.add_argument("--precision", default="auto", help="engine precision: auto (bf16 on recent GPUs, fp32 on the "
                        "CPU), fp32, bf16 or fp16 (default: auto)")
    parser.add_argument("--workers", type=int, default=2, help="DataLoader worker processes (default: 2)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads of the training process "
                        "(default: torch's, one per core)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved timed rounds (default: 5)")
    parser.add_argument("--seconds", type=float, default=2.0, help="aim for this many seconds of steps per pipeline "
                        "and round, at least one step (default: 2)")
    parser.add_argument("--steps", type=int, default=None, help="timed steps per pipeline and round (overrides "
                        "--seconds; capped at one epoch)")
    parser.add_argument("--quick", action="store_true", help="skip ResNet44 at batches of 4096 and more (30-80 s per "
                        "step on 2 CPU cores, most of a CPU run)")
    args = parser.parse_args()
    device = torch.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    policy = resolve_precision(args.precision, device)
    # The engine trains with deterministic algorithms on the CPU.
    torch.use_deterministic_algorithms(device.type == "cpu")

    hardware = torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_model()
    threads = torch.get_num_threads()
    print(f"{date.today()}, device {device} ({hardware}), torch {torch.__version__}, {threads} torch "
          f"thread{'' if threads == 1 else 's'}, {args.workers} DataLoader workers, precision {policy.precision}, "
          f"{args.rounds} rounds")
    datasets: dict[str, ArrayDataset] = {}
    results: list[Result] = []
    skipped: list[str] = []
    started = time.perf_counter()
    for name, batch in itertools.product(args.models, args.batches):
        label = f"{model_info(name).label} at batch {batch}"
        if args.quick and name == "resnet44" and batch >= 4096:
            skipped.append(f"{label} (--quick)")
            continue
        dataset = model_info(name).dataset
        if dataset not in datasets:
            datasets[dataset] = load_arrays(dataset)
        result = measure(name, batch, datasets[dataset], args, device, policy)
        results.append(result)
        print(f"{label}: {result.steps} step(s) x {args.rounds} rounds, "
              f"{time.perf_counter() - started:.0f} s so far", flush=True)
    report(results, skipped)
    print(f"\nTotal time: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
