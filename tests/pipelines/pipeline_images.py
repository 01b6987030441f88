"""Small generated image folders for the pipeline tests: the class is encoded in the colour."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from PIL import Image


def _installed(module: str) -> bool:
    """Whether ``module`` is installed (a broken install is not hidden: its tests then fail)."""
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a missing parent package ('nvidia')
        return False


# The optional loader backends: tests of one skip, naming the package, where it is not installed.
HAVE_DALI = _installed("nvidia.dali")
HAVE_FFCV = _installed("ffcv")
needs_dali = pytest.mark.skipif(not HAVE_DALI, reason="nvidia-dali not installed")
needs_ffcv = pytest.mark.skipif(not HAVE_FFCV, reason="ffcv not installed")

# Class k has dominant channel k, so the label is readable from any crop, even zero-padded.
CLASS_COLOURS = np.array([[220, 40, 40], [40, 220, 40], [40, 40, 220]], dtype=np.float64)


def class_image(label: int, height: int, width: int, phase: float = 0.0) -> np.ndarray:
    """A smooth textured image (JPEG-friendly) whose dominant channel is ``label``."""
    y, x = np.mgrid[0:height, 0:width]
    pattern = 0.5 + 0.5 * np.sin(x / 9.0 + phase) * np.cos(y / 13.0 - phase)
    image = CLASS_COLOURS[label][None, None, :] * (0.55 + 0.45 * pattern[..., None])
    return np.clip(image, 0, 255).astype(np.uint8)


def write_folder(
    root,
    per_class: int = 4,
    classes: int = 3,
    sizes=((60, 80), (72, 56), (64, 64)),
    quality: int = 95,
) -> list[str]:
    """ROOT/class_k/img_i.jpg, sizes cycling through ``sizes``; returns the class names."""
    names = [f"class_{k}" for k in range(classes)]
    for label, name in enumerate(names):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            height, width = sizes[(i + label) % len(sizes)]
            pixels = class_image(label, height, width, phase=0.7 * i)
            Image.fromarray(pixels).save(root / name / f"img_{i}.jpg", quality=quality)
    return names


def dominant_channel(images) -> np.ndarray:
    """Label read back from a uint8 (B, 3, H, W) batch."""
    return images.double().sum(dim=(2, 3)).argmax(dim=1).numpy()
