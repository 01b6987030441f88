"""Transformations studied by fastinv: registry, presets, grids and matrices."""

from .geometry import affine_theta, compose, crop_resize_theta, theta_to_normalized
from .registry import (
    APPEARANCE,
    GEOMETRIC,
    PRESETS,
    REGISTRY,
    Transform,
    get_transform,
    register,
    resolve_transforms,
)

__all__ = [
    "APPEARANCE",
    "GEOMETRIC",
    "PRESETS",
    "REGISTRY",
    "Transform",
    "affine_theta",
    "compose",
    "crop_resize_theta",
    "get_transform",
    "register",
    "resolve_transforms",
    "theta_to_normalized",
]

# AutoAugment's operations live with factor discovery; importing them registers the 'autoaugment'
# preset, so every user of the registry (sweep, factors, the transforms listing) sees it.
from fastinv.factors import autoaugment as _autoaugment  # noqa: E402, F401
