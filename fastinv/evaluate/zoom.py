"""Test-time zoom (METHOD.md section 4): centre crops of random area, resized back to full size.

For a zoom level ``s`` every image gets a centred square crop whose area is a fraction
``a ~ U[1/s^2, 1]`` of the validation view, resampled (bilinear) to the full side. ``s = 1`` is
the plain validation view. The crop is continuous: with ``align_corners=False`` sampling, output
pixel centre ``u`` (in [-1, 1] normalised units) reads the input at ``u * sqrt(a)``. When
``side * sqrt(a)`` is a whole number this equals cropping that many pixels about the centre and
resizing them with ``F.interpolate``, except on the outermost ring of output pixels: there the
pixels just outside the crop are blended in, where crop-then-resize repeats the crop's edge.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

DEFAULT_ZOOMS = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0)


def draw_areas(zoom: float, count: int, seed: int, zoom_index: int) -> np.ndarray:
    """Crop areas (fractions of the view) for ``count`` images at zoom ``s``: U[1/s^2, 1]."""
    if zoom < 1.0:
        raise ValueError(f"zoom {zoom:g} must be at least 1 (1 = no zoom)")
    rng = np.random.default_rng([seed, zoom_index, 7919])
    return rng.uniform(1.0 / zoom**2, 1.0, size=count)


def zoom_batch(images: torch.Tensor, areas: torch.Tensor) -> torch.Tensor:
    """Centre crops of the given area fractions, resized to the input size (float in, float out).

    Args:
        images: (B, C, H, W) float tensor.
        areas: (B,) area fractions in (0, 1].
    """
    if images.ndim != 4 or areas.shape != (images.shape[0],):
        raise ValueError(
            f"images {tuple(images.shape)} and areas {tuple(areas.shape)} do not match (B, C, H, W), (B,)"
        )
    side = areas.to(images.device, torch.float32).sqrt()
    theta = torch.zeros(images.shape[0], 2, 3, device=images.device)
    theta[:, 0, 0] = side
    theta[:, 1, 1] = side
    if bool((areas >= 1.0).all()):
        return images
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)
