"""Data sets for the experiments: download, compact array cache, device-resident loading, folder data sets."""

from .arrays import ArrayDataset
from .augment import NO_AUGMENTATION, Augmentation, CropFlipParams, crop_flip, draw_params
from .cache import CacheError, cache_path, read_cache, write_cache
from .folders import IMAGENET_MEAN, IMAGENET_STD, FolderLoaders, folder_loaders, imagenet_transforms
from .load import load_arrays
from .loader import DeviceLoader, epoch_seed, eval_loader, train_loader
from .root import ENV_VAR, data_root, default_cache_dir
from .sources import DOWNLOAD_TIMEOUT_S, DataUnavailableError, download
from .specs import DATASETS, SPECS, DatasetKind, DatasetSpec, get_spec, paper_augmentation

__all__ = [
    "DATASETS",
    "DOWNLOAD_TIMEOUT_S",
    "ENV_VAR",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "NO_AUGMENTATION",
    "SPECS",
    "ArrayDataset",
    "Augmentation",
    "CacheError",
    "CropFlipParams",
    "DataUnavailableError",
    "DatasetKind",
    "DatasetSpec",
    "DeviceLoader",
    "FolderLoaders",
    "cache_path",
    "crop_flip",
    "data_root",
    "default_cache_dir",
    "download",
    "draw_params",
    "epoch_seed",
    "eval_loader",
    "folder_loaders",
    "get_spec",
    "imagenet_transforms",
    "load_arrays",
    "paper_augmentation",
    "read_cache",
    "train_loader",
    "write_cache",
]
