"""Embedding modules with a known geometry for the factors tests."""

import torch
from torch import nn


class PooledPixels(nn.Module):
    """Embedding = the normalised image average-pooled to 8x8: similarity in pixel space, so the
    factors that separate two images are the ones the generator varied."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return nn.functional.adaptive_avg_pool2d(images, 8).flatten(1)


class ShapeBlind(nn.Module):
    """A stand-in 'untrained' model: colour statistics only."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return torch.cat([images.mean((2, 3)), images.std((2, 3))], 1)
