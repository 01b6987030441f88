"""Batched affine warp: Triton kernel (interpreted on CPU) == PyTorch twin == float64 NumPy, and
agreement with OpenCV and torchvision through explicit convention adapters."""

import cv2
import numpy as np
import pytest
import torch
from fastinv.kernels import warp_affine
from kernels_reference import warp_reference
from torchvision.transforms.v2 import functional as F

from fastinv.transforms import affine_theta

BACKENDS = ("torch", "triton")
SIZE = (12, 16)
# float32 coordinates and weights against float64: a point moves by ~1e-5 px at this size, a
# value by at most that times the local slope (<= 1 per px on [0, 1]); 2e-5 leaves headroom.
FLOAT_ATOL = 2e-5


def _images(batch=2, channels=3, size=SIZE, dtype=torch.uint8):
    images = torch.randint(0, 256, (batch, channels, *size), dtype=torch.uint8)
    return images if dtype == torch.uint8 else images.to(dtype) / 255


def _thetas(size=SIZE):
    params = [
        dict(angle=27.0, scale=1.3),
        dict(translate=(2.5, -1.25), shear=(15.0, 0.0)),
        dict(angle=-135.0, scale=0.6, translate=(-3.0, 4.0)),
    ]
    return torch.from_numpy(np.stack([affine_theta(size, **p) for p in params]))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding", ["zeros", "constant", "border", "reflection"])
def test_matches_numpy_float64(backend, interpolation, padding):
    images, theta = _images(), _thetas()
    fill = (0.1, 0.5, 0.9)
    out_size = (10, 18)  # output size differs from the input's on purpose
    out = warp_affine(
        images,
        theta,
        out_size,
        interpolation=interpolation,
        padding=padding,
        fill=fill,
        backend=backend,
    ).view(2, 3, 3, *out_size)
    for b in range(2):
        for m in range(3):
            expected = warp_reference(
                images[b].double().numpy() / 255,
                theta[m].numpy(),
                out_size,
                interpolation,
                padding,
                fill,
            )
            got = out[b, m].double().numpy()
            if interpolation == "nearest":
                # A point within float32 rounding of a half-pixel tie may pick the other pixel;
                # everywhere else nearest is exact.
                assert np.mean(np.abs(got - expected) < 1e-7) > 0.98
            else:
                np.testing.assert_allclose(got, expected, atol=FLOAT_ATOL, rtol=0)


