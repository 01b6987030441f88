"""Triton helpers shared by the kernels: device functions and the checks before a launch.

Importing this module imports triton; ``dispatch.py`` imports it only when a Triton kernel is
asked for, so a machine without triton still runs the PyTorch twins.
"""

from __future__ import annotations

import os

import torch
import triton
import triton.language as tl


def interpreting() -> bool:
    """True when Triton runs kernels on the CPU (``TRITON_INTERPRET=1``)."""
    return os.environ.get("TRITON_INTERPRET", "0").lower() in ("1", "true", "on", "yes")


def check_launchable(images: torch.Tensor) -> None:
    """A clear error instead of a driver failure when the tensors cannot reach a Triton kernel."""
    if images.is_cuda or interpreting():
        return
    raise RuntimeError(
        f"the Triton backend needs CUDA tensors (or TRITON_INTERPRET=1 set before import to run on "
        f"the CPU); images are on {images.device}. Use backend='torch' for the PyTorch twin."
    )


@triton.jit
def output_tile(M, height, width, BLOCK: tl.constexpr):
    """This program's (image, magnitude) pair = b * M + m, and its BLOCK output pixels (mask, row,
    column).

    Grid: axis 0 tiles the output pixels, axis 1 runs over the B * M (image, magnitude) pairs.
    """
    pair = tl.program_id(1)  # b * M + m
    b = pair // M
    m = pair - b * M
    pixel = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = pixel < height * width
    y = pixel // width
    x = pixel - y * width
    return pair, b, m, mask, y, x


@triton.jit
def round_half_even(x):
    """Round to the nearest integer, ties to even, as ``torch.round`` (portable across backends)."""
    rounded = tl.floor(x + 0.5)
    # A tie rounded up to an odd integer goes back down to the even one.
    is_tie = (rounded - x) == 0.5
    is_odd = (rounded - 2.0 * tl.floor(rounded * 0.5)) == 1.0
    return tl.where(is_tie & is_odd, rounded - 1.0, rounded)


@triton.jit
def to_unit(value, IN_UINT8: tl.constexpr):
    """Loaded values as float32 on [0, 1]: uint8 levels / 255 (IEEE division, as torchvision's
    ``to_dtype(scale=True)`` and the twins)."""
    value = value.to(tl.float32)
    if IN_UINT8:
        value = tl.div_rn(value, 255.0)
    return value


@triton.jit
def store_finished(
    out,
    offsets,
    values,
    mask,
    mean_ptr,
    std_ptr,
    c,
    OUT_UINT8: tl.constexpr,
    NORMALISE: tl.constexpr,
):
    """Write float32 values on [0, 1] as ``_layout.finish`` does: uint8 levels or (v - mean) / std."""
    if OUT_UINT8:
        level = tl.minimum(tl.maximum(round_half_even(values * 255.0), 0.0), 255.0)
        tl.store(out + offsets, level.to(tl.uint8), mask=mask)
    else:
        if NORMALISE:
            # div_rn: IEEE division, as the twin's `/`, not the approximate fast division.
            values = tl.div_rn(values - tl.load(mean_ptr + c), tl.load(std_ptr + c))
        tl.store(out + offsets, values.to(out.dtype.element_ty), mask=mask)
