"""Where training reads its images: the data folder's splits, converted once for FFCV."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from .config import TrainConfig

log = logging.getLogger(__name__)


def resolve_data(config: TrainConfig) -> Path:
    """The ImageNet-layout root with ``train/`` and ``val/``; the built-in dataset by default."""
    if config.data is None:
        from fastinv.datasets import DatasetConfig, builtin_dataset

        return builtin_dataset(DatasetConfig(image_size=config.image_size))
    root = Path(config.data).expanduser()
    for split in ("train", "val"):
        if not (root / split).is_dir():
            raise FileNotFoundError(
                f"data folder {str(root)!r} has no {split}/ sub-folder (ImageNet layout)"
            )
    return root


def split_source(root: Path, split: str, backend: str, convert: bool, out: Path) -> str:
    """What ``make_loader`` reads for ``split``: the folder, or for FFCV a ``.beton`` file.

    FFCV reads its own file format; the folder is converted once (re-encoded as JPEG, so every
    backend decodes JPEGs) into ``<root>/ffcv/<split>.beton``, or ``<out>/ffcv/`` when the data
    folder is read-only, when ``convert`` is set (rank 0 only; the others wait at a barrier).
    """
    folder = root / split
    if backend != "ffcv":
        return str(folder)
    beton = (root if os.access(root, os.W_OK) else out) / "ffcv" / f"{split}.beton"
    if convert and not beton.exists():
        from fastinv.pipelines.ffcv_backend import convert as write_beton

        beton.parent.mkdir(parents=True, exist_ok=True)
        log.info("converting %s to %s for the ffcv backend", folder, beton)
        write_beton(folder, beton, mode="jpeg", jpeg_quality=95)
    return str(beton)
