"""Batched affine warp in plain PyTorch: the reference twin of the Triton warp kernel.

One call warps B images by M matrices into ``[B * M, C, H', W']`` (``view(B, M, ...)`` works).
Matrices follow fastinv's convention (``fastinv.transforms.geometry``): pixel centres at integer
coordinates, ``theta`` maps output pixels to input points. Bilinear sampling with ``padding="zeros"``
equals ``grid_sample(align_corners=False, padding_mode="zeros")``; ``"border"`` and ``"reflection"``
equal grid_sample's modes of the same names; ``"constant"`` treats outside taps as ``fill``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ._layout import channel_stats, check_images, check_out_dtype, check_out_size, check_theta, finish

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

    flat = images.reshape(B, C, H * W)
    values = torch.empty(B, M, C, out_h * out_w, dtype=torch.float32, device=device)
    # Coordinates in float64 so large images and far translations keep sub-pixel precision.
    ys, xs = torch.meshgrid(
        torch.arange(out_h, dtype=torch.float64, device=device),
        torch.arange(out_w, dtype=torch.float64, device=device),
        indexing="ij",
    )
    grid = torch.stack([xs.flatten(), ys.flatten(), torch.ones_like(xs).flatten()])  # [3, P]
    theta64 = theta.to(torch.float64)
    for m in range(M):
        points = theta64[:, m] @ grid  # [B or 1, 2, P]
        acc = torch.zeros(B, C, out_h * out_w, dtype=torch.float32, device=device)
        for ix, wx in _taps(points[:, 0], W, interpolation, padding):
            for iy, wy in _taps(points[:, 1], H, interpolation, padding):
                inside = (ix >= 0) & (ix <= W - 1) & (iy >= 0) & (iy <= H - 1)
                index = (iy.clamp(0, H - 1) * W + ix.clamp(0, W - 1)).long()  # [B or 1, P]
                weight = (wx * wy).float().unsqueeze(1)  # [B or 1, 1, P]
                tap = torch.gather(flat, 2, index.unsqueeze(1).expand(B, C, -1)).float()
                if images.dtype == torch.uint8:
                    tap = tap / 255.0
                if padding in ("zeros", "constant"):
                    outside_value = fill_t if padding == "constant" else torch.zeros_like(fill_t)
                    tap = torch.where(inside.unsqueeze(1), tap, outside_value)
                acc += weight * tap
        values[:, m] = acc
    values = values.view(B * M, C, out_h, out_w)
    return finish(values, mean=mean_t, std=std_t, out_dtype=out_dtype, channels_last=channels_last)
