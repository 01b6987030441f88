"""The transform registry: the single source of truth for names, units, grids and identities.

Each :class:`Transform` declares its parameter's unit, identity magnitude, valid range, the exact
grid of the study (preset ``paper``, METHOD.md section 3) and how a magnitude becomes kernel
parameters: a 2x3 matrix ``theta`` for geometric transforms, a per-magnitude factor for appearance
ones. :meth:`Transform.apply` is one batched call for B images x M magnitudes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from fastinv.kernels import adjust_appearance, warp_affine

from .geometry import affine_theta

log = logging.getLogger(__name__)

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
                raise ValueError(f"magnitude {value:g} for '{self.name}' must be a whole number ({self.unit})")
        return values

    def grid(self, spec: str | int | Sequence[float] | None = "paper") -> np.ndarray:
        """Magnitude grid: ``"paper"`` (the study's), an int N (N values evenly spaced from the
        identity to the extreme, rounded for integer parameters), or explicit values."""
        if spec is None or (isinstance(spec, str) and spec == "paper"):
            return np.asarray(self.paper_grid, dtype=np.float64)
        if isinstance(spec, str):
            raise ValueError(f"grid {spec!r} unknown for '{self.name}'; use 'paper', a count or values")
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
        return torch.from_numpy(np.stack([affine_theta(size, **self.to_affine(m, size)) for m in values]))

    def apply(self, images: torch.Tensor, magnitudes: Sequence[float], **options) -> torch.Tensor:
        """Apply at M magnitudes to B images [B, C, H, W] (uint8 or float on [0, 1]).

        Returns [B * M, C, H, W]; ``options`` go to the kernel (``mean``, ``std``, ``out_dtype``,
        ``channels_last``, ``backend``).
        """
        values = self.check(magnitudes)
        if self.family == GEOMETRIC:
            return warp_affine(images, self.theta(values, tuple(images.shape[-2:])), **options)
        return adjust_appearance(images, self.op, torch.from_numpy(values), **options)


def _linspace(start: float, stop: float) -> tuple[float, ...]:
    return tuple(float(v) for v in np.linspace(start, stop, 10))


def _translate(axis: int) -> Callable[[float, tuple[int, int]], dict]:
    def params(fraction: float, size: tuple[int, int]) -> dict:
        height, width = size
        shift = [0.0, 0.0]
        shift[axis] = fraction * (width if axis == 0 else height)
        return {"translate": tuple(shift)}

    return params


def _shear(axis: int) -> Callable[[float, tuple[int, int]], dict]:
    def params(degrees: float, size: tuple[int, int]) -> dict:
        return {"shear": (degrees, 0.0) if axis == 0 else (0.0, degrees)}

    return params


_ROTATE_GRID = (0.0, -27.0, 45.0, -54.0, -81.0, 90.0, -108.0, -135.0, 135.0, 180.0)
_SHEAR_GRID = (0.0, -17.8, 22.75, -35.6, 45.5, -53.4, 68.25, -71.2, -89.0, 91.0)
_AFFINE_REF = "torchvision.transforms.v2.functional.affine (bilinear, about the centre, zero fill)"


def _geometric(name, parameter, unit, identity, extreme, valid, grid, to_affine) -> Transform:
    return Transform(name, GEOMETRIC, parameter, unit, identity, extreme, valid, grid, _AFFINE_REF,
                     to_affine=to_affine)


def _appearance(name, parameter, unit, identity, extreme, valid, grid, op, reference, **kw) -> Transform:
    return Transform(name, APPEARANCE, parameter, unit, identity, extreme, valid, grid, reference, op=op, **kw)


_TRANSFORMS = [
    # The study gave shifts in pixels at 224 px (linspace(0, 224, 10)); fastinv keeps the fraction
    # of the side so other resolutions mean the same thing.
    _geometric("translateX", "shift", "fraction of width", 0.0, 1.0, (-2.0, 2.0), _linspace(0, 1), _translate(0)),
    _geometric("translateY", "shift", "fraction of height", 0.0, 1.0, (-2.0, 2.0), _linspace(0, 1), _translate(1)),
    _geometric("rotate", "angle", "degrees", 0.0, 180.0, (-360.0, 360.0), _ROTATE_GRID,
               lambda m, size: {"angle": m}),
    # Dense shear grids stop at 89 degrees: at 90 the shear is degenerate (an empty image).
    _geometric("shearX", "angle", "degrees", 0.0, 89.0, (-180.0, 180.0), _SHEAR_GRID, _shear(0)),
    _geometric("shearY", "angle", "degrees", 0.0, 89.0, (-180.0, 180.0), _SHEAR_GRID, _shear(1)),
    _geometric("scale_zoom_out", "scale", "zoom factor", 1.0, 0.28, (0.01, 1.0), _linspace(1.0, 0.28),
               lambda m, size: {"scale": m}),
    _geometric("scale_zoom_in", "scale", "zoom factor", 1.0, 3.5, (1.0, 100.0), _linspace(1.0, 3.5),
               lambda m, size: {"scale": m}),
    _appearance("posterize", "bits", "bits kept", 8.0, 0.0, (0.0, 8.0),
                (8.0, 7.0, 6.0, 5.0, 4.0, 4.0, 3.0, 2.0, 1.0, 0.0), "posterize",
                "torchvision posterize on uint8 images", integer=True),
    _appearance("decrease_contrast", "factor", "blend factor", 1.0, 0.0, (0.0, 1.0), _linspace(1, 0),
                "contrast", "torchvision adjust_contrast on [0, 1] images"),
    _appearance("increase_contrast", "factor", "blend factor", 1.0, 2.0, (1.0, 10.0), _linspace(1, 2),
                "contrast", "torchvision adjust_contrast on [0, 1] images"),
    _appearance("decrease_brightness", "factor", "gain", 1.0, 0.0, (0.0, 1.0), _linspace(1, 0),
                "brightness", "torchvision adjust_brightness on [0, 1] images"),
    _appearance("increase_brightness", "factor", "gain", 1.0, 2.0, (1.0, 10.0), _linspace(1, 2),
                "brightness", "torchvision adjust_brightness on [0, 1] images"),
    # torchvision inverts pixels >= threshold, so the study's first threshold (1.0) still inverts
    # pure white: index 0 is not an exact identity for images with saturated pixels.
    _appearance("solarize", "threshold", "intensity on [0, 1]", 1.0, 0.0, (0.0, 1.0), _linspace(1, 0),
                "solarize", "torchvision solarize on [0, 1] images", exact_identity=False),
]

REGISTRY: dict[str, Transform] = {t.name: t for t in _TRANSFORMS}

PRESETS: dict[str, tuple[str, ...]] = {
    "paper": tuple(REGISTRY),
    "geometric": tuple(n for n, t in REGISTRY.items() if t.family == GEOMETRIC),
    "appearance": tuple(n for n, t in REGISTRY.items() if t.family == APPEARANCE),
}


def register(transform: Transform, presets: Sequence[str] = ()) -> Transform:
    """Add a transform (and optionally list it in presets); refuses to replace an existing name."""
    if transform.name in REGISTRY:
        raise ValueError(f"transform {transform.name!r} is already registered")
    REGISTRY[transform.name] = transform
    for preset in presets:
        PRESETS[preset] = PRESETS.get(preset, ()) + (transform.name,)
    return transform


def get_transform(name: str) -> Transform:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown transform {name!r}; valid: {', '.join(REGISTRY)}") from None


def resolve_transforms(spec: str | Sequence[str]) -> list[Transform]:
    """Transforms from a preset name, a comma-separated list, or a list of names and presets."""
    names = spec.split(",") if isinstance(spec, str) else list(spec)
    out: list[Transform] = []
    for name in (n.strip() for n in names):
        if not name:
            continue
        members = PRESETS.get(name, (name,))
        if name not in PRESETS and name not in REGISTRY:
            raise ValueError(
                f"unknown transform or preset {name!r}; presets: {', '.join(PRESETS)}; "
                f"transforms: {', '.join(REGISTRY)}"
            )
        out.extend(get_transform(m) for m in members if get_transform(m) not in out)
    if not out:
        raise ValueError(f"no transforms selected by {spec!r}")
    return out
