"""``make_loader``: one interface over the torchvision, DALI and FFCV backends.

Every backend yields ``(images, labels)``: images uint8 (B, 3, S, S) or, with ``normalize=True``,
float32 normalised with the ImageNet mean and standard deviation; labels int64 (B,); both on
``device``. The sample order of an epoch comes from ``sampler.epoch_order`` and the crop boxes
from ``sampler.sample_boxes`` for every backend, so with the same seed the three backends see the
same images in the same order with the same augmentation.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator

import torch

from .augment import Augmentation, get_augmentation
from .sampler import epoch_order

log = logging.getLogger(__name__)

BACKENDS = ("torchvision", "dali", "ffcv")
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class Loader:
    """Iterable of batches with ``len()``, ``set_epoch`` and rank sharding; backends subclass it.

    Attributes:
        classes: class names (class index = position).
        dataset_size: images in the whole source.
        num_samples: images this rank yields per epoch.
    """

    backend = "base"

    def __init__(
        self,
        *,
        classes: list[str],
        dataset_size: int,
        augmentation: Augmentation,
        train: bool,
        batch_size: int,
        image_size: int,
        resize_size: int,
        device: str,
        rank: int,
        world_size: int,
        seed: int,
        num_workers: int,
        normalize: bool,
        drop_last: bool,
    ):
        if batch_size < 1:
            raise ValueError(f"batch_size {batch_size} must be at least 1")
        if not 0 < image_size <= resize_size:
            raise ValueError(f"image_size {image_size} must lie in 1..resize_size ({resize_size})")
        self.classes = list(classes)
        self.dataset_size = dataset_size
        self.augmentation = augmentation
        self.train = train
        self.batch_size = batch_size
        self.image_size = image_size
        self.crop_fraction = image_size / resize_size
        self.device = torch.device(device)
        self.rank, self.world_size, self.seed = rank, world_size, seed
        self.num_workers = num_workers
        self.normalize = normalize
        self.drop_last = drop_last
        self.epoch = 0
        self.num_samples = len(self.order(0))
        self._mean = torch.tensor(IMAGENET_MEAN, device=self.device).view(1, 3, 1, 1) * 255
        self._std = torch.tensor(IMAGENET_STD, device=self.device).view(1, 3, 1, 1) * 255

    def order(self, epoch: int):
        """Dataset indices this rank visits at ``epoch`` (batches that ``drop_last`` drops included)."""
        return epoch_order(
            self.dataset_size,
            self.seed,
            epoch,
            self.train,
            self.rank,
            self.world_size,
            self.drop_last,
        )

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration visit ``epoch`` (each iteration then advances by one)."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        if self.drop_last:
            return self.num_samples // self.batch_size
        return math.ceil(self.num_samples / self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        epoch = self.epoch
        self.epoch += 1
        order = self.order(epoch)
        if self.drop_last:
            order = order[: len(order) - len(order) % self.batch_size]
        for images, labels in self._batches(order, epoch):
            yield self._finish(images, labels)

    def _batches(self, order, epoch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        raise NotImplementedError

    def _finish(
        self, images: torch.Tensor, labels: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Move to the device; normalise there (cheap on GPU) when asked."""
        non_blocking = self.device.type == "cuda"
        images = images.to(self.device, non_blocking=non_blocking)
        labels = labels.to(self.device, dtype=torch.int64, non_blocking=non_blocking)
        if self.normalize and images.dtype == torch.uint8:
            images = (images.float() - self._mean) / self._std
        return images, labels


def default_workers() -> int:
    return max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )


def make_loader(
    source,
    backend: str = "torchvision",
    train: bool = True,
    augment: str | Augmentation = "None",
    batch_size: int = 64,
    image_size: int = 224,
    resize_size: int | None = None,
    device: str = "cpu",
    rank: int = 0,
    world_size: int = 1,
    seed: int = 0,
    num_workers: int | None = None,
    normalize: bool = False,
    drop_last: bool = False,
    skip_corrupt: bool = False,
    classes: list[str] | None = None,
) -> Loader:
    """A loader over ``source`` (an ImageNet-layout folder, or a ``.beton`` file for ffcv).

    Args:
        train: training pipeline (``augment``, shuffled each epoch) or validation (resize,
            centre crop, fixed order).
        augment: a name of ``AUGMENTATIONS`` or an ``Augmentation``; ignored when ``train`` is False.
        resize_size: the side the shorter image side is resized to before the centre crop;
            default ``image_size * 256 / 224``.
        num_workers: worker processes (torchvision) or threads (DALI, FFCV); default all cores.
        skip_corrupt: drop unreadable images (each logged by name) instead of raising.
        classes: expected class names (e.g. the training loader's): a mismatch raises.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; valid backends: {', '.join(BACKENDS)}")
    augmentation = get_augmentation(augment)
    resize_size = resize_size or round(image_size * 256 / 224)
    num_workers = default_workers() if num_workers is None else num_workers
    options = dict(
        augmentation=augmentation,
        train=train,
        batch_size=batch_size,
        image_size=image_size,
        resize_size=resize_size,
        device=device,
        rank=rank,
        world_size=world_size,
        seed=seed,
        num_workers=num_workers,
        normalize=normalize,
        drop_last=drop_last,
    )
    if backend == "torchvision":
        from .torch_backend import TorchvisionLoader

        return TorchvisionLoader(
            source, skip_corrupt=skip_corrupt, expected_classes=classes, **options
        )
    if backend == "dali":
        from .dali_backend import DaliLoader

        return DaliLoader(source, skip_corrupt=skip_corrupt, expected_classes=classes, **options)
    from .ffcv_backend import FfcvLoader

    return FfcvLoader(source, expected_classes=classes, **options)
