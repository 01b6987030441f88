"""Typed training configuration: from Python, a YAML file or the command line, saved with results."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import yaml

OPTIMIZERS = ("sgd", "adamw")
SCHEDULES = ("cosine", "step", "constant")
BACKENDS = ("torchvision", "dali", "ffcv")

# Fields that change speed or bookkeeping only: a resumed run may change them.
RESUMABLE_FIELDS = ("device", "workers", "out", "resume", "compile", "progress", "log_every")


@dataclass
class TrainConfig:
    """One training run.

    data: ImageNet-layout folder with ``train/`` and ``val/``; None = the built-in dataset.
    arch / model_kwargs: a timm architecture and extra ``timm.create_model`` arguments.
    augment: an augmentation configuration of METHOD.md section 4 (``None``, ``T``, ``HC``...).
    batch_size: images per step and process (DDP multiplies it by the number of processes).
    lr: peak learning rate; ``warmup_epochs`` ramps it up linearly from lr / 10.
    schedule: ``cosine`` (to zero at the last epoch), ``step`` (x gamma every ``step_epochs``) or
        ``constant``.
    amp: bf16 autocast on CUDA (ignored on CPU, where it is slower than float32).
    channels_last: channels-last memory format on CUDA (ignored on CPU).
    """

    data: str | None = None
    out: str = "runs/train"
    arch: str = "resnet10t"
    model_kwargs: dict = field(default_factory=dict)
    backend: str = "torchvision"
    augment: str = "None"
    image_size: int = 64
    resize_size: int | None = None
    epochs: int = 6
    batch_size: int = 64
    optimizer: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    schedule: str = "cosine"
    step_epochs: int = 30
    gamma: float = 0.1
    warmup_epochs: int = 0
    label_smoothing: float = 0.0
    seed: int = 0
    device: str = "cpu"
    workers: int = 2
    amp: bool = True
    channels_last: bool = True
    compile: bool = False
    resume: bool = False
    progress: bool = False
    log_every: int = 20

    def __post_init__(self):
        if self.resize_size is None:
            self.resize_size = round(self.image_size * 256 / 224)
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(
                f"optimizer {self.optimizer!r} unknown; valid: {', '.join(OPTIMIZERS)}"
            )
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule {self.schedule!r} unknown; valid: {', '.join(SCHEDULES)}")
        if self.backend not in BACKENDS:
            raise ValueError(
                f"loader backend {self.backend!r} unknown; valid: {', '.join(BACKENDS)}"
            )
        for name in ("epochs", "batch_size", "image_size", "step_epochs"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError(f"label_smoothing {self.label_smoothing} out of range [0, 1)")
        if self.lr <= 0:
            raise ValueError(f"lr must be positive, got {self.lr}")
        if self.resize_size < self.image_size:
            raise ValueError(
                f"resize_size {self.resize_size} is smaller than image_size {self.image_size}"
            )

    def check_augment(self) -> None:
        """Refuse an augmentation name the pipelines do not define, listing the valid ones."""
        from fastinv.pipelines import AUGMENTATIONS

        if self.augment not in AUGMENTATIONS:
            raise ValueError(
                f"augmentation {self.augment!r} unknown; valid: {', '.join(AUGMENTATIONS)}"
            )

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def science(self) -> dict:
        """The fields that determine the weights: what a resumed run must match."""
        return {k: v for k, v in self.to_dict().items() if k not in RESUMABLE_FIELDS}

    @classmethod
    def from_yaml(cls, path: str | Path, **overrides) -> TrainConfig:
        values = yaml.safe_load(Path(path).read_text()) or {}
        unknown = set(values) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown training option(s) {sorted(unknown)} in {path}")
        return cls(**{**values, **overrides})
