"""Appearance transforms against torchvision's functional ops on [0, 1] images."""

import pytest
import torch
from torchvision.transforms.v2 import functional as F

from fastinv.transforms import get_transform, resolve_transforms


@pytest.fixture
def pixels():
    return torch.randint(
        0, 256, (3, 3, 12, 10), dtype=torch.uint8, generator=torch.Generator().manual_seed(3)
    )


def reference(name: str, image: torch.Tensor, magnitude: float) -> torch.Tensor:
    x = image.float() / 255
    if name.endswith("brightness"):
        return F.adjust_brightness(x, magnitude)
    if name.endswith("contrast"):
        return F.adjust_contrast(x, magnitude)
    if name == "solarize":
        return F.solarize(x, magnitude)
    if name == "posterize":
        return F.posterize(image, int(magnitude)).float() / 255  # uint8 semantics
    raise AssertionError(name)


@pytest.mark.parametrize("transform", resolve_transforms("appearance"), ids=lambda t: t.name)
def test_matches_torchvision(pixels, transform):
    grid = transform.grid("paper")
    out = transform.apply(pixels, grid).view(3, len(grid), 3, 12, 10)
    for j, magnitude in enumerate(grid):
        # float32 arithmetic in a different order from torchvision: at most a few ulps.
        torch.testing.assert_close(
            out[:, j], reference(transform.name, pixels, magnitude), atol=1e-6, rtol=0
        )


def test_per_sample_magnitudes(pixels):
    brightness = get_transform("decrease_brightness")
    per_sample = torch.tensor([[0.5, 1.0], [0.25, 1.0], [0.0, 1.0]])
    out = brightness.apply(pixels, [0.5, 1.0]).view(3, 2, 3, 12, 10)
    from fastinv.kernels import adjust_appearance

    mixed = adjust_appearance(pixels, "brightness", per_sample).view(3, 2, 3, 12, 10)
    torch.testing.assert_close(mixed[0, 0], out[0, 0])
    torch.testing.assert_close(mixed[2, 0], torch.zeros_like(mixed[2, 0]))


def test_normalisation_and_dtype_are_fused(pixels):
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    out = get_transform("increase_contrast").apply(
        pixels, [1.5], mean=mean, std=std, out_dtype=torch.bfloat16, channels_last=True
    )
    expected = F.normalize(F.adjust_contrast(pixels.float() / 255, 1.5), mean, std)
    assert out.dtype == torch.bfloat16 and out.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(
        out.float(), expected, atol=2e-2, rtol=1e-2
    )  # bf16 keeps 8 bits of mantissa
