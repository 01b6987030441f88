"""FFCV backend: ``convert`` writes an image folder to a ``.beton`` file; ``FfcvLoader`` reads it.

The ``.beton`` holds the images (raw pixels or re-encoded JPEG, longest side capped) and labels;
a JSON file beside it (``OUT.beton.json``) keeps the class names and what was skipped. The
loader runs FFCV's numba pipeline with ``BoxCropDecoder`` and walks the shared epoch order, so
its batches match the other backends'. On CUDA, FFCV's ``ToDevice`` copies each batch on its
own stream.
"""

from __future__ import annotations

import json
import logging
import os

import numpy as np
import torch

from .folder import check_classes, drop_files, find_corrupt, load_rgb, scan_folder
from .loader import Loader

log = logging.getLogger(__name__)
MODES = {"raw": "raw", "jpeg": "jpg"}


def import_ffcv():
    try:
        import ffcv  # noqa: F401
        import numba  # noqa: F401
    except ImportError as error:
        raise ImportError(
            "the FFCV backend needs ffcv and numba: apt-get install pkg-config libopencv-dev "
            f"libturbojpeg0-dev, then pip install 'fastinv[ffcv]' -- {error}"
        ) from None


class _FolderImages:
    """Indexable (RGB array, label) view of a folder for FFCV's writer (picklable for its pool)."""

    def __init__(self, files: list[str], labels: np.ndarray):
        self.files, self.labels = files, labels

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int):
        return np.asarray(load_rgb(self.files[index])), int(self.labels[index])


def convert(
    source,
    output,
    *,
    max_resolution: int | None = None,
    jpeg_quality: int = 90,
    mode: str = "raw",
    skip_corrupt: bool = False,
    workers: int = 4,
) -> dict:
    """Write ``source`` (ImageNet layout) to the FFCV file ``output``; returns the metadata written.

    Every image is decoded once beforehand so that a corrupt one is named (and skipped when
    ``skip_corrupt``) instead of stopping FFCV's writer half-way.
    """
    import_ffcv()
    from ffcv.fields import IntField, RGBImageField
    from ffcv.writer import DatasetWriter

    if mode not in MODES:
        raise ValueError(f"mode {mode!r} is not one of {sorted(MODES)}")
    if not 1 <= jpeg_quality <= 100:
        raise ValueError(f"jpeg_quality {jpeg_quality} must lie in 1..100")
    if max_resolution is not None and max_resolution < 1:
        raise ValueError(f"max_resolution {max_resolution} must be positive")
    folder = scan_folder(source)
    bad = find_corrupt(folder.files, workers)
    folder = drop_files(folder, bad, skip_corrupt)

    output = os.fspath(output)
    partial = output + ".partial"
    fields = {
        "image": RGBImageField(
            write_mode=MODES[mode], max_resolution=max_resolution, jpeg_quality=jpeg_quality
        ),
        "label": IntField(),
    }
    DatasetWriter(partial, fields, num_workers=max(1, workers)).from_indexed_dataset(
        _FolderImages(folder.files, folder.labels)
    )
    meta = {
        "format": "fastinv-ffcv-1",
        "source": os.path.abspath(folder.root),
        "classes": folder.classes,
        "count": len(folder.files),
        "mode": mode,
        "max_resolution": max_resolution,
        "jpeg_quality": jpeg_quality,
        "skipped": sorted(bad),
    }
    with open(partial + ".json", "w") as handle:
        json.dump(meta, handle, indent=1)
    # Renames last, so an interrupted conversion never leaves a file that looks finished.
    os.replace(partial, output)
    os.replace(partial + ".json", output + ".json")
    return meta


def read_meta(path: str) -> dict:
    path = os.fspath(path)
    if os.path.isdir(path):
        raise ValueError(
            f"the ffcv backend reads a .beton file, not the folder {path!r}; "
            f"convert it first: fastinv convert {path} OUT.beton"
        )
    if not os.path.isfile(path):
        raise FileNotFoundError(f"FFCV file {path!r} does not exist")
    if not os.path.isfile(path + ".json"):
        raise ValueError(
            f"{path!r} has no {path + '.json'!r} beside it: write it with `fastinv convert`"
        )
    with open(path + ".json") as handle:
        return json.load(handle)


class _EpochOrder:
    """Stands in for FFCV's traversal order: the shared order of the epoch being read."""

    def __init__(self):
        self.indices = np.zeros(0, dtype=np.uint64)

    def sample_order(self, epoch: int):
        return self.indices


# Idle compiled FFCV loaders by (file, batch, image size, threads, device): compiling one costs
# seconds, and a loader's decoder takes any configuration, seed and epoch at run time.
_IDLE: dict[tuple, list] = {}


class FfcvLoader(Loader):
    backend = "ffcv"

    def __init__(self, source, *, expected_classes=None, **options):
        import_ffcv()
        meta = read_meta(source)
        if expected_classes is not None:
            check_classes(meta["classes"], expected_classes, os.fspath(source))
        super().__init__(classes=meta["classes"], dataset_size=int(meta["count"]), **options)
        self.path = os.fspath(source)
        self.key = (
            os.path.realpath(self.path),
            os.stat(self.path).st_mtime_ns,
            self.batch_size,
            self.image_size,
            max(1, self.num_workers),
            str(self.device),
        )

    def raw_loader(self):
        """A new FFCV ``Loader`` (its traversal order and decoder state are ours to set)."""
        from ffcv.fields.basics import IntDecoder
        from ffcv.loader import Loader as FFCVLoader
        from ffcv.loader import OrderOption
        from ffcv.transforms import Squeeze, ToDevice, ToTensor, ToTorchImage

        from .ffcv_decode import BoxCropDecoder

        decoder = BoxCropDecoder(self.image_size)
        image_ops, label_ops = [decoder, ToTensor()], [IntDecoder(), ToTensor(), Squeeze()]
        if self.device.type == "cuda":
            image_ops.append(ToDevice(self.device, non_blocking=True))
            label_ops.append(ToDevice(self.device, non_blocking=True))
        image_ops.append(ToTorchImage(channels_last=True))
        loader = FFCVLoader(
            self.path,
            batch_size=self.batch_size,
            num_workers=max(1, self.num_workers),
            order=OrderOption.SEQUENTIAL,
            seed=self.seed,
            drop_last=False,
            pipelines={"image": image_ops, "label": label_ops},
            batches_ahead=3,
        )
        loader.traversal_order = _EpochOrder()
        return loader, decoder

    def _batches(self, order, epoch: int):
        if len(order) == 0:
            return
        idle = _IDLE.setdefault(self.key, [])
        loader, decoder = idle.pop() if idle else self.raw_loader()
        try:
            loader.traversal_order.indices = np.asarray(order, dtype=np.uint64)
            decoder.configure(self.augmentation, self.crop_fraction, self.seed, epoch, self.train)
            loader.next_epoch = epoch
            for images, labels in loader:
                # FFCV reuses its batch buffers a few batches later: hand out tensors of our own,
                # NCHW-contiguous (one copy from FFCV's channels-last view).
                images = images.clone(memory_format=torch.contiguous_format)
                yield images, labels.reshape(-1).to(torch.int64, copy=True)
        finally:
            # Back to the pool when the epoch ends or its generator is closed. Batches that FFCV's
            # thread of an abandoned epoch still decodes are never read, whatever state they see.
            idle.append((loader, decoder))
