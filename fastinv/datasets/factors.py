"""Factors of variation of the built-in dataset and the classes that vary along them.

Every class draws every factor for every image; a class's *declared* factors get the wide
("strong") range, all other factors the narrow ("mild") one. The ranges below are the ground
truth that :mod:`fastinv.datasets.generate` writes next to the images, so that the study's
questions (which factors explain a class's variation, which invariances a model learns) have
answers known in advance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Factor:
    """One factor of variation.

    Attributes:
        name: key used in the ground-truth tables (``position_x``, ``brightness``...).
        unit: what a value means.
        identity: the value that leaves the canonical object unchanged.
        mild: (low, high) range drawn by classes that do not declare this factor.
        strong: (low, high) range drawn by classes that declare it.
        log: draw log-uniformly (for multiplicative factors such as scale).
        transforms: the sweep registry / AutoAugment names that probe this factor.
    """

    name: str
    unit: str
    identity: float
    mild: tuple[float, float]
    strong: tuple[float, float]
    log: bool = False
    transforms: tuple[str, ...] = ()

    def sample(self, rng: np.random.Generator, strong: bool) -> float:
        low, high = self.strong if strong else self.mild
        if self.log:
            return float(np.exp(rng.uniform(np.log(low), np.log(high))))
        return float(rng.uniform(low, high))


FACTORS: dict[str, Factor] = {
    f.name: f
    for f in (
        Factor(
            "position_x",
            "object centre shift, fraction of width",
            0.0,
            (-0.05, 0.05),
            (-0.28, 0.28),
            transforms=("translateX", "TranslateX"),
        ),
        Factor(
            "position_y",
            "object centre shift, fraction of height",
            0.0,
            (-0.05, 0.05),
            (-0.28, 0.28),
            transforms=("translateY", "TranslateY"),
        ),
        Factor(
            "scale",
            "object size relative to the canonical size",
            1.0,
            (0.9, 1.1),
            (0.45, 1.6),
            log=True,
            transforms=("scale_zoom_in", "scale_zoom_out", "rescale"),
        ),
        Factor(
            "rotation",
            "object rotation, degrees counter-clockwise",
            0.0,
            (-8.0, 8.0),
            (-180.0, 180.0),
            transforms=("rotate", "Rotate"),
        ),
        Factor(
            "shear",
            "object horizontal shear, degrees",
            0.0,
            (-4.0, 4.0),
            (-35.0, 35.0),
            transforms=("shearX", "ShearX"),
        ),
        Factor(
            "brightness",
            "whole-image gain (torchvision adjust_brightness)",
            1.0,
            (0.9, 1.1),
            (0.3, 1.7),
            log=True,
            transforms=("decrease_brightness", "increase_brightness", "Brightness"),
        ),
        Factor(
            "contrast",
            "blend with the mean grey (torchvision adjust_contrast)",
            1.0,
            (0.9, 1.1),
            (0.25, 1.8),
            log=True,
            transforms=("decrease_contrast", "increase_contrast", "Contrast"),
        ),
        Factor(
            "saturation",
            "blend with the grey image (torchvision adjust_saturation, PIL Color)",
            1.0,
            (0.85, 1.15),
            (0.0, 1.8),
            transforms=("Color",),
        ),
        Factor(
            "blur",
            "Gaussian blur sigma, fraction of the side",
            0.0,
            (0.0, 0.004),
            (0.0, 0.035),
            transforms=("Sharpness",),
        ),
    )
}


@dataclass(frozen=True)
class ClassSpec:
    """A class: an object shape and the factors along which it varies strongly."""

    name: str
    shape: str
    declared: tuple[str, ...]


# One shape per class so the label is recoverable from the object alone; the declared factors
# are what the study should find. "steady" declares none: it is the control class.
CLASSES: tuple[ClassSpec, ...] = (
    ClassSpec("wandering_disc", "disc", ("position_x", "position_y")),
    ClassSpec("growing_square", "square", ("scale",)),
    ClassSpec("spinning_arrow", "arrow", ("rotation",)),
    ClassSpec("leaning_cross", "cross", ("shear",)),
    ClassSpec("dimming_ring", "ring", ("brightness",)),
    ClassSpec("fading_star", "star", ("contrast",)),
    ClassSpec("greying_triangle", "triangle", ("saturation",)),
    ClassSpec("blurry_crescent", "crescent", ("blur",)),
    ClassSpec("roaming_ellipse", "ellipse", ("position_x", "position_y", "scale")),
    ClassSpec("steady_bowtie", "bowtie", ()),
)


def sample_factors(spec: ClassSpec, rng: np.random.Generator) -> dict[str, float]:
    """Draw every factor for one image of ``spec`` (strong range for its declared factors)."""
    return {name: factor.sample(rng, name in spec.declared) for name, factor in FACTORS.items()}


def ground_truth_rows() -> list[dict]:
    """One row per (class, factor): the range it was drawn from and whether it is declared."""
    rows = []
    for index, spec in enumerate(CLASSES):
        for name, factor in FACTORS.items():
            declared = name in spec.declared
            low, high = factor.strong if declared else factor.mild
            rows.append(
                {
                    "class_index": index,
                    "class_name": spec.name,
                    "shape": spec.shape,
                    "factor": name,
                    "declared": declared,
                    "low": low,
                    "high": high,
                    "log_uniform": factor.log,
                    "identity": factor.identity,
                    "unit": factor.unit,
                    "transforms": " ".join(factor.transforms),
                }
            )
    return rows
