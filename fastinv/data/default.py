"""The built-in default data: the generated dataset with known factors (``fastinv.datasets``).

The photographs that ship inside scikit-image stay available through ``sample_photos_dir``.

The folder is assembled once in the cache (``$FASTINV_CACHE``, else ``~/.cache/fastinv``).
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

# Natural photographs among scikit-image's bundled data (no synthetic test patterns).
_PHOTOS = (
    "astronaut.png",
    "chelsea.png",
    "coffee.png",
    "rocket.jpg",
    "motorcycle_left.png",
    "motorcycle_right.png",
    "hubble_deep_field.jpg",
    "retina.jpg",
    "camera.png",
    "moon.png",
    "brick.png",
    "grass.png",
    "gravel.png",
    "coins.png",
    "immunohistochemistry.png",
    "ihc.png",
)


def cache_dir() -> Path:
    return Path(os.environ.get("FASTINV_CACHE", Path.home() / ".cache" / "fastinv")).expanduser()


def default_data_dir() -> Path:
    """The validation split of the built-in dataset (``fastinv.datasets``: 10 classes with known
    factors of variation, 64 px), generated in the cache on first use (seconds)."""
    from fastinv.datasets import builtin_dataset

    folder = builtin_dataset() / "val"
    log.info("default data: the built-in dataset's validation split in %s", folder)
    return folder


def sample_photos_dir() -> Path:
    """A flat folder of the bundled scikit-image photographs (about a dozen), created on first use."""
    import skimage

    source = Path(skimage.__file__).parent / "data"
    target = cache_dir() / "sample-photos"
    photos = [source / name for name in _PHOTOS if (source / name).is_file()]
    if not photos:
        raise FileNotFoundError(f"no bundled photographs found in {source}; pass --data DIR")
    target.mkdir(parents=True, exist_ok=True)
    for photo in photos:
        if not (target / photo.name).exists():
            shutil.copyfile(photo, target / photo.name)
    log.info("sample photographs: %d from scikit-image in %s", len(photos), target)
    return target
