"""Figures from stored sweep tables: invariance over magnitude as box plots, a colour per model."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # reports are drawn headless; no display is ever needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

COLOURS = plt.get_cmap("tab10").colors


def _magnitude_labels(scores: pd.DataFrame) -> list[str]:
    per_index = scores.drop_duplicates("magnitude_index").sort_values("magnitude_index")
    return [f"{i}\n{m:.3g}" for i, m in zip(per_index["magnitude_index"], per_index["magnitude"])]


def invariance_boxplot(scores: pd.DataFrame, transform: str, distance: str = "cos", ax=None):
    """Box plots of per-sample invariance at each magnitude index, side by side per model."""
    cell = scores[scores["transform"] == transform]
    models = list(dict.fromkeys(cell["model"]))
    indices = sorted(cell["magnitude_index"].unique())
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6, 0.75 * len(indices) * max(1, len(models) ** 0.5)), 4))
    width = 0.8 / len(models)
    for k, model in enumerate(models):
        rows = cell[cell["model"] == model]
        data = [
            rows.loc[rows["magnitude_index"] == i, f"invariance_{distance}"].to_numpy()
            for i in indices
        ]
        positions = np.arange(len(indices)) + (k - (len(models) - 1) / 2) * width
        colour = COLOURS[k % len(COLOURS)]
        ax.boxplot(
            data,
            positions=positions,
            widths=width * 0.9,
            patch_artist=True,
            showfliers=False,
            boxprops={"facecolor": colour, "alpha": 0.55, "edgecolor": colour},
            medianprops={"color": "black"},
            whiskerprops={"color": colour},
            capprops={"color": colour},
        )
        ax.plot([], [], color=colour, linewidth=8, alpha=0.55, label=model)
    ax.axhline(0.0, color="grey", linewidth=0.8, linestyle=":")
    ax.set_xticks(np.arange(len(indices)), _magnitude_labels(cell))
    ax.set_xlabel("magnitude index / value")
    ax.set_ylabel(f"relative invariance ({distance})")
    ax.set_title(transform)
    ax.legend(fontsize=8, loc="lower left")
    return ax


def save_transform_figures(
    scores: pd.DataFrame, folder: Path, distance: str = "cos"
) -> dict[str, Path]:
    """One PNG per transformation; returns name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for transform in dict.fromkeys(scores["transform"]):
        ax = invariance_boxplot(scores, transform, distance)
        path = folder / f"invariance_{distance}_{transform}.png"
        ax.figure.tight_layout()
        ax.figure.savefig(path, dpi=110)
        plt.close(ax.figure)
        paths[transform] = path
    return paths


def save_overview(summary: pd.DataFrame, path: Path, distance: str = "cos") -> Path:
    """All transformations on one page: median invariance over magnitude index, a line per model."""
    transforms = list(dict.fromkeys(summary["transform"]))
    columns = min(4, len(transforms))
    rows = int(np.ceil(len(transforms) / columns))
    fig, axes = plt.subplots(
        rows, columns, figsize=(3.6 * columns, 2.8 * rows), squeeze=False, sharey=True
    )
    models = list(dict.fromkeys(summary["model"]))
    for ax, transform in zip(axes.flat, transforms):
        for k, model in enumerate(models):
            rows_ = summary[(summary["transform"] == transform) & (summary["model"] == model)]
            rows_ = rows_.sort_values("magnitude_index")
            colour = COLOURS[k % len(COLOURS)]
            ax.plot(
                rows_["magnitude_index"],
                rows_[f"median_{distance}"],
                marker="o",
                ms=3,
                color=colour,
                label=model,
            )
            ax.fill_between(
                rows_["magnitude_index"],
                rows_[f"q25_{distance}"],
                rows_[f"q75_{distance}"],
                color=colour,
                alpha=0.15,
            )
        ax.set_title(transform, fontsize=9)
        ax.axhline(0.0, color="grey", linewidth=0.6, linestyle=":")
    for ax in list(axes.flat)[len(transforms) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.supxlabel("magnitude index")
    fig.supylabel(f"median relative invariance ({distance}), IQR shaded")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
