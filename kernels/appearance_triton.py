"""Batched point-wise appearance operations as Triton launches: B images x M magnitudes.

Same contract as ``appearance_twin.adjust_appearance_twin``. Operations that need per-image
statistics (``appearance_ops.AppearanceOp.needs_stats``, today contrast's mean grey level) first run
``image_stats_kernel``: one program per image reads it once, in a fixed order, so results are
deterministic (no atomics). Then ``adjust_appearance_kernel`` runs over ``(pixel blocks, B * M)``,
reads each pixel's channels, applies the op selected by the constexpr ``OP`` code, normalises and
stores in the output's dtype and layout.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import triton
import triton.language as tl

from ._layout import check_images, check_magnitudes, check_out_dtype, empty_output, normalisation
from ._triton import check_launchable, output_tile, round_half_even, store_finished, to_unit
from .appearance_ops import STATS_COLUMNS, resolve_op

BLOCK = 256
STATS_BLOCK = 1024


@triton.jit
def _grey(r, g, b):
    # ITU-R 601-2 luma, in the twin's order of operations.
    return 0.2989 * r + 0.587 * g + 0.114 * b


@triton.jit
def image_stats_kernel(
    src,
    stats,
    H,
    W,
    stride_b,
    stride_c,
    stride_h,
    stride_w,
    stats_stride,
    C: tl.constexpr,
    IN_UINT8: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """One program per image: column 0 of ``stats`` gets the mean grey level on [0, 1]."""
    b = tl.program_id(0)
    base = b.to(tl.int64) * stride_b
    total = tl.zeros((BLOCK,), dtype=tl.float32)
    for start in range(0, H * W, BLOCK):
        pixel = start + tl.arange(0, BLOCK)
        mask = pixel < H * W
        y = pixel // W
        offsets = base + y.to(tl.int64) * stride_h + (pixel - y * W).to(tl.int64) * stride_w
        r = to_unit(tl.load(src + offsets, mask=mask, other=0), IN_UINT8)
        if C == 3:
            g = to_unit(tl.load(src + offsets + stride_c, mask=mask, other=0), IN_UINT8)
            bl = to_unit(tl.load(src + offsets + 2 * stride_c, mask=mask, other=0), IN_UINT8)
            total += _grey(r, g, bl)
        else:
            total += r
    tl.store(stats + b * stats_stride, tl.div_rn(tl.sum(total, axis=0), (H * W).to(tl.float32)))


@triton.jit
def _hue(r, g, b, shift):
    """HSV hue rotation by ``shift`` turns, step for step as ``appearance_twin._hue``."""
    high = tl.maximum(tl.maximum(r, g), b)
    low = tl.minimum(tl.minimum(r, g), b)
    flat = high == low
    spread = high - low
    saturation = tl.div_rn(spread, tl.where(flat, 1.0, high))
    divisor = tl.where(flat, 1.0, spread)
    # div_rn: IEEE division as the twin's, not the approximate fast division.
    rc = tl.div_rn(high - r, divisor)
    gc = tl.div_rn(high - g, divisor)
    bc = tl.div_rn(high - b, divisor)
    red_max = high == r
    green_max = (high == g) & (high != r)
    blue_max = (high != r) & (high != g)
    hue = tl.where(red_max, bc - gc, 0.0) + tl.where(green_max, rc + 2.0 - bc, 0.0)
    hue += tl.where(blue_max, gc + 4.0 - rc, 0.0)
    hue = hue * (1.0 / 6.0) + 1.0
    hue = hue - tl.floor(hue)  # fmod(., 1) of a positive value
    hue = hue + shift
    hue = hue - tl.floor(hue)  # remainder(., 1)

    h6 = hue * 6.0
    sector = tl.floor(h6)
    frac = h6 - sector
    sector = sector - 6.0 * tl.floor(sector * (1.0 / 6.0))
    value = high
    p = tl.minimum(tl.maximum((1.0 - saturation) * value, 0.0), 1.0)
    q = tl.minimum(tl.maximum((1.0 - saturation * frac) * value, 0.0), 1.0)
    t = tl.minimum(tl.maximum((saturation * frac + (1.0 - saturation)) * value, 0.0), 1.0)
    # (r, g, b) per sector 0..5: (v,t,p) (q,v,p) (p,v,t) (p,q,v) (t,p,v) (v,p,q).
    r_out = tl.where(
        (sector == 0) | (sector == 5), value, tl.where(sector == 1, q, tl.where(sector == 4, t, p))
    )
    g_out = tl.where(
        (sector == 1) | (sector == 2), value, tl.where(sector == 0, t, tl.where(sector == 3, q, p))
    )
    b_out = tl.where(
        (sector == 3) | (sector == 4), value, tl.where(sector == 2, t, tl.where(sector == 5, q, p))
    )
    keep = shift == 0.0
    return tl.where(keep, r, r_out), tl.where(keep, g, g_out), tl.where(keep, b, b_out)


@triton.jit
def _apply_op(x, magnitude, grey, grey_mean, OP: tl.constexpr):
    """A one-channel op (codes as ``appearance_ops.APPEARANCE_OPS``); x on [0, 1]."""
    if OP == 0:  # brightness
        x = tl.minimum(tl.maximum(x * magnitude, 0.0), 1.0)
    if OP == 1:  # contrast: blend with the image's mean grey level
        x = tl.minimum(tl.maximum(magnitude * x + (1.0 - magnitude) * grey_mean, 0.0), 1.0)
    if OP == 2:  # posterize: the magnitude arrives as the step 2^(8 - bits)
        level = round_half_even(x * 255.0)
        x = tl.div_rn(tl.floor(tl.div_rn(level, magnitude)) * magnitude, 255.0)
    if OP == 3:  # solarize
        x = tl.where(x >= magnitude, 1.0 - x, x)
    if OP == 4:  # saturation: blend with the pixel's grey level
        x = tl.minimum(tl.maximum(magnitude * x + (1.0 - magnitude) * grey, 0.0), 1.0)
    if OP == 6:  # invert
        x = 1.0 - x
    return x


@triton.jit
def adjust_appearance_kernel(
    src,
    magnitudes,
    stats,
    mean,
    std,
    out,
    H,
    W,
    M,
    magnitude_batch_stride,
    stats_stride,
    in_stride_b,
    in_stride_c,
    in_stride_h,
    in_stride_w,
    out_stride_n,
    out_stride_c,
    out_stride_h,
    out_stride_w,
    C: tl.constexpr,
    OP: tl.constexpr,
    NEEDS_STATS: tl.constexpr,
    IN_UINT8: tl.constexpr,
    OUT_UINT8: tl.constexpr,
    NORMALISE: tl.constexpr,
    BLOCK: tl.constexpr,
):
    pair, b, m, mask, y, x = output_tile(M, H, W, BLOCK)
    magnitude = tl.load(magnitudes + b * magnitude_batch_stride + m)
    grey_mean = tl.load(stats + b * stats_stride) if NEEDS_STATS else 0.0

    in_offsets = (
        b.to(tl.int64) * in_stride_b + y.to(tl.int64) * in_stride_h + x.to(tl.int64) * in_stride_w
    )
    out_base = out + pair.to(tl.int64) * out_stride_n
    out_offsets = y.to(tl.int64) * out_stride_h + x.to(tl.int64) * out_stride_w
    if C == 3 and (OP == 4 or OP == 5):  # ops that mix the channels of a pixel
        r = to_unit(tl.load(src + in_offsets, mask=mask, other=0), IN_UINT8)
        g = to_unit(tl.load(src + in_offsets + in_stride_c, mask=mask, other=0), IN_UINT8)
        bl = to_unit(tl.load(src + in_offsets + 2 * in_stride_c, mask=mask, other=0), IN_UINT8)
        if OP == 5:
            r, g, bl = _hue(r, g, bl, magnitude)
        else:
            grey = _grey(r, g, bl)
            r = _apply_op(r, magnitude, grey, grey_mean, OP)
            g = _apply_op(g, magnitude, grey, grey_mean, OP)
            bl = _apply_op(bl, magnitude, grey, grey_mean, OP)
        store_finished(out_base, out_offsets, r, mask, mean, std, 0, OUT_UINT8, NORMALISE)
        store_finished(
            out_base + out_stride_c, out_offsets, g, mask, mean, std, 1, OUT_UINT8, NORMALISE
        )
        store_finished(
            out_base + 2 * out_stride_c, out_offsets, bl, mask, mean, std, 2, OUT_UINT8, NORMALISE
        )
    else:
        for c in tl.static_range(C):
            value = to_unit(
                tl.load(src + in_offsets + c * in_stride_c, mask=mask, other=0), IN_UINT8
            )
            if OP != 4 and OP != 5:  # saturation and hue leave one channel as it is
                value = _apply_op(value, magnitude, value, grey_mean, OP)
            store_finished(
                out_base + c * out_stride_c,
                out_offsets,
                value,
                mask,
                mean,
                std,
                c,
                OUT_UINT8,
                NORMALISE,
            )


def image_stats_triton(images: torch.Tensor) -> torch.Tensor:
    """Per-image statistics [B, STATS_COLUMNS] (twin: ``appearance_twin.image_stats``)."""
    B, C, H, W = images.shape
    stats = torch.zeros(B, STATS_COLUMNS, dtype=torch.float32, device=images.device)
    if B and H * W:
        image_stats_kernel[(B,)](
            images,
            stats,
            H,
            W,
            *images.stride(),
            stats.stride(0),
            C=C,
            IN_UINT8=images.dtype == torch.uint8,
            BLOCK=STATS_BLOCK,
        )
    return stats


def adjust_appearance_triton(
    images: torch.Tensor,
    op: str,
    magnitudes: torch.Tensor | Sequence[float],
    *,
    mean: Sequence[float] | None = None,
    std: Sequence[float] | None = None,
    out_dtype: torch.dtype = torch.float32,
    channels_last: bool = False,
) -> torch.Tensor:
    """Triton twin of ``appearance_twin.adjust_appearance_twin``: same arguments, same result."""
    check_images(images)
    check_out_dtype(out_dtype)
    B, C, H, W = images.shape
    device = images.device
    magnitudes = check_magnitudes(magnitudes, B, device)
    spec = resolve_op(op, C, magnitudes)
    mean_t, std_t = normalisation(mean, std, C, device, out_dtype)
    M = magnitudes.shape[1]
    out = empty_output(B * M, C, H, W, out_dtype, channels_last, device)
    if out.numel() == 0:
        return out
    check_launchable(images)
    if H * W >= 2**31:
        raise ValueError(f"image plane {H}x{W} has 2^31 pixels or more; split the call")

    if op == "posterize":  # the kernel takes the step 2^(8 - bits), exact in float32
        magnitudes = torch.exp2(8.0 - magnitudes.double()).float()
    magnitudes = magnitudes.contiguous()
    stats = image_stats_triton(images) if spec.needs_stats else magnitudes
    grid = (triton.cdiv(H * W, BLOCK), B * M)
    adjust_appearance_kernel[grid](
        images,
        magnitudes,
        stats,
        mean_t if mean_t is not None else magnitudes,
        std_t if std_t is not None else magnitudes,
        out,
        H,
        W,
        M,
        0 if magnitudes.shape[0] == 1 else M,
        stats.stride(0),
        *images.stride(),
        *out.stride(),
        C=C,
        OP=spec.code,
        NEEDS_STATS=spec.needs_stats,
        IN_UINT8=images.dtype == torch.uint8,
        OUT_UINT8=out_dtype == torch.uint8,
        NORMALISE=mean_t is not None,
        BLOCK=BLOCK,
    )
    return out
