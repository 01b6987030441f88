"""Float64 NumPy references for the kernels, written from the documented conventions alone.

Warp: pixel centres at integer coordinates, theta maps output pixels to input points; bilinear
blends the four neighbours, nearest rounds half to even; outside taps read 0 (zeros), the fill
(constant); border clamps the point, reflection mirrors it about -0.5 and size - 0.5 then clamps.
Appearance: the torchvision float formulas; hue through Python's ``colorsys`` (an independent
HSV implementation).
"""

from __future__ import annotations

import colorsys

import numpy as np

LUMA = np.array([0.2989, 0.587, 0.114])


def _fold(coord: np.ndarray, size: int, padding: str) -> np.ndarray:
    if padding == "border":
        return np.clip(coord, 0, size - 1)
    if padding == "reflection":
        period = 2.0 * size
        shifted = np.mod(coord + 0.5, period)
        shifted = np.where(shifted >= size, period - shifted, shifted)
        return np.clip(shifted - 0.5, 0, size - 1)
    return coord


def warp_reference(image, theta, out_size, interpolation="bilinear", padding="zeros", fill=0.0):
    """One image [C, H, W] on [0, 1] (float64) warped by one theta [2, 3] -> [C, H', W']."""
    image = np.asarray(image, dtype=np.float64)
    C, H, W = image.shape
    out_h, out_w = out_size
    fill = np.broadcast_to(np.asarray(fill, dtype=np.float64), (C,))
    ys, xs = np.meshgrid(
        np.arange(out_h, dtype=np.float64), np.arange(out_w, dtype=np.float64), indexing="ij"
    )
    theta = np.asarray(theta, dtype=np.float64)
    x = _fold(theta[0, 0] * xs + theta[0, 1] * ys + theta[0, 2], W, padding)
    y = _fold(theta[1, 0] * xs + theta[1, 1] * ys + theta[1, 2], H, padding)
    if interpolation == "nearest":
        taps = [(np.round(x), np.round(y), np.ones_like(x))]
    else:
        x0, y0 = np.floor(x), np.floor(y)
        fx, fy = x - x0, y - y0
        taps = [
            (x0, y0, (1 - fx) * (1 - fy)),
            (x0 + 1, y0, fx * (1 - fy)),
            (x0, y0 + 1, (1 - fx) * fy),
            (x0 + 1, y0 + 1, fx * fy),
        ]
    out = np.zeros((C, out_h, out_w))
    for tx, ty, weight in taps:
        inside = (tx >= 0) & (tx <= W - 1) & (ty >= 0) & (ty <= H - 1)
        ix = np.clip(tx, 0, W - 1).astype(np.int64)
        iy = np.clip(ty, 0, H - 1).astype(np.int64)
        values = image[:, iy, ix]
        outside = fill[:, None, None] if padding == "constant" else 0.0
        out += weight * np.where(inside, values, outside)
    return out


def appearance_reference(image, op, magnitude):
    """One image [C, H, W] on [0, 1] (float64) through one appearance op."""
    x = np.asarray(image, dtype=np.float64)
    grey = x[0] if x.shape[0] == 1 else np.tensordot(LUMA, x, axes=1)
    if op == "brightness":
        return np.clip(magnitude * x, 0, 1)
    if op == "contrast":
        return np.clip(magnitude * x + (1 - magnitude) * grey.mean(), 0, 1)
    if op == "saturation":
        return (
            x.copy() if x.shape[0] == 1 else np.clip(magnitude * x + (1 - magnitude) * grey, 0, 1)
        )
    if op == "posterize":
        step = 2.0 ** (8 - magnitude)
        return np.floor(np.round(x * 255) / step) * step / 255
    if op == "solarize":
        return np.where(x >= magnitude, 1 - x, x)
    if op == "invert":
        return 1 - x
    if op == "hue":
        if x.shape[0] == 1 or magnitude == 0:
            return x.copy()
        out = np.empty_like(x)
        for i in range(x.shape[1]):
            for j in range(x.shape[2]):
                h, s, v = colorsys.rgb_to_hsv(*x[:, i, j])
                out[:, i, j] = colorsys.hsv_to_rgb((h + magnitude) % 1.0, s, v)
        return out
    raise ValueError(op)
