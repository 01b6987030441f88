"""AutoAugment's single operations as registry transforms: the candidates of factor discovery.

METHOD.md section 5: the candidates are the single (operation, magnitude index) pairs of the
AutoAugment ImageNet and SVHN policies (53 distinct pairs) plus the rescale grid (10), 63 in all.
Magnitudes are in AutoAugment's own units (index 0..9 of each grid below); the operations follow
the PIL implementation the study used, through fastinv's batched kernels:

| transform | magnitude | operation (PIL / torchvision v2 AutoAugment) |
|---|---|---|
| ShearX, ShearY | shear coefficient, linspace(0, 0.3), random sign | shear about the top-left corner, grey fill |
| TranslateX, TranslateY | fraction of the side, linspace(0, 150/331), random sign | shift, grey fill |
| Rotate | degrees, linspace(0, 30), counter-clockwise | rotation about the centre, grey fill |
| rescale | zoom factor 1, .85, .70, .55, .40, .25, 1.625, 2.25, 2.875, 3.5 | torchvision ``affine`` scale, zero fill |
| Color, Contrast, Brightness, Sharpness | m in linspace(0, 0.9), random sign | ``ImageEnhance`` factor 1 + m |
| Posterize | bits kept, round(linspace(8, 4)) | ``ImageOps.posterize`` |
| Solarize | threshold on 8-bit levels, linspace(256, 0) | ``ImageOps.solarize`` (levels >= threshold inverted) |
| AutoContrast, Equalize, Invert | none (ignored) | ``ImageOps`` of the same name |

Known deviations from the reference (PIL, one image at a time), each small: geometric operations
interpolate bilinearly (PIL shear used bicubic, translate and rotate nearest); Color, Contrast and
Sharpness compute on [0, 1] floats as torchvision does (PIL rounds through uint8 and uses an
integer mean grey for Contrast). The random sign is drawn per (image, candidate) from the run's
seed; without ``signs`` (e.g. in ``fastinv sweep``) the sign is +1. The reference rotated in one
direction only (no random sign), and so does ``Rotate`` here.

Each candidate maps to the invariance transformations of the ``paper`` preset for the alignment
analysis (:func:`invariance_transforms`): a signed enhancement maps to both directions, whose gaps
are averaged; Color, Sharpness, AutoContrast, Equalize and Invert have no counterpart.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from fastinv.kernels import adjust_appearance, warp_affine
from fastinv.transforms.geometry import affine_theta
from fastinv.transforms.registry import APPEARANCE, GEOMETRIC, REGISTRY, Transform, register

PRESET = "autoaugment"
GREY_FILL = 128.0 / 255.0  # the reference's fillcolor (128, 128, 128)


@dataclass(frozen=True)
class AutoAugmentTransform(Transform):
    """A registry transform with AutoAugment's magnitude units and optional random sign.

    Attributes:
        signed: AutoAugment draws the magnitude's sign per image (``apply(..., signs=)``).
        ignores_magnitude: the operation has no magnitude (every grid index is the same image).
        op_magnitude: signed AutoAugment magnitudes to the kernel op's magnitudes (appearance).
        inverse_map: signed magnitude and ``(H, W)`` to a 2x3 inverse map (geometric).
        fill: constant fill on [0, 1] for geometric operations, None for zeros.
    """

    signed: bool = False
    ignores_magnitude: bool = False
    op_magnitude: Callable[[np.ndarray], np.ndarray] | None = field(default=None, repr=False)
    inverse_map: Callable[[float, tuple[int, int]], np.ndarray] | None = field(
        default=None, repr=False
    )
    fill: float | None = None

    def theta(self, magnitudes: Sequence[float], size: tuple[int, int]) -> torch.Tensor:
        if self.family != GEOMETRIC:
            raise TypeError(f"'{self.name}' is an appearance transform; it has no matrix")
        values = np.asarray(magnitudes, dtype=np.float64)
        thetas = [self.inverse_map(float(m), size) for m in values.reshape(-1)]
        return torch.from_numpy(np.stack(thetas).reshape(values.shape + (2, 3)))

    def apply(
        self,
        images: torch.Tensor,
        magnitudes: Sequence[float],
        signs: torch.Tensor | None = None,
        **options,
    ) -> torch.Tensor:
        """Apply at M magnitudes to B images; ``signs`` [B, M] of +-1 flips each (image, magnitude).

        Returns [B * M, C, H, W] like :meth:`Transform.apply`.
        """
        values = self.check(magnitudes)
        B, M = images.shape[0], len(values)
        signed = values  # [M], shared by the batch, unless signs make it [B, M]
        if signs is not None:
            if not self.signed:
                raise ValueError(f"'{self.name}' has no random sign; signs must be None")
            signs = torch.as_tensor(signs).cpu().numpy()
            if signs.shape != (B, M) or not np.isin(signs, (-1, 1)).all():
                raise ValueError(f"signs must be [{B}, {M}] of -1/+1, got shape {signs.shape}")
            signed = values[None, :] * signs
        if self.family == GEOMETRIC:
            theta = self.theta(signed, tuple(images.shape[-2:]))
            padding = {"padding": "constant", "fill": self.fill} if self.fill is not None else {}
            return warp_affine(images, theta, **padding, **options)
        out = adjust_appearance(
            images, self.op, torch.from_numpy(self.op_magnitude(signed)), **options
        )
        identity = [i for i, m in enumerate(values) if self.is_identity(m)]
        if identity:  # e.g. Solarize at 256 has no in-range op threshold: copy the input there
            same = adjust_appearance(images, "brightness", [1.0], **options)
            out.view(B, M, *out.shape[1:])[:, identity] = same.unsqueeze(1)
        return out


def _linspace(start: float, stop: float) -> tuple[float, ...]:
    return tuple(float(v) for v in np.linspace(start, stop, 10))


def _shear_map(axis: int) -> Callable[[float, tuple[int, int]], np.ndarray]:
    # PIL samples input (x + k y, y) for output (x, y) with pixel edges at integers; in fastinv's
    # convention (pixel centres at integers) that adds k/2 to the offset.
    def inverse_map(k: float, size: tuple[int, int]) -> np.ndarray:
        if axis == 0:
            return np.array([[1.0, k, 0.5 * k], [0.0, 1.0, 0.0]])
        return np.array([[1.0, 0.0, 0.0], [k, 1.0, 0.5 * k]])

    return inverse_map


def _translate_map(axis: int) -> Callable[[float, tuple[int, int]], np.ndarray]:
    # PIL samples input (x + c, y) with c = fraction * width: the content moves left for c > 0.
    def inverse_map(fraction: float, size: tuple[int, int]) -> np.ndarray:
        height, width = size
        theta = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
        theta[axis, 2] = fraction * (width if axis == 0 else height)
        return theta

    return inverse_map


def _enhance(value: np.ndarray) -> np.ndarray:
    return 1.0 + value


def _solarize_threshold(levels: np.ndarray) -> np.ndarray:
    # PIL inverts 8-bit levels v >= t; on [0, 1] that is x >= ceil(t) / 255. t above 255 inverts
    # nothing and is handled as the identity by AutoAugmentTransform.apply.
    return np.minimum(np.ceil(levels - 1e-9), 255.0) / 255.0


_AUTOAUGMENT_REF = (
    "AutoAugment (PIL) as in the study's reference code; see fastinv.factors.autoaugment"
)
RESCALE_GRID = (1.0, 0.85, 0.70, 0.55, 0.40, 0.25, 1.625, 2.25, 2.875, 3.5)


def _autoaugment(name, family, parameter, unit, grid, valid, signed=True, **fields):
    """A transform with AutoAugment's grid: index 0 and 9 are its minimum and maximum."""
    return AutoAugmentTransform(
        name, family, parameter, unit, grid[0], grid[-1], valid, grid, _AUTOAUGMENT_REF,
        signed=signed, **fields,
    )  # fmt: skip


