"""Typed sweep configuration: from Python, a YAML file or the command line, saved with results."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from fastinv.transforms import resolve_transforms

# Fields that change only speed, not numbers: a rerun may change them without being refused.
PERFORMANCE_FIELDS = (
    "device",
    "batch_size",
    "workers",
    "out",
    "save_embeddings",
    "strict",
    "kernel_backend",
)


@dataclass
class SweepConfig:
    """What a sweep measures and how.

    models: model specs ``[label=]arch[@checkpoint]`` (see fastinv.models).
    data: image folder (ImageNet layout or flat); None = the built-in default data.
    transforms: preset name, comma-separated names, or a list of both.
    magnitudes: ``"paper"`` (the study's grids), a count N for dense grids from the identity to the
        family's extreme, or explicit values (one transform only).
    samples: images measured (a seeded random choice among readable images).
    image_size / resize_size: centre crop in px after resizing the short side (default 224 and
        256/224 x the crop; on the built-in data, its native size with no resize).
    batch_size: images per forward pass.
    """

    models: list[str] = field(default_factory=lambda: ["resnet18"])
    data: str | None = None
    transforms: str | list[str] = "paper"
    magnitudes: str | int | list[float] = "paper"
    samples: int = 64
    seed: int = 0
    image_size: int | None = None
    resize_size: int | None = None
    pretrained: bool = False
    batch_size: int = 64
    device: str = "cpu"
    workers: int = 4
    out: str = "runs/sweep"
    save_embeddings: bool = False
    strict: bool = False
    kernel_backend: str = "auto"
    percentiles: list[float] = field(default_factory=lambda: [5.0, 95.0])

    def __post_init__(self):
        if isinstance(self.models, str):
            self.models = [m for m in self.models.split(",") if m]
        if not self.models:
            raise ValueError("no models given")
        if self.image_size is None:
            self.image_size = builtin_image_size() if self.data is None else 224
        if self.resize_size is None:
            same = self.data is None and self.image_size == builtin_image_size()
            self.resize_size = self.image_size if same else round(self.image_size * 256 / 224)
        for name in ("samples", "image_size", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.samples < 2:
            raise ValueError(
                f"samples must be at least 2 (the baseline pairs samples), got {self.samples}"
            )
        if self.resize_size < self.image_size:
            raise ValueError(
                f"resize_size {self.resize_size} is smaller than image_size {self.image_size}"
            )
        if isinstance(self.magnitudes, str) and self.magnitudes != "paper":
            self.magnitudes = parse_magnitudes(self.magnitudes)

    def grids(self) -> dict[str, list[float]]:
        """Resolved magnitude grid of every selected transform (validates names and values)."""
        transforms = resolve_transforms(self.transforms)
        if isinstance(self.magnitudes, list) and len(transforms) > 1:
            raise ValueError(
                f"explicit magnitudes need a single transform (they carry its unit); got {len(transforms)}: "
                f"{', '.join(t.name for t in transforms)}. Use a count for dense grids instead."
            )
        return {t.name: [float(v) for v in t.grid(self.magnitudes)] for t in transforms}

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def science(self) -> dict:
        """The fields that determine the numbers, with grids resolved: what a rerun must match."""
        values = {k: v for k, v in self.to_dict().items() if k not in PERFORMANCE_FIELDS}
        values["grids"] = self.grids()
        return values

    @classmethod
    def from_yaml(cls, path: str | Path, **overrides) -> SweepConfig:
        data = yaml.safe_load(Path(path).read_text()) or {}
        unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown sweep options in {path}: {', '.join(sorted(unknown))}")
        data.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**data)


def builtin_image_size() -> int:
    """Side of the built-in dataset's images, the default data of a sweep."""
    from fastinv.datasets import DatasetConfig

    return DatasetConfig().image_size


def parse_magnitudes(text: str) -> str | int | list[float]:
    """``"paper"``, ``"50"`` (dense grid) or ``"0,10,20"`` (explicit values)."""
    text = text.strip()
    if text == "paper":
        return text
    if "," not in text:
        try:
            return int(text)
        except ValueError:
            pass
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(
            f"magnitudes {text!r}: expected 'paper', a count like 50, or values like 0,10,20"
        ) from None
