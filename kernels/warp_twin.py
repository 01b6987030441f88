"""Batched affine warp in plain PyTorch: the reference twin of the Triton warp kernel.

One call warps B images by M matrices into ``[B * M, C, H', W']`` (``view(B, M, ...)`` works).
Matrices that move whole pixels (integer shifts, flips, 90-degree turns) copy pixels exactly;
other matrices go through ``grid_sample`` (float32 grid), except constant fill, which takes
explicit float64-coordinate taps.
Matrices follow fastinv's convention (``fastinv.transforms.geometry``): pixel centres at integer
coordinates, ``theta`` maps output pixels to input points. Bilinear sampling with ``padding="zeros"``
equals ``grid_sample(align_corners=False, padding_mode="zeros")``; ``"border"`` and ``"reflection"``
equal grid_sample's modes of the same names; ``"constant"`` treats outside taps as ``fill``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from ._layout import (
    channel_stats,
    check_images,
    check_out_dtype,
    check_out_size,
    check_theta,
    finish,
    to_unit_float,
)

INTERPOLATIONS = ("bilinear", "nearest")
PADDINGS = ("zeros", "constant", "border", "reflection")


def _reflect(coord: torch.Tensor, size: int) -> torch.Tensor:
    # Reflect about the image edges -0.5 and size - 0.5, as grid_sample(align_corners=False).
    span = 2.0 * size
    coord = torch.remainder(coord + 0.5, span)
    coord = torch.where(coord >= size, span - coord, coord) - 0.5
    return coord.clamp(0, size - 1)


def _taps(coord: torch.Tensor, size: int, interpolation: str, padding: str):
    """Integer taps along one axis with their weights and in-range masks."""
    if padding == "border":
        coord = coord.clamp(0, size - 1)
    elif padding == "reflection":
        coord = _reflect(coord, size)
    if interpolation == "nearest":
        index = torch.round(coord)  # half to even, like grid_sample
        return [(index, torch.ones_like(coord))]
    low = torch.floor(coord)
    frac = coord - low
    return [(low, 1.0 - frac), (low + 1.0, frac)]


def _is_pixel_copy(theta: torch.Tensor) -> bool:
    """True when every matrix moves whole pixels: integer shifts, flips and 90-degree turns."""
    linear = theta[..., :2]
    signed_permutation = ((linear.abs() == 1).sum(-1) == 1).all() & (
        (linear == 0).sum(-1) == 1
    ).all()
    return bool(signed_permutation) and bool((theta == torch.round(theta)).all())


def _gather_warp(unit, theta, out_size, interpolation, padding, fill):
    """[B, C, P] warp by explicit taps: exact copies for pixel moves, and the constant fill."""
    B, C, H, W = unit.shape
    out_h, out_w = out_size
    # One extra pixel at index H * W holds the value of every outside tap (0 or the fill), so a
    # tap is a single gather, with no mask pass.
    outside = fill if padding == "constant" else torch.zeros_like(fill)
    flat = torch.cat([unit.reshape(B, C, H * W), outside.expand(B, C, 1)], dim=2)
    # Coordinates in float64 so large images and far translations keep sub-pixel precision.
    ys, xs = torch.meshgrid(
        torch.arange(out_h, dtype=torch.float64, device=unit.device),
        torch.arange(out_w, dtype=torch.float64, device=unit.device),
        indexing="ij",
    )
    grid = torch.stack([xs.flatten(), ys.flatten(), torch.ones_like(xs).flatten()])  # [3, P]
    points = theta @ grid  # [B or 1, 2, P]
    acc = None
    for ix, wx in _taps(points[:, 0], W, interpolation, padding):
        for iy, wy in _taps(points[:, 1], H, interpolation, padding):
            inside = (ix >= 0) & (ix <= W - 1) & (iy >= 0) & (iy <= H - 1)
            index = torch.where(inside, iy * W + ix, H * W).long()  # [B or 1, P]
            weight = (wx * wy).float().unsqueeze(1)  # [B or 1, 1, P]
            if index.shape[0] == 1:  # shared matrices: one index for the whole batch
                tap = flat.index_select(2, index[0])
            else:
                tap = torch.gather(flat, 2, index.unsqueeze(1).expand(B, C, -1))
            acc = tap.mul_(weight) if acc is None else acc.addcmul_(tap, weight)
    return acc


# FIXME: on CPU this path runs at grid_sample's speed, several times slower than cv2.warpAffine
# on uint8 (fixed-point weights, SIMD); a uint8 fixed-point CPU path is missing.
def _grid_sample_warp(unit, theta, out_size, interpolation, padding):
    """[B, C, H', W'] warp through grid_sample, whose vectorised CPU loop is the fastest here.

    fastinv's pixel-space theta becomes affine_grid's normalised form (align_corners=False):
    u = (2x + 1) / W - 1. The grid is float32, as the Triton kernel's coordinates.
    """
    B, C, H, W = unit.shape
    out_h, out_w = out_size
    to_pixels_out = theta.new_tensor(
        [[out_w / 2, 0, out_w / 2 - 0.5], [0, out_h / 2, out_h / 2 - 0.5], [0, 0, 1]]
    )
    to_norm_in = theta.new_tensor([[2 / W, 0, 1 / W - 1], [0, 2 / H, 1 / H - 1]])
    normalized = (
        to_norm_in
        @ torch.cat([theta, theta.new_tensor([[[0, 0, 1]]]).expand(len(theta), 1, 3)], 1)
        @ to_pixels_out
    ).float()
    grid = F.affine_grid(normalized, [len(theta), C, out_h, out_w], align_corners=False)
    return F.grid_sample(
        unit,
        grid.expand(B, -1, -1, -1),
        mode=interpolation,
        padding_mode=padding,
        align_corners=False,
    )


def warp_affine_twin(
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
    """Warp ``images`` [B, C, H, W] (uint8 or float on [0, 1]) by ``theta`` [M, 2, 3] (shared by
    the batch) or [B, M, 2, 3] (per sample). ``fill`` is on the [0, 1] scale, per channel or one
    value. Returns [B * M, C, H', W']; ``kernels._layout.finish`` gives the dtype rules.
    """
    check_images(images)
    check_out_dtype(out_dtype)
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation {interpolation!r} not supported; valid: {INTERPOLATIONS}")
    if padding not in PADDINGS:
        raise ValueError(f"padding {padding!r} not supported; valid: {PADDINGS}")
    B, C, H, W = images.shape
    theta = check_theta(theta, B, images.device)
    M = theta.shape[1]
    out_h, out_w = check_out_size(out_size, images)
    device = images.device
    mean_t = channel_stats(mean, C, "mean", device)
    std_t = channel_stats(std, C, "std", device)
    fill_t = channel_stats(fill, C, "fill", device).view(1, C, 1)

    unit = to_unit_float(images)
    values = torch.empty(B, M, C, out_h * out_w, dtype=torch.float32, device=device)
    for m in range(M):
        copy = _is_pixel_copy(theta[:, m])
        if copy or padding == "constant":
            # Integer points: bilinear weights are exactly (1, 0), so nearest gives the same values.
            mode = "nearest" if copy else interpolation
            values[:, m] = _gather_warp(unit, theta[:, m], (out_h, out_w), mode, padding, fill_t)
        else:
            values[:, m] = _grid_sample_warp(
                unit, theta[:, m], (out_h, out_w), interpolation, padding
            ).flatten(2)
    values = values.view(B * M, C, out_h, out_w)
    return finish(values, mean=mean_t, std=std_t, out_dtype=out_dtype, channels_last=channels_last)
