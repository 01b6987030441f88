"""Batched appearance ops: Triton kernel (interpreted on CPU) == PyTorch twin == float64 NumPy,
and the twin against torchvision v2 on float images."""

import numpy as np
import pytest
import torch
from fastinv.kernels import adjust_appearance
from fastinv.kernels.appearance_ops import APPEARANCE_OPS
from kernels_reference import appearance_reference
from torchvision.transforms.v2 import functional as F

BACKENDS = ("torch", "triton")
MAGNITUDES = {
    "brightness": [1.0, 0.0, 0.45, 1.7],
    "contrast": [1.0, 0.0, 0.45, 1.7],
    "saturation": [1.0, 0.0, 0.45, 1.7],
    "hue": [0.0, -0.5, -0.2, 0.13, 0.5],
    "posterize": [8.0, 5.0, 1.0, 0.0],
    "solarize": [1.0, 0.6, 0.25, 0.0],
    "invert": [1.0],
}
TORCHVISION = {
    "brightness": F.adjust_brightness,
    "contrast": F.adjust_contrast,
    "saturation": F.adjust_saturation,
    "hue": F.adjust_hue,
    "solarize": F.solarize,
}


def _images(batch=2, channels=3, dtype=torch.uint8):
    images = torch.randint(0, 256, (batch, channels, 12, 16), dtype=torch.uint8)
    images[0, :, 0, :4] = 128  # grey pixels: hue and saturation have nothing to turn
    if channels == 3:
        images[0, :, 1, 0] = torch.tensor([200, 200, 10], dtype=torch.uint8)  # a tie for the max
    return images if dtype == torch.uint8 else images.to(dtype) / 255


def test_table_and_twin_cover_the_same_ops():
    from fastinv.kernels.appearance_twin import OPS

    assert set(OPS) == set(APPEARANCE_OPS)
    # Every op with a Triton branch is compared with the twin and NumPy below.
    assert {name for name, op in APPEARANCE_OPS.items() if op.triton} == set(MAGNITUDES)
    assert len({op.code for op in APPEARANCE_OPS.values()}) == len(APPEARANCE_OPS)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("op", sorted(MAGNITUDES))
@pytest.mark.parametrize("channels", [3, 1])
def test_matches_numpy_float64(backend, op, channels):
    images = _images(channels=channels)
    magnitudes = MAGNITUDES[op]
    out = adjust_appearance(images, op, magnitudes, backend=backend).view(
        2, len(magnitudes), channels, 12, 16
    )
    for b in range(2):
        for m, magnitude in enumerate(magnitudes):
            expected = appearance_reference(images[b].double().numpy() / 255, op, magnitude)
            # float32 arithmetic against float64; hue goes through HSV and back (a few ulp).
            np.testing.assert_allclose(out[b, m].double().numpy(), expected, atol=2e-6, rtol=0)


@pytest.mark.parametrize("op", sorted(TORCHVISION))
def test_twin_matches_torchvision_on_float_images(op):
    images = _images(dtype=torch.float32)
    magnitudes = MAGNITUDES[op]
    out = adjust_appearance(images, op, magnitudes, backend="torch").view(
        2, len(magnitudes), 3, 12, 16
    )
    for m, magnitude in enumerate(magnitudes):
        # Identical formulas in float32; torchvision's hue round trip at shift 0 is off by up to
        # 6e-7 where fastinv returns the input unchanged.
        torch.testing.assert_close(out[:, m], TORCHVISION[op](images, magnitude), atol=1e-6, rtol=0)
    levels = _images()
    posterized = adjust_appearance(
        levels, "posterize", [8, 5, 1, 0], backend="torch", out_dtype=torch.uint8
    )
    for m, bits in enumerate([8, 5, 1, 0]):
        assert torch.equal(posterized.view(2, 4, 3, 12, 16)[:, m], F.posterize(levels, bits))


