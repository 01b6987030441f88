"""Typed configuration of a factor-discovery run, saved next to its tables."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

# Statistics that can rank a class's candidates (stats.py explains mean_gain).
RANK_STATISTICS = (
    "proportion_boosted",
    "mean_gain",
    "mean_delta",
    "mean_positive_delta",
    "mean_relative_change",
)

# Fields that change speed, bookkeeping or the analyses drawn from the tables, not the deltas:
# a rerun into the same folder may change them.
NOT_SCIENCE = (
    "out",
    "device",
    "batch_size",
    "workers",
    "kernel_backend",
    "strict",
    "sweep",
    "trained",
    "untrained",
    "alignment_samples",
    "top_k",
    "rank_by",
    "specificity_pairs",
    "imagenet_x",
)


@dataclass
class FactorsConfig:
    """One run of ``fastinv factors``.

    data: ImageNet-layout folder (one sub-folder per class); None = the built-in dataset's ``split``.
    model: ``[label=]arch[@checkpoint]`` or a checkpoint; the study uses a model trained WITHOUT
        augmentation, so that augmentation does not bias which transformations look natural.
    candidates: ``autoaugment`` (the study's 63) or registry presets/names; ``magnitude_indices``
        picks grid indices (``"all"``/``"policy"``: the default set).
    pairs: pairs per class (the reference used 50); ``pairing``: ``halves`` or ``random``.
    sweep: a sweep run directory for the alignment analysis; ``"auto"`` runs one (the ``paper``
        preset, ``trained`` = this model vs ``untrained`` = its architecture at random init) on
        ``alignment_samples`` images; ``"none"`` skips alignment.
    rank_by: the statistic that ranks a class's candidates (``stats.RANK_STATISTICS``); the study
        uses proportion_boosted, ``mean_gain`` is robust to candidates the model ignores.
    imagenet_x: ``auto`` joins the ``imagenet-x`` package's annotations when it is installed and
        file names match; ``off`` skips it.
    """

    model: str = ""
    data: str | None = None
    split: str = "val"
    out: str = "runs/factors"
    candidates: str = "autoaugment"
    magnitude_indices: str = "policy"
    pairs: int = 50
    pairing: str = "halves"
    pair_batch: int = 32
    classes: str | None = None
    max_classes: int | None = None
    image_size: int | None = None
    resize_size: int | None = None
    seed: int = 0
    device: str = "auto"
    batch_size: int = 256
    workers: int = 4
    kernel_backend: str = "auto"
    strict: bool = False
    sweep: str = "auto"
    trained: str | None = None
    untrained: str | None = None
    alignment_samples: int = 200
    top_k: int = 5
    rank_by: str = "proportion_boosted"
    specificity_pairs: int = 500
    imagenet_x: str = "auto"

    def __post_init__(self):
        if not self.model:
            raise ValueError(
                "a model is required (--model [label=]arch[@checkpoint] or a checkpoint file); "
                "the study uses one trained without augmentation"
            )
        if self.imagenet_x not in ("auto", "off"):
            raise ValueError(f"imagenet_x {self.imagenet_x!r} unknown; valid: auto, off")
        if self.rank_by not in RANK_STATISTICS:
            raise ValueError(
                f"rank_by {self.rank_by!r} unknown; valid: {', '.join(RANK_STATISTICS)}"
            )
        if self.split not in ("train", "val"):
            raise ValueError(f"split {self.split!r} unknown; valid: train, val")
        for name in ("pairs", "batch_size", "top_k"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def science(self) -> dict:
        return {k: v for k, v in self.to_dict().items() if k not in NOT_SCIENCE}
