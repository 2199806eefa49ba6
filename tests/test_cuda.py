"""What only a GPU can check: the fused Ghost BN kernel on CUDA, and the engine's mixed-precision paths.

Every test here is marked ``cuda`` and skipped without a GPU; ``benchmarks/gpu_check.sh`` runs them on one.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gapbook import ChunkLoopGhostBatchNorm, GhostBatchNorm2d
from gapbook.train import TrainConfig, train
from train_support import regime

pytestmark = pytest.mark.cuda


@pytest.mark.parametrize("channels_last", [False, True])
def test_the_fused_kernel_equals_the_chunk_loop_on_cuda(channels_last: bool) -> None:
    torch.manual_seed(0)
    ghost = GhostBatchNorm2d(16, ghost_batch_size=32).cuda()
    reference = ChunkLoopGhostBatchNorm(nn.BatchNorm2d(16), 32).cuda()
    x = torch.randn(256, 16, 8, 8, device="cuda") * 3 + 1
    if channels_last:
        x = x.to(memory_format=torch.channels_last)
    assert ghost.strategy == "auto"  # on a GPU "auto" is the fused kernel
    a, b = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    upstream = torch.randn_like(x)
    ghost(a).backward(upstream)
    reference(b).backward(upstream)
    torch.testing.assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(ghost.running_mean, reference.batchnorm.running_mean, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(ghost.running_var, reference.batchnorm.running_var, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(ghost.weight.grad, reference.batchnorm.weight.grad, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("precision", ["auto", "fp16", "fp32"])
def test_the_engine_trains_on_cuda_in_every_precision(mnist_root: str, precision: str) -> None:
    config = TrainConfig("f1", batch_size=32, ghost_batch_size=16, regime=regime(), data_root=mnist_root,
                         progress=False, device="cuda", precision=precision)  # fmt: skip
    result = train(config)
    expected = {"auto": ("bf16", "fp16"), "fp16": ("fp16",), "fp32": ("fp32",)}[precision]
    assert result.status == "completed" and result.precision in expected
    assert result.config["device"] == "cuda" and result.config["precision"] == result.precision
    assert result.final_test_acc is not None and result.final_test_acc > 0.3  # chance is 0.1
    assert config.hashed_fields()["device"] == "cuda"


def test_a_cuda_run_is_a_different_computation_from_a_cpu_run(mnist_root: str) -> None:
    on_cpu = TrainConfig("f1", batch_size=32, regime=regime(), data_root=mnist_root, device="cpu")
    on_gpu = on_cpu.replace(device="cuda:0")
    assert on_gpu.config_hash() != on_cpu.config_hash()
    assert on_gpu.config_hash() == on_cpu.replace(device="cuda").config_hash()