def test_triton_equals_twin_all_dtypes_and_layouts():
    images = _images()
    theta = _thetas()
    for in_layout in (torch.contiguous_format, torch.channels_last):
        source = images.contiguous(memory_format=in_layout)
        for out_dtype in (torch.float32, torch.float16, torch.bfloat16, torch.uint8):
            for channels_last in (False, True):
                kw = dict(out_dtype=out_dtype, channels_last=channels_last)
                if out_dtype != torch.uint8:
                    kw.update(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))
                kernel = warp_affine(source, theta, backend="triton", **kw)
                twin = warp_affine(source, theta, backend="torch", **kw)
                fmt = torch.channels_last if channels_last else torch.contiguous_format
                assert kernel.dtype == twin.dtype == out_dtype
                assert kernel.is_contiguous(memory_format=fmt) and twin.is_contiguous(
                    memory_format=fmt
                )
                assert kernel.shape == (6, 3, *SIZE)
                diff = (kernel.float() - twin.float()).abs()
                if out_dtype == torch.uint8:
                    assert diff.max() <= 1  # a value at a rounding tie may land on either level
                elif out_dtype == torch.bfloat16:
                    # Triton's interpreter truncates float32 -> bfloat16 (GPUs round to nearest):
                    # one bfloat16 step, 2^-7 relative.
                    assert torch.all(diff <= twin.float().abs() * 2**-7 + 1e-6)
                else:
                    tolerance = 1e-3 if out_dtype == torch.float16 else 1e-4  # 1e-5 / std, fp16 ulp
                    assert diff.max() <= tolerance


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_identity_translation_rotation_are_bit_exact(backend, interpolation):
    images = _images(size=(12, 12))
    params = [
        dict(),
        dict(translate=(3.0, -2.0)),
        dict(angle=90.0),
        dict(angle=-90.0),
        dict(angle=180.0),
    ]
    theta = torch.from_numpy(np.stack([affine_theta((12, 12), **p) for p in params]))
    out = warp_affine(
        images, theta, interpolation=interpolation, out_dtype=torch.uint8, backend=backend
    ).view(2, 5, 3, 12, 12)
    shifted = torch.zeros_like(images)
    shifted[..., 0:10, 3:] = images[..., 2:, :9]  # content moves right 3, up 2
    assert torch.equal(out[:, 0], images)
    assert torch.equal(out[:, 1], shifted)
    # Positive angles turn the content clockwise on screen (y points down).
    assert torch.equal(out[:, 2], torch.rot90(images, -1, dims=(2, 3)))
    assert torch.equal(out[:, 3], torch.rot90(images, 1, dims=(2, 3)))
    assert torch.equal(out[:, 4], torch.rot90(images, 2, dims=(2, 3)))
    floats = warp_affine(images, theta[:1], backend=backend, mean=0.5, std=0.25)  # uint8 / 255
    assert torch.equal(floats, (images.float() / 255 - 0.5) / 0.25)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("padding", "border_mode"),
    [
        ("zeros", cv2.BORDER_CONSTANT),
        ("border", cv2.BORDER_REPLICATE),
        ("reflection", cv2.BORDER_REFLECT),
    ],
)
def test_matches_opencv(backend, padding, border_mode):
    # Adapter: OpenCV also puts pixel centres at integer coordinates, so theta is its matrix when
    # WARP_INVERSE_MAP says it maps destination to source; images go CHW <-> HWC.
    images, theta = _images(batch=1, size=(24, 32)), _thetas((24, 32))
    out = warp_affine(images, theta, out_dtype=torch.uint8, padding=padding, backend=backend)
    hwc = images[0].permute(1, 2, 0).numpy()
    for m in range(theta.shape[0]):
        expected = cv2.warpAffine(
            hwc,
            theta[m].numpy(),
            (32, 24),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=border_mode,
            borderValue=0,
        )
        got = out[m].permute(1, 2, 0).numpy().astype(int)
        diff = np.abs(got - expected.astype(int))
        if padding == "zeros":
            # Compare where all four taps are inside: OpenCV blends edge taps differently.
            ys, xs = np.mgrid[0:24, 0:32]
            x = theta[m, 0, 0].item() * xs + theta[m, 0, 1].item() * ys + theta[m, 0, 2].item()
            y = theta[m, 1, 0].item() * xs + theta[m, 1, 1].item() * ys + theta[m, 1, 2].item()
            interior = (x >= 0) & (x <= 31 - 1) & (y >= 0) & (y <= 23 - 1)
            diff = diff[interior]
            assert interior.sum() > 100
        # OpenCV quantises weights to 1/32 px and rounds in fixed point: at most one level off.
        assert diff.max() <= 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_matches_torchvision_affine(backend):
    images = _images(batch=2, size=(20, 24), dtype=torch.float32)
    params = [
        dict(angle=33.0, translate=(2.0, -3.0), scale=1.2, shear=(10.0, -5.0)),
        dict(angle=-70.0, translate=(0.0, 0.0), scale=0.7, shear=(0.0, 20.0)),
    ]
    theta = torch.from_numpy(np.stack([affine_theta((20, 24), **p) for p in params]))
    out = warp_affine(images, theta, backend=backend).view(2, 2, 3, 20, 24)
    for m, p in enumerate(params):
        expected = F.affine(
            images,
            angle=p["angle"],
            translate=list(p["translate"]),
            scale=p["scale"],
            shear=list(p["shear"]),
            interpolation=F.InterpolationMode.BILINEAR,
        )
        # torchvision builds its grid in float32 through normalised coordinates: ~1e-5 px apart.
        torch.testing.assert_close(out[:, m], expected, atol=1e-4, rtol=0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_batched_equals_loop_and_input_untouched(backend):
    images = _images(batch=3)
    before = images.clone()
    theta = torch.stack([_thetas()[[0, 1]], _thetas()[[2, 0]], _thetas()[[1, 2]]])  # [B, M, 2, 3]
    batched = warp_affine(images, theta, backend=backend).view(3, 2, 3, *SIZE)
    for b in range(3):
        single = warp_affine(images[b : b + 1], theta[b], backend=backend)
        assert torch.equal(batched[b], single)
    assert torch.equal(images, before)


@pytest.mark.parametrize("backend", BACKENDS)
def test_empty_batch_and_no_matrices(backend):
    out = warp_affine(_images(batch=0), _thetas(), backend=backend, out_dtype=torch.float16)
    assert out.shape == (0, 3, *SIZE) and out.dtype == torch.float16
    out = warp_affine(_images(), torch.zeros(0, 2, 3), backend=backend)
    assert out.shape == (0, 3, *SIZE)


def test_large_image_offsets_do_not_overflow_int32():
    # Image 1 starts 1.2e9 elements in; its far corner sits past 2^31. torch.empty leaves the
    # pages unwritten, so only the patch written below takes memory.
    images = torch.empty((2, 1, 40_000, 30_000), dtype=torch.uint8)
    patch = torch.randint(0, 256, (4, 5), dtype=torch.uint8)
    images[1, 0, -4:, -5:] = patch
    theta = torch.tensor([[[1.0, 0.0, 30_000 - 5], [0.0, 1.0, 40_000 - 4]]])
    theta = torch.stack([theta, theta])
    for backend in BACKENDS:
        out = warp_affine(images, theta, (4, 5), out_dtype=torch.uint8, backend=backend)
        assert torch.equal(out[1, 0], patch), backend


@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_arguments_name_the_value(backend):
    images = _images()
    with pytest.raises(ValueError, match="'bicubic'"):
        warp_affine(images, _thetas(), interpolation="bicubic", backend=backend)
    with pytest.raises(ValueError, match="'wrap'"):
        warp_affine(images, _thetas(), padding="wrap", backend=backend)
    with pytest.raises(ValueError, match=r"\(3, 3\)"):
        warp_affine(images, torch.zeros(3, 3), backend=backend)
    with pytest.raises(ValueError, match=r"\[2, M, 2, 3\], got \(5, 3, 2, 3\)"):
        warp_affine(images, torch.zeros(5, 3, 2, 3), backend=backend)
    with pytest.raises(ValueError, match="non-finite"):
        warp_affine(images, torch.full((1, 2, 3), float("nan")), backend=backend)
    with pytest.raises(ValueError, match="uint8"):
        warp_affine(images, _thetas(), mean=0.5, out_dtype=torch.uint8, backend=backend)
    with pytest.raises(ValueError, match="int64"):
        warp_affine(images, _thetas(), out_dtype=torch.int64, backend=backend)
    with pytest.raises(ValueError, match="shape"):
        warp_affine(images[0], _thetas(), backend=backend)
    with pytest.raises(ValueError, match="out_size"):
        warp_affine(images, _thetas(), (0, 4), backend=backend)
