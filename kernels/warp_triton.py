"""Batched affine warp as one Triton launch: B images x M matrices -> [B * M, C, H', W'].

Same contract and pixel convention as ``warp_twin.warp_affine_twin`` (pixel centres at integer
coordinates, ``theta`` maps output pixels to input points). The launch grid is
``(pixel blocks, B * M)``: the pixel blocks of one (image, matrix) pair run next to each other, and
the M pairs of one image follow, so an image stays in L2 while its M warps read it.

Each program computes the sampling points of BLOCK output pixels once (float32), then for each
channel gathers the taps, blends, normalises and stores in the output's dtype and layout. Offsets
into the input and output are int64, so images and batches past 2^31 elements are safe.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import triton
import triton.language as tl

from ._layout import (
    channel_stats,
    check_images,
    check_out_dtype,
    check_out_size,
    check_theta,
    empty_output,
    normalisation,
)
from ._triton import check_launchable, output_tile, round_half_even, store_finished, to_unit

PADDING_CODES = {"zeros": 0, "constant": 1, "border": 2, "reflection": 3}
INTERPOLATIONS = ("bilinear", "nearest")
BLOCK = 256


@triton.jit
def _fold(coord, size, PADDING: tl.constexpr):
    """Border clamps, reflection mirrors about -0.5 and size - 0.5 (grid_sample's convention)."""
    last = (size - 1).to(tl.float32)
    if PADDING == 2:
        coord = tl.minimum(tl.maximum(coord, 0.0), last)
    if PADDING == 3:
        span = 2.0 * size.to(tl.float32)
        shifted = coord + 0.5
        shifted = shifted - tl.floor(shifted / span) * span
        shifted = tl.where(shifted >= size.to(tl.float32), span - shifted, shifted)
        coord = tl.minimum(tl.maximum(shifted - 0.5, 0.0), last)
    # Points far outside only need to stay outside; clamping keeps the int conversion defined.
    return tl.minimum(tl.maximum(coord, -2.0), last + 2.0)


@triton.jit
def _tap(
    src,
    base,
    ix,
    iy,
    W,
    H,
    stride_h,
    stride_w,
    fill_value,
    mask,
    PADDING: tl.constexpr,
    IN_UINT8: tl.constexpr,
):
    """Input values at integer taps, scaled to [0, 1]; taps outside read 0 or the fill."""
    inside = (ix >= 0) & (ix < W) & (iy >= 0) & (iy < H)
    offsets = base + iy.to(tl.int64) * stride_h + ix.to(tl.int64) * stride_w
    value = to_unit(tl.load(src + offsets, mask=mask & inside, other=0), IN_UINT8)
    if PADDING == 1:
        value = tl.where(inside, value, fill_value)
    return value


@triton.jit
def warp_affine_kernel(
    src,
    theta,
    fill,
    mean,
    std,
    out,
    H,
    W,
    out_h,
    out_w,
    M,
    theta_batch_stride,
    in_stride_b,
    in_stride_c,
    in_stride_h,
    in_stride_w,
    out_stride_n,
    out_stride_c,
    out_stride_h,
    out_stride_w,
    C: tl.constexpr,
    BILINEAR: tl.constexpr,
    PADDING: tl.constexpr,
    IN_UINT8: tl.constexpr,
    OUT_UINT8: tl.constexpr,
    NORMALISE: tl.constexpr,
    BLOCK: tl.constexpr,
):
    pair, b, m, mask, y_out, x_out = output_tile(M, out_h, out_w, BLOCK)

    row = theta + b * theta_batch_stride + m * 6
    xf = x_out.to(tl.float32)
    yf = y_out.to(tl.float32)
    x = tl.load(row + 0) * xf + tl.load(row + 1) * yf + tl.load(row + 2)
    y = tl.load(row + 3) * xf + tl.load(row + 4) * yf + tl.load(row + 5)
    x = _fold(x, W, PADDING)
    y = _fold(y, H, PADDING)

    in_base = b.to(tl.int64) * in_stride_b
    out_base = pair.to(tl.int64) * out_stride_n
    out_offsets = y_out.to(tl.int64) * out_stride_h + x_out.to(tl.int64) * out_stride_w
    if BILINEAR:
        x0 = tl.floor(x)
        y0 = tl.floor(y)
        fx = x - x0
        fy = y - y0
        ix = x0.to(tl.int32)
        iy = y0.to(tl.int32)
        # Same weights and summation order as the twin: x taps outer, y taps inner.
        w00 = (1.0 - fx) * (1.0 - fy)
        w01 = (1.0 - fx) * fy
        w10 = fx * (1.0 - fy)
        w11 = fx * fy
    else:
        ix = round_half_even(x).to(tl.int32)
        iy = round_half_even(y).to(tl.int32)

    # The four bilinear taps read best one per line: keep the formatter out.
    # fmt: off
    for c in tl.static_range(C):
        fill_value = tl.load(fill + c) if PADDING == 1 else 0.0
        base = in_base + c * in_stride_c
        if BILINEAR:
            value = w00 * _tap(src, base, ix, iy, W, H, in_stride_h, in_stride_w, fill_value, mask,
                               PADDING, IN_UINT8)
            value += w01 * _tap(src, base, ix, iy + 1, W, H, in_stride_h, in_stride_w, fill_value,
                                mask, PADDING, IN_UINT8)
            value += w10 * _tap(src, base, ix + 1, iy, W, H, in_stride_h, in_stride_w, fill_value,
                                mask, PADDING, IN_UINT8)
            value += w11 * _tap(src, base, ix + 1, iy + 1, W, H, in_stride_h, in_stride_w,
                                fill_value, mask, PADDING, IN_UINT8)
        else:
            value = _tap(src, base, ix, iy, W, H, in_stride_h, in_stride_w, fill_value, mask,
                         PADDING, IN_UINT8)
        store_finished(out + out_base + c * out_stride_c, out_offsets, value, mask, mean, std, c,
                       OUT_UINT8, NORMALISE)
    # fmt: on


def warp_affine_triton(
    images: torch.Tensor,
    theta: torch.Tensor,
    out_size: tuple[int, int] | None = None,
    *,
    interpolation: str = "bilinear",
    padding: str = "zeros",
    fill: float | Sequence[float] = 0.0,
    mean: Sequence[float] | None = None,
    std: Sequence[float] | None = None,
    out_dtype: torch.dtype = torch.float32,
    channels_last: bool = False,
) -> torch.Tensor:
    """Triton twin of ``warp_twin.warp_affine_twin``: same arguments, same result."""
    check_images(images)
    check_out_dtype(out_dtype)
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation {interpolation!r} not supported; valid: {INTERPOLATIONS}")
    if padding not in PADDING_CODES:
        raise ValueError(f"padding {padding!r} not supported; valid: {tuple(PADDING_CODES)}")
    B, C, H, W = images.shape
    device = images.device
    theta = check_theta(theta, B, device)
    out_h, out_w = check_out_size(out_size, images)
    mean_t, std_t = normalisation(mean, std, C, device, out_dtype)
    fill_t = channel_stats(fill, C, "fill", device)
    M = theta.shape[1]
    out = empty_output(B * M, C, out_h, out_w, out_dtype, channels_last, device)
    if out.numel() == 0 or H == 0 or W == 0:
        return out.zero_() if out.numel() and padding == "zeros" else out
    check_launchable(images)
    if out_h * out_w >= 2**31:
        raise ValueError(f"output plane {out_h}x{out_w} has 2^31 pixels or more; split the call")

    theta32 = theta.to(torch.float32).reshape(theta.shape[0], M * 6).contiguous()
    grid = (triton.cdiv(out_h * out_w, BLOCK), B * M)
    warp_affine_kernel[grid](
        images,
        theta32,
        fill_t,
        mean_t if mean_t is not None else fill_t,
        std_t if std_t is not None else fill_t,
        out,
        H,
        W,
        out_h,
        out_w,
        M,
        0 if theta.shape[0] == 1 else M * 6,
        *images.stride(),
        *out.stride(),
        C=C,
        BILINEAR=interpolation == "bilinear",
        PADDING=PADDING_CODES[padding],
        IN_UINT8=images.dtype == torch.uint8,
        OUT_UINT8=out_dtype == torch.uint8,
        NORMALISE=mean_t is not None,
        BLOCK=BLOCK,
    )
    return out
