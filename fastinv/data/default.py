"""The built-in default data: photographs that ship inside scikit-image, so a sweep runs offline.

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
    "astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png",
    "motorcycle_right.png", "hubble_deep_field.jpg", "retina.jpg", "camera.png", "moon.png",
    "brick.png", "grass.png", "gravel.png", "coins.png", "immunohistochemistry.png", "ihc.png",
)


def cache_dir() -> Path:
    return Path(os.environ.get("FASTINV_CACHE", Path.home() / ".cache" / "fastinv")).expanduser()


def default_data_dir() -> Path:
    """A flat folder of the bundled photographs (about a dozen), created on first use."""
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
    log.info("default data: %d photographs from scikit-image in %s", len(photos), target)
    return target
