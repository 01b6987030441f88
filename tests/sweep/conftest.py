"""Small image folders for sweep tests, with the awkward files real data sets contain."""

import numpy as np
import pytest
from PIL import Image

CLASSES = ("ant", "bee", "cat")


def _photo(rng: np.random.Generator, size=(40, 48), tint=(0, 0, 0)) -> np.ndarray:
    base = rng.integers(0, 200, size=(*size, 3)).astype(np.int32) + np.array(tint)
    return np.clip(base, 0, 255).astype(np.uint8)


@pytest.fixture
def image_folder(tmp_path):
    """ImageNet layout: 3 classes x 4 JPEGs, plus grayscale, palette, CMYK and RGBA files."""
    rng = np.random.default_rng(0)
    root = tmp_path / "data"
    for k, name in enumerate(CLASSES):
        folder = root / name
        folder.mkdir(parents=True)
        for i in range(4):
            Image.fromarray(_photo(rng, tint=(60 * k, 0, 0))).save(
                folder / f"{name}_{i}.jpg", quality=92
            )
    Image.fromarray(_photo(rng)[..., 0]).save(root / "ant" / "grey.png")
    Image.fromarray(_photo(rng)).convert("P").save(root / "bee" / "palette.png")
    Image.fromarray(_photo(rng)).convert("CMYK").save(root / "cat" / "cmyk.jpg")
    Image.fromarray(np.dstack([_photo(rng), np.full((40, 48), 128, np.uint8)])).save(
        root / "cat" / "alpha.png"
    )
    return root


@pytest.fixture
def corrupt_folder(image_folder):
    (image_folder / "bee" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    return image_folder
