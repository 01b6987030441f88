"""AutoAugment's appearance ops in the kernel twins against torchvision v2 (the PIL semantics)."""

import pytest
import torch
from fastinv.kernels import adjust_appearance
from fastinv.kernels.dispatch import adjust_appearance as dispatched
from torchvision.transforms.v2 import functional as TF


def _images() -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (4, 3, 19, 15), dtype=torch.uint8, generator=g)
    images[1] = images[1] // 5 + 80  # a narrow histogram: autocontrast and equalize stretch it
    images[2, 0] = 7  # one flat channel: autocontrast and equalize leave it alone
    images[3] = 200  # a constant image
    return images


@pytest.mark.parametrize("factor", [0.0, 0.1, 1.0, 1.9])
def test_sharpness_matches_torchvision(factor):
    images = _images()
    out = adjust_appearance(images, "sharpness", [factor])
    expected = TF.adjust_sharpness(images.float() / 255, factor)
    # Same arithmetic on [0, 1] floats in another order (blend written x + (1 - r)(y - x) there):
    # a few float32 ulps.
    torch.testing.assert_close(out, expected, rtol=0, atol=5e-7)


def test_autocontrast_and_invert_match_torchvision():
    images = _images()
    unit = images.float() / 255
    torch.testing.assert_close(
        adjust_appearance(images, "autocontrast", [0.0]), TF.autocontrast(unit), rtol=0, atol=1e-6
    )
    torch.testing.assert_close(
        adjust_appearance(images, "invert", [0.0]), TF.invert(unit), rtol=0, atol=0
    )


def test_equalize_matches_torchvision_uint8_exactly():
    images = _images()
    out = adjust_appearance(images, "equalize", [0.0], out_dtype=torch.uint8)
    assert torch.equal(out, TF.equalize(images))
    assert torch.equal(out[3], images[3])  # a constant image has step 0: unchanged


def test_twin_only_ops_run_the_twin_when_triton_is_asked():
    images = _images()
    torch.testing.assert_close(
        dispatched(images, "equalize", [0.0], backend="triton"),
        adjust_appearance(images, "equalize", [0.0], backend="torch"),
    )


def test_invert_triton_kernel_matches_twin():
    pytest.importorskip("triton")
    images = _images()[:2, :, :8, :8].contiguous()
    out = dispatched(images, "invert", [0.0], backend="triton", mean=[0.5] * 3, std=[0.25] * 3)
    expected = adjust_appearance(
        images, "invert", [0.0], backend="torch", mean=[0.5] * 3, std=[0.25] * 3
    )
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-6)
