"""What Ghost Batch Norm costs: a whole training step and one BatchNorm layer, side by side in one run.

Compares, at batch 4096 with ghost batch 128 (the paper's setting):
  - ``BatchNorm``: ordinary ``nn.BatchNorm`` (no ghost batches; the baseline);
  - ``GhostBN``: ``gapbook``'s Ghost BN as the device picks it (``strategy="auto"``);
  - ``GhostBN fused`` / ``GhostBN loop``: both of its strategies, forced (the auto choice must be the faster);
  - ``chunk loop``: a Python loop over the ghost batches through an ordinary BatchNorm module, the way the
    authors' code and MosaicML Composer do it.
It also times the input checks that ``ghost_batch_norm`` makes before computing anything (the sizes that
``F.batch_norm`` checks), against the layer step they guard.
Times are medians over interleaved rounds (every variant once per round), so slow drifts of a shared machine
hit all variants alike; the ratios to ``BatchNorm`` are what to read. The variants, the training step and the
timer come from ``gapbook.train.timing``, which the Ghost BN chapter uses too.

    python benchmarks/ghost_bn.py                 # CPU, C1 (the paper's CIFAR-10 net), batch 4096
    python benchmarks/ghost_bn.py --device cuda   # on a GPU
"""

from __future__ import annotations

import argparse
import timeit
from collections.abc import Callable

import torch
from torch import nn

from gapbook import models
from gapbook.train.timing import time_interleaved, training_step, variants
from gapbook.ghost_bn import check_inputs


def layer_step(layer: nn.Module, x: torch.Tensor) -> Callable[[], None]:
    """Forward and backward through one normalization layer."""
    x = x.clone().requires_grad_(True)
    upstream = torch.randn_like(x)

    def step() -> None:
        x.grad = None
        layer(x).backward(upstream)

    return step


def checks_seconds(bn: nn.BatchNorm2d | nn.BatchNorm1d, x: torch.Tensor, calls: int = 2000) -> float:
    """Seconds per call of the checks ``ghost_batch_norm`` makes before computing (best of 5 batches of calls)."""
    arguments = (x, bn.running_mean, bn.running_var, bn.weight, bn.bias, True, bn.eps)
    return min(timeit.repeat(lambda: check_inputs(*arguments), number=calls, repeat=5)) / calls


def report(title: str, seconds: dict[str, float], unit: str) -> None:
    print(f"\n{title}\n")
    print(f"| variant | {unit} | ratio to BatchNorm |\n|---|---|---|")
    for name, value in seconds.items():
        print(f"| {name} | {value * 1e3:.1f} | {value / seconds['BatchNorm']:.2f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    parser.add_argument("--model", default="c1", help="a gapbook.models name for the training step (default: c1)")
    parser.add_argument("--batch", type=int, default=4096, help="batch size (default: 4096)")
    parser.add_argument("--ghost", type=int, default=128, help="ghost batch size (default: 128)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per variant (default: 5)")
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.manual_seed(0)

    info = models.model_info(args.model)
    x = torch.randn(args.batch, *info.input_shape, device=device)
    y = torch.randint(0, info.num_classes, (args.batch,), device=device)
    print(f"device {device} ({torch.cuda.get_device_name(device) if device.type == 'cuda' else 'CPU'}), "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch}, "
          f"ghost {args.ghost}, {args.rounds} rounds")

    base = models.build(args.model).to(device)
    steps = {name: training_step(model, x, y) for name, model in variants(base, args.ghost).items()}
    report(f"Whole training step, {args.model} (ms per step)", time_interleaved(steps, args.rounds, device),
           "ms per step")

    layers = {
        "BatchNorm2d (N, 64, 16, 16)": (nn.BatchNorm2d(64), torch.randn(args.batch, 64, 16, 16)),
        "BatchNorm1d (N, 384)": (nn.BatchNorm1d(384), torch.randn(args.batch, 384)),
    }
    for title, (bn, features) in layers.items():
        steps = {name: layer_step(layer.to(device), features.to(device))
                 for name, layer in variants(bn, args.ghost).items()}
        seconds = time_interleaved(steps, 3 * args.rounds, device)
        report(f"One layer, {title}, forward + backward (ms)", seconds, "ms")
        checks = checks_seconds(bn.to(device), features.to(device))
        print(f"\nInput checks of ghost_batch_norm: {checks * 1e6:.1f} us per call, "
              f"{checks / seconds['GhostBN']:.2%} of the GhostBN step")


if __name__ == "__main__":
    main()
