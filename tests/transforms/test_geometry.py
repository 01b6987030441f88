"""Geometric transforms against torchvision v2 ``affine`` and a float64 NumPy bilinear reference.

Pixel convention under test: pixel centres at integer coordinates, theta maps output to input.
"""

import numpy as np
import pytest
import torch
from torchvision.transforms.v2 import functional as F

from fastinv.transforms import (
    affine_theta,
    compose,
    crop_resize_theta,
    get_transform,
    resolve_transforms,
)


def numpy_bilinear(image: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """float64 reference: zero outside the image, bilinear inside; image [C, H, W]."""
    C, H, W = image.shape
    out = np.zeros_like(image, dtype=np.float64)
    for y in range(H):
        for x in range(W):
            sx, sy = theta @ np.array([x, y, 1.0])
            x0, y0 = int(np.floor(sx)), int(np.floor(sy))
            for xi, wx in ((x0, 1 - (sx - x0)), (x0 + 1, sx - x0)):
                for yi, wy in ((y0, 1 - (sy - y0)), (y0 + 1, sy - y0)):
                    if 0 <= xi < W and 0 <= yi < H:
                        out[:, y, x] += wx * wy * image[:, yi, xi]
    return out


@pytest.fixture
def images():
    return torch.rand(2, 3, 14, 18, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("transform", resolve_transforms("geometric"), ids=lambda t: t.name)
def test_matches_torchvision_affine_and_numpy(images, transform):
    grid = transform.grid("paper")[[1, 4, 8]]
    out = transform.apply(images, grid).view(2, 3, 3, 14, 18)
    for j, magnitude in enumerate(grid):
        kwargs = {"angle": 0.0, "translate": (0.0, 0.0), "scale": 1.0, "shear": (0.0, 0.0)}
        kwargs.update(transform.to_affine(magnitude, (14, 18)))
        expected = F.affine(
            images.double(),
            angle=kwargs["angle"],
            translate=list(kwargs["translate"]),
            scale=kwargs["scale"],
            shear=list(kwargs["shear"]),
            interpolation=F.InterpolationMode.BILINEAR,
        )
        # The CPU path samples at float32 coordinates (grid_sample): a position error of ~1e-6 px
        # times an intensity gradient of at most 1 per px, plus float32 rounding of the values.
        torch.testing.assert_close(out[:, j].double(), expected, atol=1e-5, rtol=0)
        theta = transform.theta([magnitude], (14, 18))[0].numpy()
        reference = numpy_bilinear(images[0].double().numpy(), theta)
        np.testing.assert_allclose(out[0, j].double().numpy(), reference, atol=1e-5, rtol=0)


def test_identity_is_bit_exact_for_uint8_and_float(images):
    pixels = (images * 255).round().to(torch.uint8)
    for transform in resolve_transforms("geometric"):
        assert torch.equal(
            transform.apply(pixels, [transform.identity], out_dtype=torch.uint8), pixels
        )
        assert torch.equal(transform.apply(images, [transform.identity]), images)


def test_half_side_translation_moves_content_by_whole_pixels():
    image = torch.arange(2 * 8 * 10, dtype=torch.float32).view(1, 2, 8, 10) / 160
    shifted = get_transform("translateX").apply(image, [0.3])  # 3 px at width 10
    torch.testing.assert_close(shifted[0, :, :, 3:], image[0, :, :, :7], atol=0, rtol=0)
    assert torch.all(shifted[0, :, :, :3] == 0)  # zero fill where nothing maps


def test_compose_equals_sequential_sampling():
    a = affine_theta((20, 20), angle=30)
    b = affine_theta((20, 20), translate=(2, -1), scale=1.5)
    point = np.array([3.0, 7.0, 1.0])
    # Inverse maps compose outer-first: the output point goes through b's map, then a's.
    expected = a @ np.append(b @ point, 1.0)
    np.testing.assert_allclose(compose(a, b) @ point, expected)


def test_crop_resize_theta_matches_torchvision_resized_crop():
    image = torch.rand(
        1, 3, 30, 40, dtype=torch.float64, generator=torch.Generator().manual_seed(2)
    )
    theta = torch.from_numpy(crop_resize_theta((5, 3, 24, 18), (12, 16)))
    ours = get_transform("rotate").apply(image, [0.0])  # identity sanity on the same image
    assert torch.equal(ours.double(), image.float().double())
    from fastinv.kernels import warp_affine

    out = warp_affine(image, theta[None], (12, 16), padding="border")
    expected = F.resized_crop(
        image, top=3, left=5, height=18, width=24, size=[12, 16], antialias=False
    )
    torch.testing.assert_close(out.double(), expected, atol=2e-6, rtol=0)


def test_theta_validates_family_and_scale():
    with pytest.raises(TypeError, match="appearance transform"):
        get_transform("posterize").theta([4], (8, 8))
    with pytest.raises(ValueError, match="scale must be positive"):
        affine_theta((8, 8), scale=0.0)
