"""AutoAugment candidates against PIL, the library the study's reference code used."""

import numpy as np
import pytest
import torch
from PIL import Image, ImageEnhance, ImageOps

from fastinv.factors.autoaugment import POLICY_PAIRS, invariance_transforms
from fastinv.transforms import PRESETS, get_transform


def _image(size=(24, 32), seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # Smooth content, so bilinear sampling differences of a fraction of a pixel stay small.
    y, x = np.mgrid[0 : size[0], 0 : size[1]]
    base = 127 + 90 * np.sin(x / 4.0 + rng.uniform(0, 6))[..., None] * np.cos(y / 5.0)[..., None]
    return np.clip(base + rng.uniform(-10, 10, (*size, 3)), 0, 255).astype(np.uint8)


def _ours(name, magnitude, image, sign=None):
    tensor = torch.from_numpy(image).permute(2, 0, 1)[None]
    signs = None if sign is None else torch.tensor([[sign]])
    out = get_transform(name).apply(tensor, [magnitude], signs=signs, out_dtype=torch.uint8)
    return out[0].permute(1, 2, 0).numpy().astype(int)


def test_preset_has_the_63_candidates_of_the_study():
    assert sum(len(v) for v in POLICY_PAIRS.values()) == 63
    assert set(POLICY_PAIRS) <= set(PRESETS["autoaugment"])


@pytest.mark.parametrize(
    ("name", "index", "sign", "pil_data"),
    [
        ("ShearX", 6, 1, lambda m, w, h: (1, m, 0, 0, 1, 0)),
        ("ShearY", 9, -1, lambda m, w, h: (1, 0, 0, -m, 1, 0)),
        ("TranslateX", 5, 1, lambda m, w, h: (1, 0, m * w, 0, 1, 0)),
        ("TranslateY", 7, -1, lambda m, w, h: (1, 0, 0, 0, 1, -m * h)),
    ],
)
def test_geometric_candidates_match_pil_affine(name, index, sign, pil_data):
    image = _image()
    magnitude = get_transform(name).paper_grid[index]
    h, w = image.shape[:2]
    expected = Image.fromarray(image).transform(
        (w, h), Image.AFFINE, pil_data(magnitude, w, h), Image.BILINEAR, fillcolor=(128, 128, 128)
    )
    diff = np.abs(_ours(name, magnitude, image, sign) - np.asarray(expected, dtype=int))
    # PIL interpolates in 8-bit fixed point and blends the fill differently along the edge of the
    # moved content (one pixel wide): 95% of values agree to 2 levels; a wrong direction or
    # offset would move the whole pattern and differ by tens of levels.
    assert np.percentile(diff, 95) <= 2, np.percentile(diff, 95)
    assert np.median(diff) <= 1


def test_rotate_matches_pil_counter_clockwise():
    image = _image((32, 32))
    expected = np.asarray(
        Image.fromarray(image).rotate(20.0, resample=Image.BILINEAR, fillcolor=(128,) * 3)
    )
    diff = np.abs(_ours("Rotate", 20.0, image) - expected.astype(int))
    assert np.percentile(diff, 95) <= 3, np.percentile(diff, 95)


@pytest.mark.parametrize(
    ("name", "enhancer", "sign"),
    [
        ("Color", ImageEnhance.Color, 1),
        ("Color", ImageEnhance.Color, -1),
        ("Contrast", ImageEnhance.Contrast, -1),
        ("Brightness", ImageEnhance.Brightness, 1),
        ("Sharpness", ImageEnhance.Sharpness, -1),
        ("Sharpness", ImageEnhance.Sharpness, 1),
    ],
)
def test_enhance_candidates_match_pil(name, enhancer, sign):
    image = _image()
    m = 0.7
    expected = np.asarray(enhancer(Image.fromarray(image)).enhance(1 + sign * m), dtype=int)
    diff = np.abs(_ours(name, m, image, sign) - expected)
    # PIL rounds its grey image / mean to integers before blending: a level or two apart.
    assert diff.max() <= 3, diff.max()


@pytest.mark.parametrize(
    ("name", "magnitude", "pil"),
    [
        ("Posterize", 5.0, lambda im: ImageOps.posterize(im, 5)),
        ("Solarize", 170.67, lambda im: ImageOps.solarize(im, 170.67)),
        ("Solarize", 256.0, lambda im: ImageOps.solarize(im, 256)),
        ("Equalize", 0.0, ImageOps.equalize),
        ("Invert", 0.0, ImageOps.invert),
        ("AutoContrast", 0.0, ImageOps.autocontrast),
    ],
)
def test_point_candidates_match_pil(name, magnitude, pil):
    image = _image()
    image[0, 0] = 255  # a saturated pixel: Solarize at 256 must leave it alone
    diff = np.abs(
        _ours(name, magnitude, image) - np.asarray(pil(Image.fromarray(image)), dtype=int)
    )
    # AutoContrast: PIL truncates its lookup table, fastinv rounds the exact stretch: 1 level.
    assert diff.max() <= (1 if name == "AutoContrast" else 0)


def test_signs_are_checked():
    image = torch.zeros(2, 3, 8, 8, dtype=torch.uint8)
    with pytest.raises(ValueError, match="no random sign"):
        get_transform("Rotate").apply(image, [3.0], signs=torch.ones(2, 1))
    with pytest.raises(ValueError, match="signs must be"):
        get_transform("ShearX").apply(image, [0.1], signs=torch.full((2, 1), 2))


def test_invariance_mapping():
    assert invariance_transforms("rescale", 0.55) == ("scale_zoom_out",)
    assert invariance_transforms("rescale", 2.25) == ("scale_zoom_in",)
    assert invariance_transforms("rescale", 1.0) == ()
    assert invariance_transforms("Contrast", 0.5) == ("decrease_contrast", "increase_contrast")
    assert invariance_transforms("Equalize", 0.0) == ()
    assert invariance_transforms("rotate", 45.0) == ("rotate",)
