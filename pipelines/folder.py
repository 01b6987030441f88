"""Image folders in ImageNet layout: one sub-folder per class, class index = sorted folder names.

Also the checks every backend shares: empty class folders, train/validation class mismatches,
corrupt or unreadable images (reported by file name, never silently given another label).
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

# One list of image file types and one rule for class folders (sorted names, hidden ones skipped)
# for sweeps, factor search and every loader backend.
from fastinv.data.folder import IMAGE_EXTENSIONS, class_folders, images_in

log = logging.getLogger(__name__)


class CorruptImageError(RuntimeError):
    """An image file that cannot be decoded; ``path`` names it."""

    def __init__(self, path: str, reason: str):
        super().__init__(
            f"cannot decode image {path!r}: {reason} (pass skip_corrupt=True to skip such files)"
        )
        self.path, self.reason = path, reason


@dataclass
class ImageFolder:
    root: str
    classes: list[str]
    files: list[str]
    labels: np.ndarray  # int64, one per file


def scan_folder(root: str, extensions: tuple[str, ...] = IMAGE_EXTENSIONS) -> ImageFolder:
    """List the images of ``root``; raise a clear error for a missing root or empty classes."""
    root = os.fspath(root)
    if not os.path.isdir(root):
        raise FileNotFoundError(f"image folder {root!r} does not exist or is not a directory")
    folders = class_folders(Path(root))
    classes = [folder.name for folder in folders]
    if not classes:
        raise ValueError(
            f"image folder {root!r} has no class sub-folders (expected ROOT/CLASS/IMAGE)"
        )
    files, labels, empty = [], [], []
    for label, folder in enumerate(folders):
        found = [str(p) for p in images_in(folder) if p.suffix.lower() in extensions]
        if not found:
            empty.append(folder.name)
        files += found
        labels += [label] * len(found)
    if empty:
        # A class without images cannot be trained or validated on; a loader that silently
        # carried it would report accuracy over fewer classes than the model has. Refuse.
        raise ValueError(
            f"class folders with no images ({', '.join(extensions)}) in {root!r}: {empty}; "
            "add images or remove the folders"
        )
    return ImageFolder(root, classes, files, np.asarray(labels, dtype=np.int64))


def check_classes(found: list[str], expected: list[str], where: str) -> None:
    """Raise if ``found`` (e.g. the validation folder's classes) differs from ``expected``."""
    if list(found) == list(expected):
        return
    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    detail = (
        f"missing {missing[:10]}, unexpected {extra[:10]}"
        if missing or extra
        else "same names, other order"
    )
    raise ValueError(
        f"classes of {where!r} differ from the expected {len(expected)} classes: {detail}; "
        "class indices would not match"
    )


def load_rgb(path: str) -> Image.Image:
    """Decode ``path`` fully and convert grey, palette, CMYK or RGBA images to RGB."""
    try:
        with Image.open(path) as image:
            image.load()
            if image.mode != "RGB":
                # Alpha is dropped (not composited); palette and CMYK go through PIL's tables.
                image = image.convert("RGB")
            else:
                image = image.copy()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise CorruptImageError(path, str(error)) from None
    return image


def _header_size(path: str) -> tuple[int, int] | str:
    try:
        with Image.open(path) as image:
            width, height = image.size
        return height, width
    except (OSError, SyntaxError, ValueError) as error:
        return str(error)


def _decodes(path: str) -> str | None:
    try:
        load_rgb(path)
    except CorruptImageError as error:
        return error.reason
    return None


def image_sizes(
    files: list[str], workers: int = 4
) -> tuple[np.ndarray, np.ndarray, dict[str, str]]:
    """Heights and widths from the file headers (no decoding), and {path: reason} of unreadable ones."""
    with ThreadPoolExecutor(max(1, workers)) as pool:
        results = list(pool.map(_header_size, files, chunksize=64))
    heights = np.zeros(len(files), dtype=np.int64)
    widths = np.zeros(len(files), dtype=np.int64)
    bad = {}
    for i, result in enumerate(results):
        if isinstance(result, str):
            bad[files[i]] = result
        else:
            heights[i], widths[i] = result
    return heights, widths, bad


def find_corrupt(files: list[str], workers: int = 4) -> dict[str, str]:
    """{path: reason} of the files that do not decode fully (truncated or garbled JPEGs)."""
    with ThreadPoolExecutor(max(1, workers)) as pool:
        results = list(pool.map(_decodes, files, chunksize=16))
    return {path: reason for path, reason in zip(files, results, strict=True) if reason is not None}


def drop_files(folder: ImageFolder, bad: dict[str, str], skip_corrupt: bool) -> ImageFolder:
    """Remove ``bad`` files (logging each by name) or raise naming them."""
    if not bad:
        return folder
    names = "; ".join(f"{path}: {reason}" for path, reason in list(bad.items())[:5])
    if not skip_corrupt:
        raise CorruptImageError(next(iter(bad)), f"{len(bad)} unreadable image(s): {names}")
    for path, reason in bad.items():
        log.warning("skipping unreadable image %s (%s)", path, reason)
    keep = np.array([path not in bad for path in folder.files])
    files = [path for path, k in zip(folder.files, keep, strict=True) if k]
    return ImageFolder(folder.root, folder.classes, files, folder.labels[keep])
