"""Data pipelines: torchvision, DALI and FFCV backends behind ``make_loader``; augmentation configurations.

DALI and FFCV are optional (``pip install fastinv[dali]`` / ``fastinv[ffcv]``); they are imported
only when their backend is asked for.
"""

from .augment import AUGMENTATIONS, Augmentation, get_augmentation
from .folder import CorruptImageError, check_classes, scan_folder
from .loader import BACKENDS, IMAGENET_MEAN, IMAGENET_STD, Loader, make_loader
from .sampler import epoch_order, sample_boxes

__all__ = [
    "AUGMENTATIONS",
    "Augmentation",
    "BACKENDS",
    "CorruptImageError",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "Loader",
    "check_classes",
    "epoch_order",
    "get_augmentation",
    "make_loader",
    "sample_boxes",
    "scan_folder",
]