def _geometric(name, parameter, unit, grid, inverse_map, valid, signed=True, fill=GREY_FILL):
    return _autoaugment(
        name, GEOMETRIC, parameter, unit, grid, valid, signed, inverse_map=inverse_map, fill=fill
    )


def _appearance(name, parameter, unit, grid, op, valid, op_magnitude, signed=True, **fields):
    return _autoaugment(
        name, APPEARANCE, parameter, unit, grid, valid, signed,
        op=op, op_magnitude=op_magnitude, **fields,
    )  # fmt: skip


def _constant(name, op):
    """A magnitude-less operation: every grid index is the same image."""
    return _autoaugment(
        name, APPEARANCE, "none", "ignored", (0.0,) * 10, (0.0, 9.0), signed=False,
        op=op, exact_identity=False, ignores_magnitude=True,
        op_magnitude=lambda value: np.zeros_like(value),
    )  # fmt: skip


_ENHANCE_GRID = _linspace(0.0, 0.9)
# fmt: off
TRANSFORMS = (
    _geometric("ShearX", "shear", "coefficient (tan of the angle)", _linspace(0, 0.3), _shear_map(0), (-1.0, 1.0)),
    _geometric("ShearY", "shear", "coefficient (tan of the angle)", _linspace(0, 0.3), _shear_map(1), (-1.0, 1.0)),
    _geometric("TranslateX", "shift", "fraction of width", _linspace(0, 150 / 331), _translate_map(0), (-1.0, 1.0)),
    _geometric("TranslateY", "shift", "fraction of height", _linspace(0, 150 / 331), _translate_map(1),
               (-1.0, 1.0)),
    _geometric("Rotate", "angle", "degrees counter-clockwise", _linspace(0, 30),
               lambda degrees, size: affine_theta(size, angle=-degrees), (-360.0, 360.0), signed=False),
    _geometric("rescale", "scale", "zoom factor", RESCALE_GRID,
               lambda scale, size: affine_theta(size, scale=scale), (0.01, 100.0), signed=False, fill=None),
    _appearance("Color", "factor offset", "m of enhance factor 1 + m", _ENHANCE_GRID, "saturation", (0.0, 1.0),
                _enhance),
    _appearance("Contrast", "factor offset", "m of enhance factor 1 + m", _ENHANCE_GRID, "contrast", (0.0, 1.0),
                _enhance),
    _appearance("Brightness", "factor offset", "m of enhance factor 1 + m", _ENHANCE_GRID, "brightness",
                (0.0, 1.0), _enhance),
    _appearance("Sharpness", "factor offset", "m of enhance factor 1 + m", _ENHANCE_GRID, "sharpness",
                (0.0, 1.0), _enhance),
    _appearance("Posterize", "bits", "bits kept", tuple(float(b) for b in np.round(np.linspace(8, 4, 10))),
                "posterize", (0.0, 8.0), lambda bits: bits, signed=False, integer=True),
    _appearance("Solarize", "threshold", "8-bit level", _linspace(256, 0), "solarize", (0.0, 256.0),
                _solarize_threshold, signed=False),
    _constant("AutoContrast", "autocontrast"),
    _constant("Equalize", "equalize"),
    _constant("Invert", "invert"),
)
# fmt: on

