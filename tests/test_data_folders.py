"""Folder data sets (ImageNet layout) on a tiny tree of generated PNG files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist
from PIL import Image

from gapbook.data import folder_loaders


def make_tree(root: Path, layout: dict[str, dict[str, int]]) -> Path:
    """Write ``layout[split][class]`` small random PNG images under ``root/split/class``."""
    rng = np.random.default_rng(0)
    for split, classes in layout.items():
        for name, count in classes.items():
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(count):
                pixels = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(folder / f"{i}.png")
    return root


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return make_tree(tmp_path, {"train": {"cat": 3, "dog": 3}, "val": {"cat": 1, "dog": 2}})


def test_loaders_shapes_labels_and_coverage(tree: Path) -> None:
    loaders = folder_loaders(tree, batch_size=4, workers=0, image_size=32, resize=36)
    assert loaders.classes == ("cat", "dog")
    loaders.set_epoch(0)
    train = list(loaders.train)
    assert len(train) == 1 and train[0][0].shape == (4, 3, 32, 32) and train[0][1].dtype == torch.int64
    val_labels = torch.cat([y for _, y in loaders.val]).tolist()
    assert val_labels == [0, 1, 1]  # every validation image once, in order


def test_default_transforms_give_224_crops(tree: Path) -> None:
    loaders = folder_loaders(tree, batch_size=2, workers=0)
    x, _ = next(iter(loaders.val))
    assert x.shape == (2, 3, 224, 224)
    assert -3 < x.mean().item() < 3  # normalized, not raw [0, 255] pixels


def test_order_depends_only_on_seed_and_epoch(tree: Path) -> None:
    def order(epoch: int) -> list[int]:
        loaders = folder_loaders(tree, batch_size=1, workers=0, image_size=8, resize=8, seed=3)
        loaders.set_epoch(epoch)
        return list(loaders.train_sampler)

    assert order(1) == order(1)
    assert sorted(order(1)) == list(range(6))
    assert any(order(1) != order(e) for e in range(2, 6))


def test_missing_folder_is_named(tmp_path: Path) -> None:
    make_tree(tmp_path, {"train": {"cat": 1}})
    with pytest.raises(FileNotFoundError, match=f"{tmp_path / 'val'} does not exist"):
        folder_loaders(tmp_path, batch_size=1, workers=0)


def test_mismatched_classes_are_refused(tmp_path: Path) -> None:
    make_tree(tmp_path, {"train": {"cat": 1, "dog": 1}, "val": {"dog": 1}})
    with pytest.raises(ValueError, match="different class folders"):
        folder_loaders(tmp_path, batch_size=1, workers=0)


def test_distributed_needs_a_process_group(tree: Path) -> None:
    with pytest.raises(RuntimeError, match="init_process_group"):
        folder_loaders(tree, batch_size=2, workers=0, distributed=True)


def test_distributed_uses_the_process_group(tree: Path, tmp_path: Path) -> None:
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'rendezvous'}", rank=0, world_size=1)
    try:
        loaders = folder_loaders(tree, batch_size=2, workers=0, image_size=8, resize=8, distributed=True)
        assert loaders.train.sampler.num_replicas == 1 and loaders.train.batch_size == 2
        assert len(list(loaders.train)) == 3
    finally:
        dist.destroy_process_group()
