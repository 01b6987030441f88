"""Evaluate a training checkpoint: top-1/top-5, per-class accuracy, test-time zoom sweep.

Writes, into ``out`` (default ``<checkpoint folder>/eval``), tables in the long format of sweeps:

    predictions.parquet  one row per (model, zoom, sample): label, prediction, top-1/top-k hit, area
    summary.parquet/.csv one row per (model, zoom): top1, top5, n
    per_class.parquet    one row per (model, class) at zoom 1: n, top1, top5
    config.yaml          the resolved evaluation options
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml

from fastinv.results import write_parquet, write_text

from .zoom import DEFAULT_ZOOMS, draw_areas, zoom_batch

log = logging.getLogger(__name__)


@dataclass
class EvalConfig:
    checkpoint: str
    data: str | None = None  # ImageNet-layout folder (its val/ split if present); None = built-in
    label: str | None = None  # model name in the tables; default: the checkpoint's folder name
    zooms: list[float] = field(default_factory=lambda: list(DEFAULT_ZOOMS))
    backend: str = "torchvision"
    batch_size: int = 128
    device: str = "cpu"
    workers: int = 2
    seed: int = 0
    out: str | None = None


def load_model(path: Path) -> tuple[torch.nn.Module, dict]:
    """The checkpoint's model in eval mode, and the checkpoint's metadata."""
    import timm

    from fastinv.train.checkpoint import load

    state = load(path)
    missing = [k for k in ("arch", "num_classes", "state_dict") if k not in state]
    if missing:
        raise ValueError(f"checkpoint {str(path)!r} lacks {missing}: not written by fastinv train")
    model = timm.create_model(
        state["arch"],
        num_classes=state["num_classes"],
        pretrained=False,
        **(state.get("model_kwargs") or {}),
    )
    model.load_state_dict(state["state_dict"])
    return model.eval(), state


def resolve_split(data: str | None, image_size: int) -> Path:
    if data is None:
        from fastinv.datasets import DatasetConfig, builtin_dataset

        return builtin_dataset(DatasetConfig(image_size=image_size)) / "val"
    root = Path(data).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"data folder {str(root)!r} does not exist")
    return root / "val" if (root / "val").is_dir() else root


def check_classes(
    checkpoint_classes: list[str] | None, num_classes: int, found: list[str], where: Path
) -> None:
    if len(found) != num_classes:
        raise ValueError(
            f"the checkpoint has {num_classes} classes but {where} has {len(found)} "
            f"({', '.join(found[:6])}{'...' if len(found) > 6 else ''})"
        )
    if checkpoint_classes and list(checkpoint_classes) != list(found):
        differ = [(a, b) for a, b in zip(checkpoint_classes, found, strict=True) if a != b][:3]
        raise ValueError(f"class names of {where} differ from the checkpoint's: {differ}")


@torch.no_grad()
def evaluate(config: EvalConfig, progress=None) -> dict[str, pd.DataFrame]:
    """Run the evaluation of ``config``; returns the tables (also written to ``config.out``)."""
    # FIXME: one process only; ImageNet-scale validation would shard images across torchrun ranks.
    from fastinv.pipelines import make_loader

    path = Path(config.checkpoint).expanduser()
    model, state = load_model(path)
    device = torch.device(config.device)
    model = model.to(device)
    image_size = int(state.get("image_size") or state.get("config", {}).get("image_size") or 224)
    resize_size = state.get("resize_size") or state.get("config", {}).get("resize_size")
    split = resolve_split(config.data, image_size)
    loader = make_loader(
        str(split),
        backend=config.backend,
        train=False,
        augment="None",
        batch_size=config.batch_size,
        image_size=image_size,
        resize_size=resize_size,
        device=str(device),
        seed=config.seed,
        num_workers=config.workers,
    )
    classes = list(loader.classes)
    check_classes(state.get("classes"), state["num_classes"], classes, split)

    mean = torch.tensor(state.get("mean", (0.485, 0.456, 0.406)), device=device).view(1, -1, 1, 1)
    std = torch.tensor(state.get("std", (0.229, 0.224, 0.225)), device=device).view(1, -1, 1, 1)
    topk = min(5, len(classes))
    zooms = sorted(float(z) for z in config.zooms)
    areas = {z: draw_areas(z, loader.num_samples, config.seed, i) for i, z in enumerate(zooms)}
    label = config.label or path.parent.name

    rows, offset = [], 0
    bar = progress(total=len(loader), desc=f"eval {label}") if progress else None
    for images, labels in loader:
        images = images.to(device).float() / 255.0
        count = labels.shape[0]
        for zoom in zooms:
            batch_areas = torch.as_tensor(areas[zoom][offset : offset + count], dtype=torch.float32)
            view = (zoom_batch(images, batch_areas) - mean) / std
            top = model(view).float().topk(topk, dim=1).indices.cpu()
            hit = top == labels.cpu()[:, None]
            rows.append(
                pd.DataFrame(
                    {
                        "model": label,
                        "zoom": zoom,
                        "sample": np.arange(offset, offset + count),
                        "label": labels.cpu().numpy(),
                        "prediction": top[:, 0].numpy(),
                        "top1": hit[:, 0].numpy(),
                        f"top{topk}": hit.any(1).numpy(),
                        "area": batch_areas.numpy(),
                    }
                )
            )
        offset += count
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    if offset != loader.num_samples:
        log.warning(
            "evaluated %d of %d images (unreadable ones skipped)", offset, loader.num_samples
        )

    predictions = pd.concat(rows, ignore_index=True)
    predictions["class_name"] = [classes[i] for i in predictions["label"]]
    summary = predictions.groupby(["model", "zoom"], as_index=False).agg(
        top1=("top1", "mean"), **{f"top{topk}": (f"top{topk}", "mean")}, n=("top1", "size")
    )
    per_class = (
        predictions[predictions["zoom"] == zooms[0]]
        .groupby(["model", "label", "class_name"], as_index=False)
        .agg(top1=("top1", "mean"), **{f"top{topk}": (f"top{topk}", "mean")}, n=("top1", "size"))
    )
    tables = {"predictions": predictions, "summary": summary, "per_class": per_class}

    out = Path(config.out) if config.out else path.parent / "eval"
    for name, frame in tables.items():
        write_parquet(frame, out / f"{name}.parquet")
    write_text(summary.to_csv(index=False), out / "summary.csv")
    write_text(
        yaml.safe_dump(
            {
                **asdict(config),
                "split": str(split),
                "image_size": image_size,
                "resize_size": resize_size,
                "classes": classes,
            },
            sort_keys=False,
        ),
        out / "config.yaml",
    )
    log.info(
        "%s: top-1 %.3f at zoom 1 on %d images -> %s", label, summary["top1"].iloc[0], offset, out
    )
    return tables
