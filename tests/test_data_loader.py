"""DeviceLoader and batched augmentation: batching, seeding, alignment, crop/flip, normalization, DDP slices."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gapbook.data import (
    ArrayDataset,
    Augmentation,
    CropFlipParams,
    DeviceLoader,
    crop_flip,
    draw_params,
    eval_loader,
    paper_augmentation,
    train_loader,
)

UNIT = {"mean": (0.0,), "std": (1.0,)}  # x = pixel / 255


def indexed_images(n: int, size: int = 8) -> np.ndarray:
    """Grey images whose pixels [0, 0] and [0, 1] hold the sample index (high and low byte)."""
    x = np.full((n, size, size), 128, np.uint8)
    x[:, 0, 0] = np.arange(n) // 256
    x[:, 0, 1] = np.arange(n) % 256
    return x


def decode(x: torch.Tensor) -> list[int]:
    """Sample indices of a batch of unaugmented ``indexed_images`` loaded with UNIT normalization."""
    pixels = (x[:, 0, 0, :2] * 255).round().long()
    return (pixels[:, 0] * 256 + pixels[:, 1]).tolist()


def labelled(n: int = 64, size: int = 12, classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Images whose bright centre value encodes the label; padding and background stay darker."""
    y = np.arange(n) % classes
    x = np.zeros((n, size, size), np.uint8)
    x[:, 2:-2, 2:-2] = (20 * (y + 1)).astype(np.uint8)[:, None, None]
    return x, y.astype(np.uint8)


def batches(loader: DeviceLoader) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return list(loader)


def test_training_yields_full_batches_of_distinct_samples() -> None:
    loader = DeviceLoader(indexed_images(100), np.zeros(100, np.uint8), 32, train=True, **UNIT)
    got = batches(loader)
    assert len(loader) == 3 and [len(y) for _, y in got] == [32, 32, 32]
    seen = [i for x, _ in got for i in decode(x)]
    assert len(set(seen)) == 96 and seen != sorted(seen)
    x, y = got[0]
    assert x.dtype == torch.float32 and x.shape == (32, 1, 8, 8) and y.dtype == torch.int64


def test_evaluation_covers_every_sample_once_in_order() -> None:
    loader = DeviceLoader(indexed_images(100), np.zeros(100, np.uint8), 32, train=False, **UNIT)
    got = batches(loader)
    assert len(loader) == 4 and [len(y) for _, y in got] == [32, 32, 32, 4]
    assert [i for x, _ in got for i in decode(x)] == list(range(100))


def test_same_seed_and_epoch_repeat_and_other_epochs_differ() -> None:
    x, y = labelled()
    aug = Augmentation(pad=2, crop=12, flip=True)

    def epoch_batches(seed: int, epoch: int) -> torch.Tensor:
        loader = DeviceLoader(x, y, 16, train=True, augmentation=aug, seed=seed, **UNIT)
        loader.set_epoch(epoch)
        return torch.cat([b for b, _ in loader])

    run = epoch_batches(seed=1, epoch=3)
    assert torch.equal(run, epoch_batches(seed=1, epoch=3))  # a fresh (resumed) loader sees the same batches
    assert not torch.equal(run, epoch_batches(seed=1, epoch=4))
    assert not torch.equal(run, epoch_batches(seed=2, epoch=3))


def test_labels_stay_with_images_under_shuffle_and_augmentation() -> None:
    x, y = labelled()
    loader = DeviceLoader(x, y, 16, train=True, augmentation=Augmentation(pad=4, crop=12, flip=True), **UNIT)
    for epoch in range(3):
        loader.set_epoch(epoch)
        for images, labels in loader:
            # The 8x8 centre survives any crop offset in [0, 8], so every image keeps its label's value.
            codes = (images.amax(dim=(1, 2, 3)) * 255).round().long()
            assert torch.equal(codes, 20 * (labels + 1))


def test_crop_flip_matches_per_sample_reference() -> None:
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (20, 3, 10, 9), dtype=torch.uint8, generator=generator)
    aug = Augmentation(pad=3, crop=7, flip=True)
    params = draw_params(aug, 20, 10, 9, generator)
    out = crop_flip(images, aug, params)
    padded = torch.nn.functional.pad(images, (3, 3, 3, 3))
    for i in range(20):
        top, left = int(params.top[i]), int(params.left[i])
        window = padded[i, :, top : top + 7, left : left + 7]
        expected = window.flip(-1) if params.flip[i] else window
        assert torch.equal(out[i], expected)


def test_crop_offsets_stay_in_bounds_and_reach_both_ends() -> None:
    aug = Augmentation(pad=4, crop=32, flip=True)
    params = draw_params(aug, 4000, 32, 32, torch.Generator().manual_seed(1))
    for offsets in (params.top, params.left):
        assert int(offsets.min()) == 0 and int(offsets.max()) == 8  # 40 - 32 valid positions + 1
    assert 0.45 < params.flip.float().mean().item() < 0.55
    no_flip = draw_params(Augmentation(pad=4, crop=32), 100, 32, 32, torch.Generator().manual_seed(1))
    assert not no_flip.flip.any()


