"""The data-set specs, the one home of every data-set fact, and the modules that read them agree with them."""

from __future__ import annotations

from pathlib import Path

import pytest
from torchvision import transforms

from gapbook.data import DATASETS, IMAGENET_MEAN, IMAGENET_STD, SPECS, Augmentation, DatasetSpec, imagenet_transforms
from gapbook.experiments import ROW_KEYS, column_settings, render, row
from gapbook.models import model_info, names
from gapbook.train import TrainConfig


def test_the_specs_hold_the_four_data_sets_of_table_1() -> None:
    facts = {
        name: (spec.title, spec.kind, spec.input_shape, spec.num_classes, spec.train_images)
        for name, spec in DATASETS.items()
    }
    assert facts == {
        "mnist": ("MNIST", "array", (1, 28, 28), 10, 60_000),
        "cifar10": ("CIFAR-10", "array", (3, 32, 32), 10, 50_000),
        "cifar100": ("CIFAR-100", "array", (3, 32, 32), 100, 50_000),
        "imagenet": ("ImageNet", "folder", (3, 224, 224), 1000, 1_281_167),
    }
    assert all(spec.name == name for name, spec in DATASETS.items())
    assert list(SPECS) == ["mnist", "cifar10", "cifar100"]  # the array data sets, which load_arrays reads


@pytest.mark.parametrize("kind, augmentation", [("array", None), ("folder", Augmentation(flip=True))])
def test_only_array_data_sets_have_an_augmentation_in_their_spec(kind: str, augmentation: Augmentation | None) -> None:
    with pytest.raises(ValueError, match="an array data set needs its paper augmentation"):
        DatasetSpec("x", "X", kind, (8, 8), 2, 10, (0.5,), (0.5,), augmentation)  # type: ignore[arg-type]


def test_the_folder_pipeline_crops_and_normalizes_as_the_imagenet_spec_says() -> None:
    spec = DATASETS["imagenet"]
    train, val = imagenet_transforms()
    steps = [*train.transforms, *val.transforms]
    crops = [t.size for t in steps if isinstance(t, (transforms.RandomResizedCrop, transforms.CenterCrop))]
    assert crops == [spec.input_shape[1:]] * 2
    normalize = [t for t in steps if isinstance(t, transforms.Normalize)]
    assert [(tuple(t.mean), tuple(t.std)) for t in normalize] == [(spec.mean, spec.std)] * 2
    assert (IMAGENET_MEAN, IMAGENET_STD) == (spec.mean, spec.std)


@pytest.mark.parametrize("name", names())
def test_every_network_takes_the_input_and_gives_the_classes_of_its_data_set(name: str) -> None:
    info = model_info(name)
    spec = DATASETS[info.dataset]
    assert (info.input_shape, info.num_classes) == (spec.input_shape, spec.num_classes)
    config = TrainConfig(name)
    assert config.dataset == info.dataset and config.is_array_dataset == (spec.kind == "array")


def test_a_config_checks_the_network_against_its_data_sets_input_shape() -> None:
    assert not TrainConfig("alexnet", dataset="my_photos").is_array_dataset  # any folder: ImageNet's crops
    with pytest.raises(ValueError, match=r"'imagenet' gives \(3, 224, 224\); use a model made for it \(alexnet\)"):
        TrainConfig("f1", dataset="imagenet")
    with pytest.raises(ValueError, match=r"'cifar100' gives \(3, 32, 32\); use a model made for it \(c1, c3,"):
        TrainConfig("alexnet", dataset="cifar100")


def test_the_table_names_each_data_set_by_its_spec(tmp_path: Path) -> None:
    markdown = render(tmp_path, "mini")
    for key in ROW_KEYS:
        entry = row(key)
        assert entry.title.startswith(f"{entry.label} on {DATASETS[entry.dataset].title}")
        assert f"| {entry.title} | SB | " in markdown


@pytest.mark.parametrize("key", ROW_KEYS)
def test_the_full_settings_count_the_training_images_of_the_specs(key: str) -> None:
    images = DATASETS[row(key).dataset].train_images
    assert {setting.train_images for setting in column_settings(key, "full")} == {images}
