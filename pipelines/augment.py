"""Augmentation configurations of METHOD.md section 4, defined once and shared by every backend.

Every configuration is reduced to one geometric operation per image: a crop *box* in source
pixels (which may reach outside the image, the outside being filled with zeros), resized to
``image_size`` x ``image_size``, then an optional horizontal flip. The box is drawn by
``pipelines.sampler`` from the parameters below, so torchvision, DALI and FFCV apply the same
boxes to the same images for a given seed and epoch.

Resize-then-crop pipelines ("resize 256, centre crop 224") become the box of side
``min(H, W) * image_size / resize_size``, resized once: one interpolation instead of two.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

# Crop kinds. The integer codes are what the numba-compiled sampler reads.
CROP_CENTER = 0  # centred square of side min(H, W) * image_size / resize_size
CROP_RANDOM_RESIZED = 1  # area and aspect from their laws, position uniform (torchvision RRC)
CROP_CENTERED_RANDOM = 2  # area and aspect from their laws, box centred on the (shifted) centre
CROP_RANDOM_FIXED = 3  # square of side min(H, W) * image_size / resize_size, position uniform
CROP_KINDS = {
    "center": CROP_CENTER,
    "random_resized": CROP_RANDOM_RESIZED,
    "centered_random": CROP_CENTERED_RANDOM,
    "random_fixed": CROP_RANDOM_FIXED,
}

# Laws of the crop area, as a fraction of the image area, on [area_min, area_max].
LAW_UNIFORM = 0  # density constant
LAW_EXPONENTIAL = 1  # density proportional to exp(rate * area): rate > 0 favours large crops
LAW_BETA = 2  # area_min + (area_max - area_min) * Beta(beta_a, beta_b), integer shapes
LAW_INVERSE_UNIFORM = 3  # 1 / area uniform on [1 / area_max, 1 / area_min]: density ~ 1 / area^2
AREA_LAWS = {
    "uniform": LAW_UNIFORM,
    "exponential": LAW_EXPONENTIAL,
    "beta": LAW_BETA,
    "inverse_uniform": LAW_INVERSE_UNIFORM,
}

ATTEMPTS = 10  # rejection attempts of the random-size crops, as torchvision's RandomResizedCrop


@dataclass(frozen=True)
class Augmentation:
    """One training configuration: how the crop box is drawn and whether images are flipped.

    Attributes:
        name: the key of METHOD.md section 4 (``"HC"``) or a scale-law name (``"C-beta"``).
        crop: ``center``, ``random_resized``, ``centered_random`` or ``random_fixed``.
        flip: horizontal flip with probability 1/2.
        area_law: law of the crop area (fraction of the image area) for the random-size crops.
        area_min, area_max: support of the area law.
        aspect_min, aspect_max: aspect ratio (width / height) is log-uniform on this range.
        translate: largest translation as a fraction of the image side (uniform in +-translate,
            independently along x and y); the uncovered part is filled with zeros.
        exponential_rate: rate of the exponential area law.
        beta_a, beta_b: integer shapes of the beta area law.
        description: one line for listings.
    """

    name: str
    crop: str = "center"
    flip: bool = False
    area_law: str = "uniform"
    area_min: float = 0.08
    area_max: float = 1.0
    aspect_min: float = 3 / 4
    aspect_max: float = 4 / 3
    translate: float = 0.0
    exponential_rate: float = 5.0
    beta_a: int = 2
    beta_b: int = 2
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.crop not in CROP_KINDS:
            raise ValueError(
                f"crop {self.crop!r} of {self.name!r} is not one of {sorted(CROP_KINDS)}"
            )
        if self.area_law not in AREA_LAWS:
            raise ValueError(
                f"area_law {self.area_law!r} of {self.name!r} is not one of {sorted(AREA_LAWS)}"
            )
        if not 0 < self.area_min <= self.area_max <= 1:
            raise ValueError(
                f"area range [{self.area_min}, {self.area_max}] of {self.name!r} "
                "must satisfy 0 < area_min <= area_max <= 1"
            )
        if not 0 < self.aspect_min <= self.aspect_max:
            raise ValueError(
                f"aspect range [{self.aspect_min}, {self.aspect_max}] of {self.name!r} "
                "must satisfy 0 < aspect_min <= aspect_max"
            )
        if not 0 <= self.translate < 1:
            raise ValueError(f"translate {self.translate} of {self.name!r} must lie in [0, 1)")
        if self.area_law == "beta" and (
            int(self.beta_a) != self.beta_a
            or int(self.beta_b) != self.beta_b
            or self.beta_a < 1
            or self.beta_b < 1
        ):
            # Integer shapes are sampled exactly as a ratio of sums of exponentials.
            raise ValueError(
                f"beta shapes ({self.beta_a}, {self.beta_b}) of {self.name!r} must be "
                "positive integers"
            )

    @property
    def is_random(self) -> bool:
        return self.flip or self.crop != "center" or self.translate > 0

    @property
    def draws(self) -> int:
        """How many uniform numbers the sampler draws per image (see ``sampler.resolve_box``)."""
        extra = ATTEMPTS * (self.beta_a + self.beta_b) if self.area_law == "beta" else 0
        return 2 * ATTEMPTS + 5 + extra

    def pack(self, crop_fraction: float) -> np.ndarray:
        """The parameters as a float64 vector, the form the numba-compiled sampler reads."""
        return np.array(
            [
                CROP_KINDS[self.crop],
                float(self.flip),
                AREA_LAWS[self.area_law],
                self.area_min,
                self.area_max,
                math.log(self.aspect_min),
                math.log(self.aspect_max),
                self.translate,
                self.exponential_rate,
                self.beta_a,
                self.beta_b,
                crop_fraction,
            ],
            dtype=np.float64,
        )


_SCALE = dict(crop="random_resized")
AUGMENTATIONS: dict[str, Augmentation] = {
    a.name: a
    for a in [
        Augmentation("None", description="resize, centre crop"),
        Augmentation("H", flip=True, description="None + horizontal flip"),
        Augmentation(
            "C", crop="random_resized", description="random-resized-crop (area U[0.08, 1])"
        ),
        Augmentation(
            "HC", crop="random_resized", flip=True, description="C + flip (standard ImageNet)"
        ),
        Augmentation(
            "CC", crop="centered_random", description="C's size and aspect, always centred"
        ),
        Augmentation(
            "T", translate=0.3, description="resize, translate +-0.3 side (zero fill), centre crop"
        ),
        Augmentation(
            "TS",
            crop="centered_random",
            translate=0.3,
            description="translate the full image, then centred random-size crop",
        ),
        Augmentation(
            "TSnoAR",
            crop="centered_random",
            translate=0.3,
            aspect_min=1.0,
            aspect_max=1.0,
            description="TS with aspect ratio fixed at 1",
        ),
        Augmentation(
            "R", crop="random_fixed", description="resize, random fixed-size crop, resize"
        ),
        Augmentation(
            "C-exp",
            area_law="exponential",
            **_SCALE,
            description="RRC, area density ~ exp(5 area) on [0.08, 1]",
        ),
        Augmentation(
            "C-beta", area_law="beta", **_SCALE, description="RRC, area 0.08 + 0.92 Beta(2, 2)"
        ),
        Augmentation(
            "C-invunif",
            area_law="inverse_uniform",
            **_SCALE,
            description="RRC, 1 / area uniform on [1, 12.5]",
        ),
    ]
}


def get_augmentation(name: str | Augmentation, **overrides) -> Augmentation:
    """The configuration called ``name``, with fields replaced by ``overrides`` if given."""
    if isinstance(name, Augmentation):
        base = name
    elif name in AUGMENTATIONS:
        base = AUGMENTATIONS[name]
    else:
        raise ValueError(f"unknown augmentation {name!r}; valid names: {', '.join(AUGMENTATIONS)}")
    if not overrides:
        return base
    valid = {f.name for f in dataclasses.fields(Augmentation)} - {"name"}
    unknown = sorted(set(overrides) - valid)
    if unknown:
        raise ValueError(f"unknown augmentation parameters {unknown}; valid: {sorted(valid)}")
    return dataclasses.replace(base, **overrides)