# Distinct (operation, magnitude index) pairs of AutoAugment's ImageNet and SVHN policies (the
# reference keeps magnitude-less operations once per index they appear with).
POLICY_PAIRS: dict[str, tuple[int, ...]] = {
    "AutoContrast": (1, 3, 5),
    "Color": (0, 2, 4, 8),
    "Contrast": (3, 8),
    "Equalize": (1, 2, 3, 4, 5, 7, 8, 9),
    "Invert": (3, 4, 5, 6, 8),
    "Posterize": (5, 6, 7, 8),
    "Rotate": (3, 4, 8, 9),
    "Sharpness": (7,),
    "ShearX": (2, 4, 5, 6, 9),
    "ShearY": (4, 5, 6, 7, 8),
    "Solarize": (2, 3, 4, 5, 6, 7, 8),
    "TranslateX": (3,),
    "TranslateY": (2, 3, 6, 7),
    "rescale": tuple(range(10)),
}

_DIRECT = {
    "ShearX": "shearX",
    "ShearY": "shearY",
    "TranslateX": "translateX",
    "TranslateY": "translateY",
    "Rotate": "rotate",
    "Posterize": "posterize",
    "Solarize": "solarize",
}
_BOTH_WAYS = {
    "Brightness": ("decrease_brightness", "increase_brightness"),
    "Contrast": ("decrease_contrast", "increase_contrast"),
}


def invariance_transforms(transform: str, magnitude: float) -> tuple[str, ...]:
    """The ``paper`` transformations whose invariance gap a candidate is compared with (may be empty)."""
    if transform in _DIRECT:
        return (_DIRECT[transform],)
    if transform in _BOTH_WAYS:
        return _BOTH_WAYS[transform]
    if transform == "rescale":
        if math.isclose(magnitude, 1.0):
            return ()
        return ("scale_zoom_out",) if magnitude < 1.0 else ("scale_zoom_in",)
    if transform in REGISTRY and not isinstance(REGISTRY[transform], AutoAugmentTransform):
        return (transform,)  # candidates from the paper preset are their own invariance
    return ()


for _transform in TRANSFORMS:
    if _transform.name not in REGISTRY:  # a reload must not register twice
        register(_transform, presets=(PRESET,))
