"""List an image folder and decode a sample of it with the study's preprocessing.

Two layouts are accepted: ImageNet layout (one sub-folder per class; labels are the indices of the
sorted class names) and a flat folder of images (label -1). Preprocessing follows METHOD.md:
resize the short side to ``resize_size`` (bilinear, antialiased, as torchvision's ``Resize`` on
PIL images), then centre-crop ``image_size``. Images of any PIL mode are converted to RGB (alpha is
dropped, CMYK and palette images are converted by PIL); unreadable files are reported by name.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

log = logging.getLogger(__name__)

# Formats that PIL, DALI's decoder and FFCV's converter all read (DALI has no GIF decoder).
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


@dataclass(frozen=True)
class ImageRecord:
    sample_id: str  # path relative to the data root, with '/' separators
    path: Path
    label: int  # class index, -1 in a flat folder
    class_name: str


@dataclass(frozen=True)
class SkippedImage:
    path: Path
    reason: str


def _is_image(path: Path) -> bool:
    return (
        path.is_file() and path.suffix.lower() in IMAGE_EXTENSIONS and not path.name.startswith(".")
    )


def class_folders(root: Path) -> list[Path]:
    """The class sub-folders of an ImageNet-layout ``root``, sorted by name: a class's label is its
    position here, for sweeps, factor search and every loader alike. Hidden folders are no class."""
    return sorted(
        (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.name,
    )


def images_in(folder: Path) -> list[Path]:
    """The image files anywhere below ``folder`` (linked folders followed), sorted by path; hidden
    files (such as macOS ``._x.jpg`` resource forks) are skipped."""
    found = []
    for directory, _, names in os.walk(folder, followlinks=True):
        found += [Path(directory, n) for n in names if _is_image(Path(directory, n))]
    return sorted(found, key=lambda p: p.as_posix())


def list_images(root: str | os.PathLike) -> tuple[list[ImageRecord], list[str]]:
    """All images under ``root`` in a deterministic order, and the class names.

    Raises:
        FileNotFoundError: ``root`` does not exist or is not a folder.
        ValueError: the folder holds no images.
    """
    root = Path(root).expanduser()
    if not root.exists():
        raise FileNotFoundError(f"data folder {str(root)!r} does not exist")
    if not root.is_dir():
        raise FileNotFoundError(f"data path {str(root)!r} is not a folder")
    class_dirs = class_folders(root)
    records: list[ImageRecord] = []
    if class_dirs:
        classes = [p.name for p in class_dirs]
        for label, class_dir in enumerate(class_dirs):
            files = images_in(class_dir)
            if not files:
                log.warning("class folder %s holds no images", class_dir)
            records += [
                ImageRecord(p.relative_to(root).as_posix(), p, label, class_dir.name) for p in files
            ]
        loose = [p for p in root.iterdir() if _is_image(p)]
        if loose:
            log.warning(
                "%d images directly in %s are ignored: the folder has class sub-folders",
                len(loose),
                root,
            )
    else:
        classes = []
        records = [ImageRecord(p.name, p, -1, "") for p in sorted(root.iterdir()) if _is_image(p)]
    if not records:
        raise ValueError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) found in {str(root)!r}")
    return records, classes


def load_image(path: Path, image_size: int, resize_size: int) -> np.ndarray:
    """Decode, convert to RGB, resize the short side and centre-crop: uint8 [3, H, W]."""
    from torchvision.transforms.v2 import functional as F

    with Image.open(path) as image:
        image.load()
        if image.mode != "RGB":
            image = image.convert("RGB")
        image = F.resize(
            image, resize_size, interpolation=F.InterpolationMode.BILINEAR, antialias=True
        )
        image = F.center_crop(image, [image_size, image_size])
        return np.asarray(image, dtype=np.uint8).transpose(2, 0, 1)


def _try_load(record: ImageRecord, image_size: int, resize_size: int):
    try:
        return load_image(record.path, image_size, resize_size), None
    except Exception as error:  # PIL raises many types for broken files; each is reported below
        return None, SkippedImage(record.path, f"{type(error).__name__}: {error}")


def decode_images(
    records: Sequence[ImageRecord],
    count: int,
    *,
    image_size: int,
    resize_size: int,
    strict: bool = False,
    workers: int = 4,
) -> tuple[torch.Tensor, list[ImageRecord], list[SkippedImage]]:
    """Decode records in order until ``count`` images are read; corrupt files are skipped.

    Returns uint8 images [N, 3, image_size, image_size], the records kept and those skipped.
    With ``strict`` the first unreadable image raises ValueError instead.
    """
    kept_images: list[np.ndarray] = []
    kept: list[ImageRecord] = []
    skipped: list[SkippedImage] = []
    position = 0
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        while len(kept) < count and position < len(records):
            chunk = records[position : position + max(count - len(kept), workers)]
            position += len(chunk)
            for record, (array, failure) in zip(
                chunk, pool.map(lambda r: _try_load(r, image_size, resize_size), chunk)
            ):
                if failure is not None:
                    if strict:
                        raise ValueError(
                            f"unreadable image {str(failure.path)!r} ({failure.reason}); "
                            "drop --strict to skip such files"
                        )
                    log.warning("skipping unreadable image %s (%s)", failure.path, failure.reason)
                    skipped.append(failure)
                elif len(kept) < count:
                    kept_images.append(array)
                    kept.append(record)
    if skipped:
        log.warning(
            "%d unreadable images skipped: %s",
            len(skipped),
            ", ".join(s.path.name for s in skipped),
        )
    if not kept:
        raise ValueError(f"none of the {len(records)} images could be read")
    return torch.from_numpy(np.stack(kept_images)), kept, skipped
