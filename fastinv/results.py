"""Run directories that last: atomic writes, resolved configuration, provenance, resumable cells.

Layout of a sweep run directory::

    config.yaml          resolved configuration (what a rerun must match)
    provenance.json      code version, environment, start/end times, command line
    samples.parquet      the images measured: sample_id, path, label, class_name
    cells/<model>/<transform>.parquet   per-sample scores of one finished (model, transform) cell
    embeddings/<model>/original.npy     embeddings of the untransformed images [N, D]
    embeddings/<model>/<transform>.npy  transformed embeddings [N, M, D] (--save-embeddings)
    scores.parquet       all cells, one row per (model, transform, magnitude, sample)
    summary.parquet/.csv per-magnitude summaries

Every file is written to a temporary name in the same folder and renamed, so a killed run leaves
either the old file or the new one, never half of one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import yaml


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` then rename ``tmp`` onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    return atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


def write_text(text: str, path: Path) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text))


def write_npy(array: np.ndarray, path: Path) -> Path:
    def save(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            np.save(handle, array)

    return atomic_write(path, save)


def safe_name(name: str) -> str:
    """A model or transform label as a file name."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def _git_version() -> dict:
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = (
            subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=root,
                capture_output=True,
                text=True,
                timeout=5,
            ).stdout.strip()
            != ""
        )
        return {"git_commit": commit, "git_dirty": dirty}
    except (OSError, subprocess.SubprocessError):
        return {"git_commit": None, "git_dirty": None}


def provenance() -> dict:
    """Code version and environment, recorded next to every result."""
    from importlib import metadata

    versions = {}
    for package in (
        "fastinv",
        "torch",
        "torchvision",
        "timm",
        "numpy",
        "pandas",
        "pyarrow",
        "triton",
    ):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    import torch

    return {
        **_git_version(),
        "versions": versions,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu_threads": torch.get_num_threads(),
        "cuda_device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "command": sys.argv,
    }


class RunDirectory:
    """A run directory bound to one configuration; refuses to mix in another one."""

    def __init__(self, root: str | Path, science: dict, full_config: dict):
        self.root = Path(root).expanduser()
        self.config_path = self.root / "config.yaml"
        if self.config_path.exists():
            saved = yaml.safe_load(self.config_path.read_text()) or {}
            differing = sorted(
                k
                for k in set(saved.get("science", {})) | set(science)
                if saved.get("science", {}).get(k) != science.get(k)
            )
            if differing:
                details = "; ".join(
                    f"{k}: {saved.get('science', {}).get(k)!r} -> {science.get(k)!r}"
                    for k in differing[:6]
                )
                raise ValueError(
                    f"run directory {str(self.root)!r} holds a sweep with another configuration "
                    f"({details}); choose a new --out or rerun with the same settings"
                )
        else:
            self.root.mkdir(parents=True, exist_ok=True)
            write_text(
                yaml.safe_dump({"science": science, "config": full_config}, sort_keys=False),
                self.config_path,
            )

    def cell_path(self, model: str, transform: str) -> Path:
        return self.root / "cells" / safe_name(model) / f"{safe_name(transform)}.parquet"

    def embedding_path(self, model: str, name: str) -> Path:
        return self.root / "embeddings" / safe_name(model) / f"{safe_name(name)}.npy"

    def record_provenance(self, **extra) -> None:
        path = self.root / "provenance.json"
        history = json.loads(path.read_text()) if path.exists() else {"sessions": []}
        history["sessions"].append({**provenance(), **extra})
        write_text(json.dumps(history, indent=2, default=str), path)

    @staticmethod
    def now() -> str:
        return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
