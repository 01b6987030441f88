"""The study's 13 transformations with their exact grids (METHOD.md section 3), preset ``paper``."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .transform import APPEARANCE, GEOMETRIC, Transform


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
    return Transform(
        name,
        GEOMETRIC,
        parameter,
        unit,
        identity,
        extreme,
        valid,
        grid,
        _AFFINE_REF,
        to_affine=to_affine,
    )


def _appearance(
    name, parameter, unit, identity, extreme, valid, grid, op, reference, **kw
) -> Transform:
    return Transform(
        name, APPEARANCE, parameter, unit, identity, extreme, valid, grid, reference, op=op, **kw
    )


# fmt: off
PAPER_TRANSFORMS = [
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
# fmt: on
