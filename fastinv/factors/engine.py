"""Factor discovery engine: per class, embed each pair once, every candidate in batched calls.

For each class, the pair images are decoded once and embedded once; the second image of every pair
goes through one kernel call per (transform, chunk of pairs) that covers all of that transform's
candidate magnitudes (with per-image random signs where AutoAugment draws them); the model embeds
the results in large batches. Identity candidates reuse the original embedding (delta exactly 0)
and magnitude-less operations (Equalize...) are computed once for all their indices. Each finished
class is written atomically to ``cells/<model>/<class>.parquet``, so an interrupted run resumes.

Run directory layout::

    config.yaml, provenance.json    resolved configuration and code version (fastinv.results)
    pairs.parquet                   every pair: class, pair_index, image_1, image_2
    cells/<model>/<class>.parquet   per-pair deltas of one finished class
    predictions/<class>.parquet     top-1 predictions of each image (when the model has a head)
    deltas.parquet                  all classes: one row per (class, pair, candidate)
    factors.parquet / factors.csv   per (class, candidate) summaries with each class's ranking
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import torch

from fastinv.data import ImageRecord, decode_images, list_images
from fastinv.models import Embedder, ModelSpec, load_embedder
from fastinv.results import RunDirectory, safe_name, write_parquet, write_text
from fastinv.sweep.measure import resolve_device

from .candidates import Candidate, parse_indices, resolve_candidates
from .config import FactorsConfig
from .deltas import PairEmbedder, Progress, class_deltas, cosine, transformed_per_pair
from .pairs import class_pairs
from .stats import summarize_deltas

log = logging.getLogger(__name__)

DELTA_COLUMNS = [
    "class_name",
    "label",
    "pair_index",
    "image_1",
    "image_2",
    "candidate",
    "transform",
    "magnitude_index",
    "magnitude",
    "sign",
    "cos0",
    "cos",
    "delta",
]


def resolve_data(config: FactorsConfig) -> tuple[Path, Path | None, int, int]:
    """(image folder, built-in ground-truth file or None, image size, resize size)."""
    if config.data:
        folder = Path(config.data).expanduser()
        # A split of a dataset written by `fastinv dataset` carries its ground truth one level up.
        truth = folder.parent / "ground_truth.csv"
        size = config.image_size or 224
        return (
            folder,
            truth if truth.is_file() else None,
            size,
            config.resize_size or round(size * 256 / 224),
        )
    from fastinv.datasets import builtin_dataset

    folder = builtin_dataset()
    size = json.loads((folder / "dataset.json").read_text())["config"]["image_size"]
    size = config.image_size or size
    return folder / config.split, folder / "ground_truth.csv", size, config.resize_size or size


def _pairs_table(
    records: list[ImageRecord], classes: list[str], config: FactorsConfig
) -> pd.DataFrame:
    by_class: dict[str, list[ImageRecord]] = {}
    for record in records:
        by_class.setdefault(record.class_name, []).append(record)
    rows = []
    for class_name in classes:
        pairs = class_pairs(
            by_class.get(class_name, []),
            config.pairing,
            config.pairs,
            config.pair_batch,
            config.seed,
        )
        if not pairs:
            log.warning(
                "class %s has too few images for a pair (pairing %s, pair batch %d); skipped",
                class_name,
                config.pairing,
                config.pair_batch,
            )
        for index, (first, second) in enumerate(pairs):
            rows.append(
                {
                    "class_name": class_name,
                    "label": first.label,
                    "pair_index": index,
                    "image_1": first.sample_id,
                    "image_2": second.sample_id,
                }
            )
    if not rows:
        raise ValueError(
            "no class has enough images for one pair; lower --pair-batch or use --pairing random"
        )
    return pd.DataFrame(rows)


def _select_classes(classes: list[str], config: FactorsConfig) -> list[str]:
    if config.classes:
        wanted = [c.strip() for c in config.classes.split(",") if c.strip()]
        unknown = [c for c in wanted if c not in classes]
        if unknown:
            raise ValueError(
                f"classes {unknown} not in the data; valid: {', '.join(classes[:20])}"
                f"{'...' if len(classes) > 20 else ''}"
            )
        classes = wanted
    return classes[: config.max_classes] if config.max_classes else classes


def run_factors(
    config: FactorsConfig,
    progress: Callable[[int, int], Progress] | None = None,
    module: torch.nn.Module | None = None,
) -> Path:
    """Run (or resume) factor discovery; returns the run directory (tables only, no analyses).

    ``progress(total, initial)`` may return a callback receiving counts of embedded images (the CLI
    passes a tqdm bar). ``module``, if given, is the embedding function (a module returning [N, D])
    used instead of loading ``config.model``, whose label still names the results.
    """
    root, _, image_size, resize_size = resolve_data(config)
    candidates = resolve_candidates(config.candidates, parse_indices(config.magnitude_indices))
    records, classes = list_images(root)
    if not classes:
        raise ValueError(
            f"{str(root)!r} is a flat folder; factor discovery needs one sub-folder per class"
        )
    classes = _select_classes(classes, config)
    spec = ModelSpec.parse(config.model)
    run = RunDirectory(config.out, config.science(), config.to_dict())

    pairs = _pairs_table(records, classes, config)
    saved = run.root / "pairs.parquet"
    if saved.exists() and not pd.read_parquet(saved).equals(pairs):
        raise ValueError(
            f"the images in {str(root)!r} changed since this run started; use a new --out"
        )
    write_parquet(pairs, saved)

    todo = [
        c for c in dict.fromkeys(pairs["class_name"]) if not run.cell_path(spec.label, c).exists()
    ]
    if todo:
        run.record_provenance(started=run.now(), classes_to_do=len(todo))
        device = resolve_device(config.device)
        embedder = (
            Embedder(module, "module").eval()
            if module is not None
            else load_embedder(spec, seed=config.seed)
        )
        measure = PairEmbedder(embedder, device, config.batch_size, config.kernel_backend)
        per_pair = transformed_per_pair(candidates) + 2  # and the two originals
        total = int(pairs["class_name"].isin(todo).sum()) * per_pair
        tick = progress(total, 0) if progress else None
        by_id = {r.sample_id: r for r in records}
        for class_name in todo:
            _run_class(
                run,
                measure,
                pairs[pairs["class_name"] == class_name],
                by_id,
                candidates,
                spec.label,
                config,
                image_size,
                resize_size,
                tick,
            )
        run.record_provenance(finished=run.now())

    deltas = pd.concat(
        [pd.read_parquet(run.cell_path(spec.label, c)) for c in dict.fromkeys(pairs["class_name"])],
        ignore_index=True,
    )
    write_parquet(deltas, run.root / "deltas.parquet")
    table = summarize_deltas(deltas, config.rank_by)
    write_parquet(table, run.root / "factors.parquet")
    write_text(table.to_csv(index=False), run.root / "factors.csv")
    return run.root


def _run_class(
    run: RunDirectory,
    measure: PairEmbedder,
    pairs: pd.DataFrame,
    by_id: dict[str, ImageRecord],
    candidates: list[Candidate],
    model: str,
    config: FactorsConfig,
    image_size: int,
    resize_size: int,
    tick: Progress | None,
) -> None:
    class_name = pairs["class_name"].iloc[0]
    wanted = list(dict.fromkeys([*pairs["image_1"], *pairs["image_2"]]))
    images, kept, skipped = decode_images(
        [by_id[i] for i in wanted],
        len(wanted),
        image_size=image_size,
        resize_size=resize_size,
        strict=config.strict,
        workers=config.workers,
    )
    if skipped:
        write_text(
            "".join(f"{s.path}\t{s.reason}\n" for s in skipped),
            run.root / "skipped" / f"{safe_name(class_name)}.tsv",
        )
    index = {r.sample_id: i for i, r in enumerate(kept)}
    pairs = pairs[pairs["image_1"].isin(index) & pairs["image_2"].isin(index)]
    if pairs.empty:
        raise ValueError(f"no readable pair left in class {class_name!r}")
    embeddings = measure.embed(images)
    if tick:
        tick(2 * len(pairs))
    predictions = measure.predict(embeddings)
    if predictions is not None:
        write_parquet(
            pd.DataFrame(
                {
                    "sample_id": [r.sample_id for r in kept],
                    "label": [r.label for r in kept],
                    "predicted": predictions,
                }
            ),
            run.root / "predictions" / f"{safe_name(class_name)}.parquet",
        )
    first = torch.as_tensor([index[i] for i in pairs["image_1"]])
    second = torch.as_tensor([index[i] for i in pairs["image_2"]])
    z1, z2 = embeddings[first], embeddings[second]
    results = class_deltas(
        measure, z1, z2, images[second], candidates, class_name, config.seed, tick
    )
    cos0 = cosine(z1, z2).cpu().numpy()
    frames = []
    for c in candidates:
        cos, sign = results[c.name]
        frames.append(
            pairs.assign(
                candidate=c.name,
                transform=c.transform.name,
                magnitude_index=c.index,
                magnitude=c.magnitude,
                sign=sign,
                cos0=cos0,
                cos=cos,
                delta=cos - cos0,
            )
        )
    frame = pd.concat(frames, ignore_index=True)[DELTA_COLUMNS]
    write_parquet(frame, run.cell_path(model, class_name))
    log.info(
        "class %s: %d pairs x %d candidates; best %s",
        class_name,
        len(pairs),
        len(candidates),
        frame.groupby("candidate")["delta"].apply(lambda d: (d > 0).mean()).idxmax(),
    )