@pytest.mark.parametrize("op", ["contrast", "hue", "posterize"])
def test_triton_equals_twin_dtypes_layouts_and_per_sample_magnitudes(op):
    images = _images(batch=3)
    magnitudes = torch.tensor(MAGNITUDES[op][:3]).expand(3, 3).roll(1, dims=1)  # [B, M] per sample
    for source in (
        images,
        images.contiguous(memory_format=torch.channels_last),
        images.float() / 255,
    ):
        for out_dtype in (torch.float32, torch.float16, torch.bfloat16, torch.uint8):
            channels_last = out_dtype in (torch.float16, torch.uint8)
            kw = dict(out_dtype=out_dtype, channels_last=channels_last)
            if out_dtype != torch.uint8:
                kw.update(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))
            kernel = adjust_appearance(source, op, magnitudes, backend="triton", **kw)
            twin = adjust_appearance(source, op, magnitudes, backend="torch", **kw)
            fmt = torch.channels_last if channels_last else torch.contiguous_format
            assert kernel.dtype == out_dtype and kernel.is_contiguous(memory_format=fmt)
            assert twin.dtype == out_dtype and twin.is_contiguous(memory_format=fmt)
            diff = (kernel.float() - twin.float()).abs()
            if out_dtype == torch.uint8:
                assert diff.max() <= 1  # rounding ties may fall either way
            elif out_dtype == torch.bfloat16:
                # The interpreter truncates float32 -> bfloat16 (GPUs round): one step, 2^-7.
                assert torch.all(diff <= twin.float().abs() * 2**-7 + 1e-6)
            else:
                assert diff.max() <= (1e-3 if out_dtype == torch.float16 else 2e-5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_batched_equals_loop_empty_and_input_untouched(backend):
    images = _images(batch=3)
    before = images.clone()
    magnitudes = torch.tensor([[0.5, 1.5], [0.2, 1.0], [1.0, 0.0]])
    batched = adjust_appearance(images, "contrast", magnitudes, backend=backend).view(
        3, 2, 3, 12, 16
    )
    for b in range(3):
        single = adjust_appearance(images[b : b + 1], "contrast", magnitudes[b], backend=backend)
        assert torch.equal(batched[b], single)
    assert torch.equal(images, before)
    assert adjust_appearance(images[:0], "hue", [0.1], backend=backend).shape == (0, 3, 12, 16)
    assert adjust_appearance(images, "hue", [], backend=backend).shape == (0, 3, 12, 16)


@pytest.mark.parametrize("backend", BACKENDS)
def test_image_stats_match_the_grey_mean(backend):
    from fastinv.kernels.appearance_twin import image_stats

    images = _images(batch=3)
    if backend == "triton":
        from fastinv.kernels.appearance_triton import image_stats_triton as stats_fn
    else:
        stats_fn = lambda x: image_stats(x.float() / 255)
    expected = [
        np.tensordot([0.2989, 0.587, 0.114], img.double().numpy() / 255, axes=1).mean()
        for img in images
    ]
    np.testing.assert_allclose(stats_fn(images)[:, 0].numpy(), expected, atol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_arguments_name_the_value(backend):
    images = _images()
    with pytest.raises(ValueError, match="'gamma'.*valid: brightness"):
        adjust_appearance(images, "gamma", [1.0], backend=backend)
    with pytest.raises(ValueError, match="magnitude 0.7 out of range"):
        adjust_appearance(images, "hue", [0.1, 0.7], backend=backend)
    with pytest.raises(ValueError, match="whole numbers"):
        adjust_appearance(images, "posterize", [2.5], backend=backend)
    with pytest.raises(ValueError, match="1 or 3 channels, got 2"):
        adjust_appearance(images[:, :2], "saturation", [0.5], backend=backend)
    with pytest.raises(ValueError, match=r"\[2, M\], got \(3, 1\)"):
        adjust_appearance(images, "brightness", torch.ones(3, 1), backend=backend)
    with pytest.raises(ValueError, match="std must be non-zero"):
        adjust_appearance(images, "brightness", [1.0], std=0.0, backend=backend)
