"""The demo's report: the sweep report plus accuracy, zoom, training curves and the finding.

Built from stored tables only (sweep summary, evaluation tables, per-epoch metrics). The finding is
stated from the numbers, whichever way they fall: if translation augmentation does not raise
translation invariance over no augmentation, the report says so.
"""

from __future__ import annotations

import html
import json
import logging
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from fastinv.metric import invariance_gap  # noqa: E402
from fastinv.report import build_report  # noqa: E402
from fastinv.report.html import image_tag, table_html  # noqa: E402
from fastinv.results import write_text  # noqa: E402

log = logging.getLogger(__name__)

TRANSLATIONS = ("translateX", "translateY")


def translation_finding(
    summary: pd.DataFrame, augmented: str = "aug-T", plain: str = "aug-None"
) -> dict:
    """Gap in median translation invariance (indices 3..7) of ``augmented`` over ``plain``."""
    models = set(summary["model"])
    if not {augmented, plain} <= models:
        return {"shown": None, "text": f"not measured: the sweep lacks {augmented!r} or {plain!r}"}
    gaps = invariance_gap(summary, augmented, plain).set_index("transform")["gap"]
    values = {t: float(gaps[t]) for t in TRANSLATIONS if t in gaps.index}
    shown = bool(values) and all(v > 0 for v in values.values())
    numbers = ", ".join(f"{t} {v:+.3f}" for t, v in values.items())
    if shown:
        text = (
            f"As the study found, translation augmentation raised translation invariance over no "
            f"augmentation: median invariance gap of {augmented} over {plain} {numbers} "
            f"(magnitude indices 3..7)."
        )
    else:
        text = (
            f"The expected finding did NOT show here: translation augmentation did not raise translation "
            f"invariance over no augmentation on every translation ({augmented} over {plain}: {numbers}, "
            f"magnitude indices 3..7)."
        )
    return {"shown": shown, "gaps": values, "text": text}


def _zoom_figure(eval_summary: pd.DataFrame, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for model, group in eval_summary.groupby("model", sort=False):
        ax.plot(group["zoom"], group["top1"], marker="o", label=model)
    ax.set_xlabel("test-time zoom s (crop area ~ U[1/s^2, 1])")
    ax.set_ylabel("top-1 accuracy")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _curves_figure(training: dict[str, list[dict]], path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for model, rows in training.items():
        epochs = [r["epoch"] + 1 for r in rows]
        (line,) = ax.plot(epochs, [r["val_top1"] for r in rows], marker="o", label=f"{model} val")
        ax.plot(
            epochs,
            [r["train_top1"] for r in rows],
            ls="--",
            alpha=0.6,
            color=line.get_color(),
            label=f"{model} train (augmented)",
        )
    ax.set_xlabel("epoch")
    ax.set_ylabel("top-1 accuracy")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_demo_report(
    out: Path,
    sweep_dir: Path,
    eval_summary: pd.DataFrame,
    per_class: pd.DataFrame,
    training: dict[str, list[dict]],
    config: dict,
    timings: dict[str, float],
) -> dict:
    """Write ``out/report.html`` and ``out/demo_summary.json``; returns the summary dict."""
    summary = pd.read_parquet(Path(sweep_dir) / "summary.parquet")
    finding = translation_finding(summary)
    trained = [m for m in dict.fromkeys(summary["model"]) if m != "untrained"]
    gaps = {
        m: invariance_gap(summary, m, "untrained").set_index("transform")["gap"].to_dict()
        for m in trained
    }
    augmented_gaps = {
        m: invariance_gap(summary, m, "aug-None").set_index("transform")["gap"].to_dict()
        for m in trained
        if m != "aug-None" and "aug-None" in trained
    }

    accuracy = eval_summary[eval_summary["zoom"] == 1.0].drop(columns="zoom").reset_index(drop=True)
    zoom = eval_summary.pivot_table(
        index="zoom", columns="model", values="top1", sort=False
    ).reset_index()
    classes = per_class.pivot_table(
        index="class_name", columns="model", values="top1", sort=False
    ).reset_index()
    figures = Path(sweep_dir) / "report"
    figures.mkdir(parents=True, exist_ok=True)

    findings_html = (
        f"<p><b>{html.escape(finding['text'])}</b></p><p class=note>Models: the same "
        f"{html.escape(config['arch'])} trained {config['epochs']} epochs on the built-in dataset "
        f"(10 classes with known factors of variation, {config['image_size']} px) with no augmentation "
        f"(aug-None), translation only (aug-T) and crop + flip (aug-HC), and an untrained copy.</p>"
    )
    gap_table = pd.DataFrame({f"{m} over aug-None": v for m, v in augmented_gaps.items()})
    gap_table = gap_table.rename_axis("transform").reset_index()
    sections = [
        (
            "Accuracy per configuration (validation, no zoom)",
            table_html(accuracy)
            + f"<p class=note>After {config['epochs']} epochs; augmented training converges more slowly, so short "
            "runs favour no augmentation (the study trained 90 epochs). See the training curves.</p>",
        ),
        (
            "Invariance gap of augmentation over no augmentation",
            "<p class=note>median invariance minus aug-None's, magnitude indices 3..7</p>"
            + table_html(gap_table),
        ),
        (
            "Test-time zoom",
            image_tag(_zoom_figure(eval_summary, figures / "zoom.png"), "zoom") + table_html(zoom),
        ),
        ("Training curves", image_tag(_curves_figure(training, figures / "curves.png"), "curves")),
        ("Per-class accuracy", table_html(classes)),
        (
            "Wall time (seconds)",
            table_html(
                pd.DataFrame([{"step": k, "seconds": v} for k, v in timings.items()]), digits=1
            ),
        ),
    ]
    page = build_report(sweep_dir, reference="untrained", sections=sections)
    text = page.read_text().replace(
        f"<h1>fastinv sweep: {html.escape(Path(sweep_dir).name)}</h1>",
        "<h1>fastinv demo: where does translation invariance come from?</h1>",
        1,
    )
    # The finding goes first, right under the page title.
    position = text.find("</h1>")
    text = (
        text[: position + 5] + "<h2>Finding</h2>" + findings_html + text[position + 5 :]
        if position >= 0
        else findings_html + text
    )
    report = write_text(text, Path(out) / "report.html")

    result = {
        "report": str(report),
        "finding": finding,
        "accuracy": accuracy.to_dict(orient="records"),
        "zoom_top1": zoom.to_dict(orient="records"),
        "gaps_over_untrained": gaps,
        "gaps_over_no_augmentation": augmented_gaps,
        "timings_seconds": timings,
        "config": config,
    }
    write_text(json.dumps(result, indent=1, default=str), Path(out) / "demo_summary.json")
    return result