def test_flip_mirrors_a_crafted_image() -> None:
    image = torch.zeros(1, 1, 4, 4, dtype=torch.uint8)
    image[..., :2] = 255  # bright left half
    aug = Augmentation(flip=True)
    flipped = crop_flip(image, aug, CropFlipParams(torch.tensor([0]), torch.tensor([0]), torch.tensor([True])))
    assert flipped[0, 0, :, 2:].eq(255).all() and flipped[0, 0, :, :2].eq(0).all()
    kept = crop_flip(image, aug, CropFlipParams(torch.tensor([0]), torch.tensor([0]), torch.tensor([False])))
    assert torch.equal(kept, image)


def test_padding_is_zero_and_crop_must_fit() -> None:
    image = torch.full((1, 1, 4, 4), 9, dtype=torch.uint8)
    origin = CropFlipParams(torch.tensor([0]), torch.tensor([0]), torch.tensor([False]))
    corner = crop_flip(image, Augmentation(pad=2, crop=4), origin)
    assert corner[0, 0, :2].eq(0).all() and corner[0, 0, 2:, 2:].eq(9).all()
    with pytest.raises(ValueError, match="crop 9 does not fit"):
        Augmentation(pad=2, crop=9).output_size(4, 4)


def cifar_like(n: int = 8) -> ArrayDataset:
    """CIFAR-shaped data whose channel c holds the value 0, 128 or 255 (c = 0, 1, 2)."""
    x = np.empty((n, 32, 32, 3), np.uint8)
    x[..., 0], x[..., 1], x[..., 2] = 0, 128, 255
    y = np.zeros(n, np.uint8)
    return ArrayDataset("cifar10", x, y, x.copy(), y.copy(), tuple("abcdefghij"), (0.4, 0.5, 0.6), (0.2, 0.25, 0.5))


def test_normalization_layout_dtype_and_memory_format() -> None:
    data = cifar_like()
    x, _ = next(iter(eval_loader(data, 4)))
    assert x.shape == (4, 3, 32, 32)
    expected = torch.tensor([(0 - 0.4) / 0.2, (128 / 255 - 0.5) / 0.25, (1 - 0.6) / 0.5])
    torch.testing.assert_close(x[0, :, 5, 5], expected)
    assert x.amin(dim=(0, 2, 3)).allclose(x.amax(dim=(0, 2, 3)))  # every pixel of a channel is the same
    half, _ = next(iter(eval_loader(data, 4, dtype=torch.bfloat16, channels_last=True)))
    assert half.dtype == torch.bfloat16 and half.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(half.float(), x, atol=0.02, rtol=0.01)


def test_mnist_paper_augmentation_and_normalization() -> None:
    assert paper_augmentation("mnist") == Augmentation(pad=2, crop=28, flip=True)
    assert paper_augmentation("cifar10") == Augmentation(pad=4, crop=32, flip=True)
    x = np.zeros((4, 28, 28), np.uint8)
    x[:, :, 14:] = 255
    y = np.zeros(4, np.uint8)
    data = ArrayDataset("mnist", x, y, x, y, tuple("0123456789"), (0.5,), (0.5,))
    images, _ = next(iter(eval_loader(data, 4)))
    expected = torch.ones(4, 1, 28, 28)
    expected[..., :14] = -1.0  # black -> -1, white -> +1 with mean 0.5, std 0.5
    torch.testing.assert_close(images, expected)
    augmented, _ = next(iter(train_loader(data, 4)))
    assert augmented.shape == (4, 1, 28, 28)
    torch.testing.assert_close(augmented.abs(), torch.ones_like(augmented))  # padding is black too


@pytest.mark.parametrize("train", [True, False])
def test_rank_slices_partition_the_global_batch(train: bool) -> None:
    x, y = labelled(n=70)
    aug = Augmentation(pad=2, crop=12, flip=True) if train else Augmentation()

    def run(rank: int, world_size: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        loader = DeviceLoader(x, y, 24, train=train, augmentation=aug, seed=5, rank=rank, world_size=world_size, **UNIT)
        loader.set_epoch(2)
        return batches(loader)

    single = run(0, 1)
    ranks = [run(r, 4) for r in range(4)]
    assert all(len(r) == len(single) for r in ranks)
    for step, (x_all, y_all) in enumerate(single):
        assert torch.equal(torch.cat([r[step][0] for r in ranks]), x_all)
        assert torch.equal(torch.cat([r[step][1] for r in ranks]), y_all)
    if train:
        assert all(len(r[0][1]) == 6 for r in ranks)
    else:
        assert [len(r[-1][1]) for r in ranks] == [6, 6, 5, 5]  # 70 - 2 * 24 = 22 samples in the last batch


def test_bad_arguments_are_named() -> None:
    x, y = labelled(n=40)
    with pytest.raises(ValueError, match="not divisible by world_size 3"):
        DeviceLoader(x, y, 16, train=True, world_size=3, **UNIT)
    with pytest.raises(ValueError, match="rank must be in"):
        DeviceLoader(x, y, 16, train=True, rank=2, world_size=2, **UNIT)
    with pytest.raises(ValueError, match="exceeds the 40 training samples"):
        DeviceLoader(x, y, 64, train=True, **UNIT)
    with pytest.raises(ValueError, match="training only"):
        DeviceLoader(x, y, 16, train=False, augmentation=Augmentation(flip=True), **UNIT)
    with pytest.raises(ValueError, match="one value per channel"):
        DeviceLoader(x, y, 16, train=False, mean=(0.5, 0.5, 0.5), std=(1.0, 1.0, 1.0))
    with pytest.raises(ValueError, match="images must be uint8"):
        DeviceLoader(x.astype(np.float32), y, 16, train=False, **UNIT)
