"""The built-in dataset: procedural objects whose factors of variation are known in advance.

Ten classes, one object shape each; every class varies strongly along its own declared factors
(position, scale, rotation, shear, brightness, contrast, saturation, blur) and mildly along the
rest. ``generate`` writes ImageNet-layout JPEG folders and the ground-truth tables.
"""

from .factors import CLASSES, FACTORS, ClassSpec, Factor
from .generate import NAME, DatasetConfig, builtin_dataset, class_names, generate, render_image

__all__ = [
    "CLASSES",
    "FACTORS",
    "NAME",
    "ClassSpec",
    "DatasetConfig",
    "Factor",
    "builtin_dataset",
    "class_names",
    "generate",
    "render_image",
]
