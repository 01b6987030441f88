"""ImageNet-X (METHOD.md section 6): human-annotated factors joined to a run by image file name.

The annotations are read at run time from the installed ``imagenet-x`` package (CC BY-NC 4.0; never
copied into fastinv). Per human factor: images carrying it, the model's top-1 accuracy on them,
error ratio = (1 - accuracy with the factor) / (1 - overall accuracy), and, when a sweep measured
the same images, the median per-image invariance (averaged over magnitude indices 3..7) per
transformation.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)


def load_annotations(which: str = "top") -> tuple[pd.DataFrame | None, list[str], str]:
    """(annotations of the validation and training partitions, factor names, reason if absent)."""
    try:
        from imagenet_x import FACTORS
        from imagenet_x.utils import load_annotations as load
    except ImportError:
        return None, [], "the imagenet-x package is not installed (pip install imagenet-x)"
    frames = [load(which_factor=which, partition=p).assign(partition=p) for p in ("val", "train")]
    return pd.concat(frames, ignore_index=True), list(FACTORS), ""


def join(annotations: pd.DataFrame, sample_ids: pd.Series) -> pd.DataFrame:
    """Annotation rows of the run's images, matched on the file name, with a ``sample_id`` column."""
    names = pd.DataFrame(
        {"sample_id": sample_ids.to_numpy(), "file_name": [Path(s).name for s in sample_ids]}
    ).drop_duplicates("sample_id")
    return names.merge(annotations, on="file_name", how="inner")


def factor_table(
    joined: pd.DataFrame,
    factors: list[str],
    predictions: pd.DataFrame | None,
    invariance: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per human factor (and ``all``): images, accuracy, error ratio, invariance medians.

    Args:
        joined: :func:`join` output (``sample_id``, ``class`` = the true ImageNet index, factors).
        predictions: ``sample_id, predicted`` (ImageNet class indices), or None when the model has
            no 1000-way head (accuracy is then left empty).
        invariance: per-image scores ``sample_id`` x transformation columns, or None.
    """
    frame = joined.copy()
    if predictions is not None:
        frame = frame.merge(predictions[["sample_id", "predicted"]], on="sample_id", how="left")
        frame["correct"] = (frame["predicted"] == frame["class"]).astype(float)
    if invariance is not None:
        frame = frame.merge(invariance, on="sample_id", how="left")
    transforms = [
        c for c in (invariance.columns if invariance is not None else []) if c != "sample_id"
    ]
    overall = frame["correct"].mean() if "correct" in frame else np.nan
    rows = []
    for factor in ["all", *factors]:
        subset = frame if factor == "all" else frame[frame[factor] == 1]
        row = {"factor": factor, "images": len(subset)}
        if "correct" in frame:
            accuracy = subset["correct"].mean() if len(subset) else np.nan
            row["accuracy"] = accuracy
            row["error_ratio"] = (1 - accuracy) / (1 - overall) if overall < 1 else np.nan
        for transform in transforms:
            row[f"invariance_{transform}"] = subset[transform].median() if len(subset) else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def sweep_invariance(scores: pd.DataFrame, model: str, indices=range(3, 8)) -> pd.DataFrame:
    """Per-image invariance of ``model`` averaged over magnitude ``indices``: sample_id x transform."""
    rows = scores[(scores["model"] == model) & scores["magnitude_index"].isin(list(indices))]
    table = rows.pivot_table(
        index="sample_id", columns="transform", values="invariance_cos", aggfunc="mean"
    )
    return table.reset_index()
