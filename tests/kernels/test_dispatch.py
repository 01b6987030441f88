"""Dispatch: the twin on CPU, Triton on CUDA, forcing by argument or environment variable."""

import numpy as np
import pytest
import torch
from fastinv.kernels import dispatch, warp_affine

from fastinv.transforms import get_transform


def _spy(monkeypatch):
    calls = []
    original = dispatch.warp_affine_twin

    def twin(*args, **kwargs):
        calls.append("torch")
        return original(*args, **kwargs)

    monkeypatch.setattr(dispatch, "warp_affine_twin", twin)
    return calls


def test_auto_uses_the_twin_on_cpu_and_env_var_forces_triton(monkeypatch):
    images = torch.randint(0, 256, (1, 3, 6, 8), dtype=torch.uint8)
    theta = torch.eye(2, 3).unsqueeze(0)
    calls = _spy(monkeypatch)
    monkeypatch.delenv("FASTINV_KERNEL_BACKEND", raising=False)
    warp_affine(images, theta)
    assert calls == ["torch"]
    monkeypatch.setenv("FASTINV_KERNEL_BACKEND", "triton")
    assert torch.equal(warp_affine(images, theta), images.float() / 255)
    assert calls == ["torch"]  # the second call went to the Triton kernel
    warp_affine(images, theta, backend="torch")  # the argument beats the environment
    assert calls == ["torch", "torch"]
    monkeypatch.setenv("FASTINV_KERNEL_BACKEND", "cuda")
    with pytest.raises(ValueError, match="'cuda' unknown; valid: auto, triton, torch"):
        warp_affine(images, theta)


def test_triton_on_cpu_without_interpreter_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("TRITON_INTERPRET", "0")
    images = torch.zeros(1, 3, 4, 4, dtype=torch.uint8)
    with pytest.raises(RuntimeError, match="needs CUDA tensors.*backend='torch'"):
        warp_affine(images, torch.eye(2, 3).unsqueeze(0), backend="triton")


def test_without_triton_auto_falls_back_and_forcing_fails(monkeypatch):
    monkeypatch.setattr(dispatch, "triton_available", lambda: False)
    images = torch.zeros(1, 3, 4, 4, dtype=torch.uint8)
    assert dispatch.resolve_backend(images, None) == "torch"
    with pytest.raises(ImportError, match="triton is not installed"):
        dispatch.resolve_backend(images, "triton")


@pytest.mark.parametrize("name", ["rotate", "increase_contrast"])
def test_registry_transforms_run_through_both_backends(name):
    transform = get_transform(name)
    images = torch.randint(0, 256, (2, 3, 8, 10), dtype=torch.uint8)
    grid = transform.grid("paper")[:3]
    twin = transform.apply(images, grid, backend="torch")
    kernel = transform.apply(images, grid, backend="triton")
    np.testing.assert_allclose(kernel.numpy(), twin.numpy(), atol=2e-5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_auto_uses_triton_on_cuda_and_matches_the_twin():
    images = torch.randint(0, 256, (4, 3, 32, 48), dtype=torch.uint8, device="cuda")
    theta = get_transform("rotate").theta([0.0, 27.0, 90.0], (32, 48))
    assert dispatch.resolve_backend(images, None) == "triton"
    kernel = warp_affine(images, theta, out_dtype=torch.float16, channels_last=True)
    twin = warp_affine(images, theta, out_dtype=torch.float16, channels_last=True, backend="torch")
    assert kernel.is_cuda and kernel.dtype == torch.float16
    torch.testing.assert_close(kernel, twin, atol=2e-3, rtol=0)  # fp16 steps of 5e-4 near 1
