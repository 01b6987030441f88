"""The sweep engine: embed each image once, every transformation's magnitudes in batched calls.

For each model the untransformed images are embedded once and shared by every transformation;
the identity magnitudes reuse that embedding. For each (model, transformation) cell, the images go
through one kernel call per chunk (B images x M magnitudes), the model embeds the B*M results in
large channels-last batches under inference mode, and the cell's per-sample scores are written
atomically. A rerun skips finished cells, so a killed sweep resumes where it stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from fastinv.data import decode_images, default_data_dir, list_images
from fastinv.metric import partner_permutation, relative_invariance, summarize
from fastinv.models import Embedder, ModelSpec, load_embedder
from fastinv.results import RunDirectory, write_npy, write_parquet, write_text
from fastinv.transforms import Transform, get_transform

from .config import SweepConfig
from .measure import Measurement, Progress, resolve_device

log = logging.getLogger(__name__)

SCORE_COLUMNS = [
    "model",
    "transform",
    "magnitude_index",
    "magnitude",
    "sample_id",
    "label",
    "partner_id",
    "distance_cos",
    "baseline_cos",
    "invariance_cos",
    "distance_l2",
    "baseline_l2",
    "invariance_l2",
]


def score_cell(
    model: str,
    transform: Transform,
    grid: list[float],
    original: torch.Tensor,
    transformed: torch.Tensor,
    samples: pd.DataFrame,
    seed: int,
) -> pd.DataFrame:
    """Per-sample rows of one (model, transformation) cell; partners depend on seed, not model."""
    ids = samples["sample_id"].to_numpy()
    frames = []
    for index, magnitude in enumerate(grid):
        partner = partner_permutation(len(ids), seed, transform.name, index)
        scores = relative_invariance(original, transformed[:, index], partner)
        frames.append(
            pd.DataFrame(
                {
                    "model": model,
                    "transform": transform.name,
                    "magnitude_index": index,
                    "magnitude": magnitude,
                    "sample_id": ids,
                    "label": samples["label"].to_numpy(),
                    "partner_id": ids[partner],
                    **scores,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[SCORE_COLUMNS]


def _load_samples(config: SweepConfig, run: RunDirectory) -> tuple[torch.Tensor, pd.DataFrame]:
    root = Path(config.data) if config.data else default_data_dir()
    records, classes = list_images(root)
    order = np.random.default_rng(config.seed).permutation(len(records))
    shuffled = [records[i] for i in order]
    if config.samples > len(records):
        log.warning(
            "asked for %d samples but %s holds %d images; using all",
            config.samples,
            root,
            len(records),
        )
    # FIXME: the decoded sample is held in memory (N x 3 x S x S uint8: 7.5 GB for ImageNet's 50k
    # validation images at 224 px) and decoded with PIL threads; a streaming, DALI-decoded path for
    # larger-than-memory samples is missing.
    images, kept, skipped = decode_images(
        shuffled,
        min(config.samples, len(records)),
        image_size=config.image_size,
        resize_size=config.resize_size,
        strict=config.strict,
        workers=config.workers,
    )
    if len(kept) < 2:
        raise ValueError(
            f"only {len(kept)} readable image(s) in {str(root)!r}; the baseline needs at least 2"
        )
    samples = pd.DataFrame(
        {
            "sample_id": [r.sample_id for r in kept],
            "path": [str(r.path) for r in kept],
            "label": [r.label for r in kept],
            "class_name": [r.class_name for r in kept],
        }
    )
    saved_path = run.root / "samples.parquet"
    if saved_path.exists():
        saved = pd.read_parquet(saved_path)
        if saved["sample_id"].tolist() != samples["sample_id"].tolist():
            raise ValueError(
                f"the images in {str(root)!r} changed since this run started (different samples "
                f"were drawn); use a new --out"
            )
    else:
        write_parquet(samples, saved_path)
    if skipped:
        write_text(
            "\n".join(f"{s.path}\t{s.reason}" for s in skipped) + "\n",
            run.root / "skipped_images.tsv",
        )
    log.info(
        "%d images from %s (%d classes, %d skipped)", len(kept), root, len(classes), len(skipped)
    )
    return images, samples


def _tables_current(run: RunDirectory, expected: list[tuple[str, str]]) -> bool:
    path = run.root / "scores.parquet"
    if not path.exists() or not (run.root / "summary.parquet").exists():
        return False
    cells = pd.read_parquet(path, columns=["model", "transform"]).drop_duplicates()
    return set(map(tuple, cells.to_numpy())) == set(expected)


def write_tables(run: RunDirectory, cells: list[tuple[str, str]], percentiles) -> pd.DataFrame:
    scores = pd.concat([pd.read_parquet(run.cell_path(m, t)) for m, t in cells], ignore_index=True)
    summary = summarize(scores, percentiles)
    write_parquet(scores, run.root / "scores.parquet")
    write_parquet(summary, run.root / "summary.parquet")
    write_text(summary.to_csv(index=False), run.root / "summary.csv")
    return summary


def run_sweep(
    config: SweepConfig,
    progress: Callable[[int, int], Progress] | None = None,
    custom_models: dict[str, torch.nn.Module] | None = None,
) -> Path:
    """Run (or resume) a sweep; returns the run directory.

    Args:
        config: what to measure.
        progress: ``progress(total, initial)`` may return a callback that receives counts of
            embedded images; the CLI passes a tqdm bar here, the library itself only logs.
        custom_models: label -> module returning embeddings [N, D], for models built in Python
            (a notebook's own network). Their labels appear in ``config.models`` as plain names;
            their weights are not part of the run's recorded configuration.
    """
    custom_models = custom_models or {}
    grids = config.grids()
    transforms = [get_transform(name) for name in grids]
    specs = [ModelSpec.parse(m) for m in config.models]
    labels = [s.label for s in specs]
    if len(set(labels)) != len(labels):
        raise ValueError(f"model labels must be unique, got {labels}; name them as label=arch")
    device = resolve_device(config.device)
    science = config.science()
    science["precision"] = "bf16" if device.type == "cuda" else "fp32"
    run = RunDirectory(config.out, science, config.to_dict())
    cells = [(s.label, t.name) for s in specs for t in transforms]
    todo = [
        (s, t) for s in specs for t in transforms if not run.cell_path(s.label, t.name).exists()
    ]
    if not todo:
        if not _tables_current(run, cells):
            write_tables(run, cells, config.percentiles)
        log.info("all %d cells of %s are finished; nothing to do", len(cells), run.root)
        return run.root

    run.record_provenance(started=run.now(), cells_to_do=len(todo))
    images, samples = _load_samples(config, run)
    moving = {t.name: sum(not t.is_identity(m) for m in grids[t.name]) for t in transforms}
    total = sum(len(images) * moving[t.name] for _, t in todo) + len(images) * len(
        {s for s, _ in todo}
    )
    tick = progress(total, 0) if progress else None

    for spec in specs:
        own = [t for s, t in todo if s == spec]
        if not own:
            continue
        if spec.label in custom_models:
            embedder = Embedder(custom_models[spec.label], "module").eval()
        else:
            embedder = load_embedder(spec, pretrained=config.pretrained, seed=config.seed)
        measurement = Measurement(embedder, device, config.batch_size, config.kernel_backend)
        original = measurement.embed_originals(images, tick)
        if config.save_embeddings:
            write_npy(original.numpy(), run.embedding_path(spec.label, "original"))
        for transform in own:
            grid = grids[transform.name]
            moving_values = [m for m in grid if not transform.is_identity(m)]
            moved = (
                measurement.embed_transformed(images, transform, moving_values, tick)
                if moving_values
                else None
            )
            transformed = torch.empty(len(images), len(grid), original.shape[1])
            position = 0
            for index, magnitude in enumerate(grid):
                if transform.is_identity(magnitude):
                    transformed[:, index] = original
                else:
                    transformed[:, index] = moved[:, position]
                    position += 1
            frame = score_cell(
                spec.label, transform, grid, original, transformed, samples, config.seed
            )
            if config.save_embeddings:
                write_npy(transformed.numpy(), run.embedding_path(spec.label, transform.name))
            write_parquet(frame, run.cell_path(spec.label, transform.name))
            log.info(
                "cell %s x %s done: median invariance %s",
                spec.label,
                transform.name,
                np.round(frame.groupby("magnitude_index")["invariance_cos"].median().to_numpy(), 3),
            )
    write_tables(run, cells, config.percentiles)
    run.record_provenance(finished=run.now())
    return run.root
