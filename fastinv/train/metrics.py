"""Per-epoch metrics of a training run, written as CSV and JSON next to the checkpoint."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import yaml


def append_row(rows: list[dict], row: dict) -> list[dict]:
    """Rows with ``row`` replacing any earlier row of the same epoch (a rerun epoch)."""
    return [r for r in rows if r["epoch"] != row["epoch"]] + [row]


def _write_text(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def write_metrics(out: Path, rows: list[dict], config, summary: dict | None = None) -> None:
    """``metrics.csv``, ``metrics.json`` and ``config.yaml`` (and ``summary.json`` when given)."""
    out.mkdir(parents=True, exist_ok=True)
    if rows:
        columns = list(dict.fromkeys(k for row in rows for k in row))
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
        _write_text(out / "metrics.csv", buffer.getvalue())
    _write_text(out / "metrics.json", json.dumps(rows, indent=1))
    _write_text(out / "config.yaml", yaml.safe_dump(config.to_dict(), sort_keys=False))
    if summary is not None:
        _write_text(out / "summary.json", json.dumps(summary, indent=1))
