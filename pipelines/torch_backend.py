"""torchvision backend: a ``DataLoader`` over PIL-decoded images, the baseline every user knows.

Worker processes decode with PIL and apply the shared crop box with
``torchvision.transforms.v2.functional.resized_crop`` (PIL pads a box reaching outside the image
with zeros; the resize is antialiased). Pinned memory when the target device is CUDA.
"""

from __future__ import annotations

import logging

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms.v2 import functional as F

from .augment import Augmentation
from .folder import CorruptImageError, check_classes, load_rgb, scan_folder
from .loader import Loader
from .sampler import sample_boxes

log = logging.getLogger(__name__)


class FolderDataset(Dataset):
    """Image ``index`` -> (uint8 (3, S, S) tensor, label), boxes drawn for ``self.epoch``."""

    def __init__(
        self,
        files: list[str],
        labels: np.ndarray,
        augmentation: Augmentation,
        crop_fraction: float,
        image_size: int,
        seed: int,
        train: bool,
        skip_corrupt: bool,
    ):
        self.files, self.labels = files, labels
        self.augmentation, self.crop_fraction = augmentation, crop_fraction
        self.image_size, self.seed, self.train = image_size, seed, train
        self.skip_corrupt = skip_corrupt
        self.epoch = 0  # copied into the workers, which are started once per epoch

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int):
        try:
            image = load_rgb(self.files[index])
        except CorruptImageError as error:
            if not self.skip_corrupt:
                raise
            log.warning("skipping unreadable image %s (%s)", error.path, error.reason)
            return None
        top, left, h, w, flip = sample_boxes(
            self.augmentation,
            self.crop_fraction,
            self.seed,
            self.epoch,
            [index],
            [image.height],
            [image.width],
            self.train,
        )[0]
        image = F.resized_crop(
            image, int(top), int(left), int(h), int(w), [self.image_size] * 2, antialias=True
        )
        if flip:
            image = F.horizontal_flip(image)
        return F.pil_to_tensor(image), int(self.labels[index])


def collate(samples):
    """Stack the samples; a skipped (corrupt) one is left out, so the batch is one shorter."""
    samples = [s for s in samples if s is not None]
    if not samples:
        return torch.empty(0, 3, 0, 0, dtype=torch.uint8), torch.empty(0, dtype=torch.int64)
    images = torch.stack([s[0] for s in samples])
    labels = torch.tensor([s[1] for s in samples], dtype=torch.int64)
    return images, labels


class TorchvisionLoader(Loader):
    backend = "torchvision"

    def __init__(self, source, *, skip_corrupt: bool = False, expected_classes=None, **options):
        folder = scan_folder(source)
        if expected_classes is not None:
            check_classes(folder.classes, expected_classes, folder.root)
        self.folder = folder
        super().__init__(classes=folder.classes, dataset_size=len(folder.files), **options)
        self.dataset = FolderDataset(
            folder.files,
            folder.labels,
            self.augmentation,
            self.crop_fraction,
            self.image_size,
            self.seed,
            self.train,
            skip_corrupt,
        )

    def data_loader(self, order, epoch: int) -> DataLoader:
        """The plain ``DataLoader`` of one epoch (also what the benchmark times directly)."""
        self.dataset.epoch = epoch
        workers = self.num_workers
        return DataLoader(
            self.dataset,
            batch_size=self.batch_size,
            sampler=order.tolist(),
            num_workers=workers,
            collate_fn=collate,
            pin_memory=self.device.type == "cuda",
            prefetch_factor=4 if workers else None,
        )

    def _batches(self, order, epoch: int):
        for images, labels in self.data_loader(order, epoch):
            if len(labels):
                yield images, labels
