"""The :class:`Transform` record: one studied transformation family and its batched apply.

Each transform declares its parameter's unit, identity magnitude, valid range, the exact grid of
the study and how a magnitude becomes kernel parameters: a 2x3 matrix ``theta`` for geometric
transforms, a per-magnitude factor for appearance ones. :meth:`Transform.apply` is one batched call
for B images x M magnitudes through the kernel dispatch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from fastinv.kernels import adjust_appearance, warp_affine

from .geometry import affine_theta

GEOMETRIC, APPEARANCE = "geometric", "appearance"


@dataclass(frozen=True)
class Transform:
    """One studied transformation family.

    Attributes:
        name: registry key, as in the study (``translateX``, ``decrease_contrast``...).
        family: ``"geometric"`` or ``"appearance"``.
        parameter: what the magnitude is (``shift``, ``angle``, ``factor``...).
        unit: the magnitude's unit (``fraction of side``, ``degrees``...).
        identity: the magnitude that leaves the image unchanged (grid index 0).
        extreme: the far end of dense grids (``--magnitudes N`` spans identity..extreme).
        valid_range: closed interval of accepted magnitudes.
        paper_grid: the study's 10 magnitudes, index 0 first.
        reference: the library op it matches, with any known deviation.
        integer: magnitudes are whole numbers (dense grids are rounded).
        exact_identity: the identity magnitude reproduces the input bit for bit.
        to_affine: geometric only, magnitude and ``(H, W)`` to ``affine_theta`` keyword arguments.
        op: appearance only, the kernel op name.
    """

    name: str
    family: str
    parameter: str
    unit: str
    identity: float
    extreme: float
    valid_range: tuple[float, float]
    paper_grid: tuple[float, ...]
    reference: str
    integer: bool = False
    exact_identity: bool = True
    to_affine: Callable[[float, tuple[int, int]], dict] | None = field(default=None, repr=False)
    op: str | None = None

    def check(self, magnitudes: Sequence[float]) -> np.ndarray:
        """Magnitudes as float64, or a ValueError naming the first one out of range."""
        values = np.asarray(magnitudes, dtype=np.float64).reshape(-1)
        low, high = self.valid_range
        for value in values:
            if not (low <= value <= high) or not np.isfinite(value):
                raise ValueError(
                    f"magnitude {value:g} out of range [{low:g}, {high:g}] ({self.unit}) for '{self.name}'"
                )
            if self.integer and value != round(value):
                raise ValueError(
                    f"magnitude {value:g} for '{self.name}' must be a whole number ({self.unit})"
                )
        return values

    def grid(self, spec: str | int | Sequence[float] | None = "paper") -> np.ndarray:
        """Magnitude grid: ``"paper"`` (the study's), an int N (N values evenly spaced from the
        identity to the extreme, rounded for integer parameters), or explicit values."""
        if spec is None or (isinstance(spec, str) and spec == "paper"):
            return np.asarray(self.paper_grid, dtype=np.float64)
        if isinstance(spec, str):
            raise ValueError(
                f"grid {spec!r} unknown for '{self.name}'; use 'paper', a count or values"
            )
        if isinstance(spec, (int, np.integer)):
            if spec < 2:
                raise ValueError(f"a dense grid needs at least 2 magnitudes, got {spec}")
            values = np.linspace(self.identity, self.extreme, int(spec))
            return np.round(values) if self.integer else values
        return self.check(spec)

    def is_identity(self, magnitude: float) -> bool:
        """True when ``magnitude`` leaves every image exactly as it was."""
        return self.exact_identity and float(magnitude) == self.identity

    def theta(self, magnitudes: Sequence[float], size: tuple[int, int]) -> torch.Tensor:
        """float64 [M, 2, 3] inverse-map matrices for an image of ``size = (H, W)``."""
        if self.family != GEOMETRIC:
            raise TypeError(f"'{self.name}' is an appearance transform; it has no matrix")
        values = self.check(magnitudes)
        return torch.from_numpy(
            np.stack([affine_theta(size, **self.to_affine(m, size)) for m in values])
        )

    def apply(self, images: torch.Tensor, magnitudes: Sequence[float], **options) -> torch.Tensor:
        """Apply at M magnitudes to B images [B, C, H, W] (uint8 or float on [0, 1]).

        Returns [B * M, C, H, W]; ``options`` go to the kernel (``mean``, ``std``, ``out_dtype``,
        ``channels_last``, ``backend``).
        """
        values = self.check(magnitudes)
        if self.family == GEOMETRIC:
            return warp_affine(images, self.theta(values, tuple(images.shape[-2:])), **options)
        return adjust_appearance(images, self.op, torch.from_numpy(values), **options)
