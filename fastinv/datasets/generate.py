"""Write the built-in dataset: ImageNet-layout train/val JPEG folders plus ground-truth tables.

Layout of ``out``::

    train/<class_name>/<class_name>_00000.jpg ...
    val/<class_name>/...
    ground_truth.csv   one row per (class, factor): declared or not, the range it was drawn from
    ground_truth.json  the same, grouped by class, with the generator's configuration
    images.csv         one row per image: split, path, label and every factor value drawn
    dataset.json       configuration and version; written last, so its presence means complete

Every image has its own random stream, seeded by (seed, split, class, index), so a file's content
does not depend on how many images were asked for, and the same configuration writes the same bytes.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .factors import CLASSES, FACTORS, ground_truth_rows, sample_factors
from .render import render

log = logging.getLogger(__name__)

NAME = "factorshapes"
VERSION = 2
SPLITS = {"train": 0, "val": 1}


@dataclass(frozen=True)
class DatasetConfig:
    """What to generate. Defaults train a small CNN to well above chance in a minute on 2 cores."""

    image_size: int = 64
    train_per_class: int = 300
    val_per_class: int = 60
    seed: int = 0
    jpeg_quality: int = 92
    num_classes: int = len(CLASSES)  # the first N classes (tests use fewer)

    def validate(self) -> None:
        if self.image_size < 16:
            raise ValueError(f"image_size {self.image_size} too small; use 16 or more pixels")
        for name in ("train_per_class", "val_per_class"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} {getattr(self, name)} must be at least 1")
        if not 2 <= self.num_classes <= len(CLASSES):
            raise ValueError(f"num_classes {self.num_classes} out of range 2..{len(CLASSES)}")
        if not 1 <= self.jpeg_quality <= 100:
            raise ValueError(f"jpeg_quality {self.jpeg_quality} out of range 1..100")


def class_names() -> list[str]:
    return [spec.name for spec in CLASSES]


def image_rng(seed: int, split: str, label: int, index: int) -> np.random.Generator:
    return np.random.default_rng([seed, SPLITS[split], label, index, VERSION])


def render_image(
    config: DatasetConfig, split: str, label: int, index: int
) -> tuple[np.ndarray, dict]:
    """The uint8 HWC image number ``index`` of class ``label`` in ``split`` and its factors."""
    rng = image_rng(config.seed, split, label, index)
    spec = CLASSES[label]
    factors = sample_factors(spec, rng)
    image = render(spec.shape, factors, config.image_size, rng)
    return np.round(image * 255.0).astype(np.uint8), factors


def _is_complete(out: Path, config: DatasetConfig) -> bool:
    try:
        meta = json.loads((out / "dataset.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return False
    return meta.get("version") == VERSION and meta.get("config") == asdict(config)


def generate(out: str | os.PathLike, config: DatasetConfig | None = None, progress=None) -> Path:
    """Write the dataset to ``out`` (skipped when an identical one is already there).

    The folder is built beside ``out`` and renamed into place, so an interrupted run leaves no
    half-written dataset. ``progress``, if given, is called with the number of images written.
    """
    config = config or DatasetConfig()
    config.validate()
    out = Path(out)
    if _is_complete(out, config):
        log.info("dataset already complete at %s", out)
        return out
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(
            f"{out} exists and is not this dataset; choose an empty or new folder"
        )

    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        rows = []
        for split, per_class in (("train", config.train_per_class), ("val", config.val_per_class)):
            for label, spec in enumerate(CLASSES[: config.num_classes]):
                folder = staging / split / spec.name
                folder.mkdir(parents=True)
                for index in range(per_class):
                    pixels, factors = render_image(config, split, label, index)
                    relative = f"{split}/{spec.name}/{spec.name}_{index:05d}.jpg"
                    Image.fromarray(pixels).save(staging / relative, quality=config.jpeg_quality)
                    rows.append(
                        {
                            "split": split,
                            "path": relative,
                            "label": label,
                            "class_name": spec.name,
                            **{k: round(v, 6) for k, v in factors.items()},
                        }
                    )
                if progress is not None:
                    progress(per_class)
        _write_tables(staging, config, rows)
        if out.exists():
            out.rmdir()
        staging.rename(out)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not _is_complete(out, config):  # another process (a DDP rank) may have won the rename
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("wrote %d images of %d classes to %s", len(rows), config.num_classes, out)
    return out


def _write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _write_tables(folder: Path, config: DatasetConfig, rows: list[dict]) -> None:
    truth = [row for row in ground_truth_rows() if row["class_index"] < config.num_classes]
    _write_csv(folder / "ground_truth.csv", truth)
    _write_csv(folder / "images.csv", rows)
    by_class = {
        spec.name: {
            "index": i,
            "shape": spec.shape,
            "declared_factors": list(spec.declared),
            "ranges": {r["factor"]: [r["low"], r["high"]] for r in truth if r["class_index"] == i},
        }
        for i, spec in enumerate(CLASSES[: config.num_classes])
    }
    factors = {
        name: {
            "unit": f.unit,
            "identity": f.identity,
            "mild": list(f.mild),
            "strong": list(f.strong),
            "log_uniform": f.log,
            "transforms": list(f.transforms),
        }
        for name, f in FACTORS.items()
    }
    meta = {"name": NAME, "version": VERSION, "config": asdict(config)}
    (folder / "ground_truth.json").write_text(
        json.dumps({**meta, "classes": by_class, "factors": factors}, indent=1)
    )
    (folder / "dataset.json").write_text(json.dumps(meta, indent=1))


def default_cache_dir() -> Path:
    """Where the built-in dataset is cached: ``$FASTINV_CACHE`` or ``~/.cache/fastinv``."""
    root = os.environ.get("FASTINV_CACHE") or Path.home() / ".cache" / "fastinv"
    return Path(root) / "datasets"


def builtin_dataset(
    config: DatasetConfig | None = None, root: str | os.PathLike | None = None
) -> Path:
    """The built-in dataset's folder, generated on first use (a few seconds)."""
    config = config or DatasetConfig()
    root = Path(root) if root is not None else default_cache_dir()
    folder = root / f"{NAME}-v{VERSION}-{config.image_size}px-seed{config.seed}"
    if config != DatasetConfig(image_size=config.image_size, seed=config.seed):
        digest = hashlib.sha1(json.dumps(asdict(config), sort_keys=True).encode()).hexdigest()[:8]
        folder = folder.with_name(f"{folder.name}-{digest}")
    if folder.exists() and not _is_complete(folder, config) and (folder / "dataset.json").exists():
        # Our own cache, written by another version of the generator: replace it.
        log.info("regenerating stale built-in dataset at %s", folder)
        shutil.rmtree(folder)
    return generate(folder, config)
