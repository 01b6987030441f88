"""Assemble a single self-contained HTML page (figures embedded) from stored tables."""

from __future__ import annotations

import base64
import html
import logging
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import yaml

from fastinv.metric import invariance_gap
from fastinv.results import write_text

from .figures import save_overview, save_transform_figures

log = logging.getLogger(__name__)

STYLE = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222}
table{border-collapse:collapse;font-size:13px;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;
text-align:right}th{background:#f3f3f3}img{max-width:100%;margin:0.5em 0}h2{margin-top:1.6em}
.note{color:#555;font-size:13px}"""


def image_tag(path: Path, alt: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def table_html(frame: pd.DataFrame, digits: int = 3) -> str:
    return frame.to_html(index=False, float_format=lambda v: f"{v:.{digits}f}", border=0)


def headline_table(summary: pd.DataFrame, distance: str = "cos") -> pd.DataFrame:
    """Median invariance per transformation (rows) and model (columns), averaged over indices 3..7."""
    middle = summary[summary["magnitude_index"].between(3, 7)]
    table = middle.pivot_table(
        index="transform", columns="model", values=f"median_{distance}", aggfunc="mean", sort=False
    )
    return table.reset_index()


def build_report(
    run_dir: str | Path,
    reference: str | None = None,
    sections: Sequence[tuple[str, str]] = (),
    distance: str = "cos",
) -> Path:
    """Draw the figures of a sweep run and write ``RUN/report/index.html``.

    Args:
        run_dir: a sweep run directory (reads scores.parquet and summary.parquet only).
        reference: model label the invariance gaps are taken against (default: the first model).
        sections: extra ``(title, html)`` blocks appended by other studies (training, factors).
        distance: ``"cos"`` or ``"l2"``.
    """
    run_dir = Path(run_dir)
    scores_path, summary_path = run_dir / "scores.parquet", run_dir / "summary.parquet"
    if not scores_path.exists() or not summary_path.exists():
        raise FileNotFoundError(
            f"{str(run_dir)!r} holds no finished sweep tables (scores.parquet, summary.parquet)"
        )
    scores, summary = pd.read_parquet(scores_path), pd.read_parquet(summary_path)
    folder = run_dir / "report"
    figures = save_transform_figures(scores, folder, distance)
    overview = save_overview(summary, folder / f"overview_{distance}.png", distance)

    models = list(dict.fromkeys(summary["model"]))
    reference = reference or models[0]
    config = (
        yaml.safe_load((run_dir / "config.yaml").read_text())
        if (run_dir / "config.yaml").exists()
        else {}
    )
    science = config.get("science", {})
    parts = [
        f"<h1>fastinv sweep: {html.escape(run_dir.name)}</h1>",
        f"<p class=note>models: {html.escape(', '.join(models))}; {scores['sample_id'].nunique()} images; "
        f"data: {html.escape(str(science.get('data') or 'built-in photographs'))}; "
        f"image size {science.get('image_size')}; seed {science.get('seed')}. Score: relative invariance "
        f"({distance} distance), 1 = embedding unmoved, 0 = moved as far as another image.</p>",
        "<h2>Overview</h2>",
        image_tag(overview, "overview"),
        "<h2>Median invariance, magnitude indices 3..7</h2>",
        table_html(headline_table(summary, distance)),
    ]
    if len(models) > 1:
        gaps = [
            invariance_gap(summary, m, reference, distance).assign(model=m)
            for m in models
            if m != reference
        ]
        gap_table = pd.concat(gaps).pivot_table(
            index="transform", columns="model", values="gap", sort=False
        )
        parts += [
            f"<h2>Invariance gap against {html.escape(reference)}</h2>",
            "<p class=note>median score minus the reference's, averaged over magnitude indices 3..7</p>",
            table_html(gap_table.reset_index()),
        ]
    parts.append("<h2>Per transformation</h2>")
    parts += [image_tag(path, name) for name, path in figures.items()]
    for title, body in sections:
        parts += [f"<h2>{html.escape(title)}</h2>", body]
    if config:
        parts += [
            "<h2>Configuration</h2>",
            f"<pre>{html.escape(yaml.safe_dump(config, sort_keys=False))}</pre>",
        ]
    page = (
        f"<!doctype html><html><head><meta charset=utf-8><title>fastinv report</title>"
        f"<style>{STYLE}</style></head><body>{''.join(parts)}</body></html>"
    )
    out = write_text(page, folder / "index.html")
    log.info("report written to %s", out)
    return out
