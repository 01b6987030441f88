"""The whole factors study: discovery, the analyses, and the report, from stored tables.

Writes next to the discovery tables (``engine.py``): ``analyses.json`` (every summary, and why an
analysis was skipped), ``alignment.parquet``, ``specificity.parquet``, ``precision.parquet`` (on the
built-in dataset), ``imagenet_x.parquet`` (when the annotations match), and the report.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import torch

from fastinv.metric import invariance_gap
from fastinv.models import ModelSpec, read_checkpoint
from fastinv.results import write_parquet, write_text

from . import analyses as an
from . import imagenet_x
from .config import RANK_STATISTICS, FactorsConfig
from .engine import resolve_data, run_factors
from .report import sections, standalone_page
from .stats import rank_candidates

log = logging.getLogger(__name__)


def _alignment_sweep(config: FactorsConfig, run_dir: Path, progress, modules: dict | None) -> Path:
    """Run (or resume) the sweep the alignment needs: this model against its untrained architecture."""
    from fastinv.sweep import SweepConfig, run_sweep

    root, _, image_size, resize_size = resolve_data(config)
    spec = ModelSpec.parse(config.model)
    if modules:
        models = list(modules)
    else:
        arch = spec.arch or read_checkpoint(spec.checkpoint).get("arch")
        if arch is None:
            raise ValueError(
                f"cannot tell the architecture of {config.model!r} for the untrained baseline"
            )
        body = "@".join(str(part) for part in (spec.arch, spec.checkpoint) if part)
        models = [f"trained={body}", f"untrained={arch}"]
    sweep = SweepConfig(
        models=models,
        data=str(root),
        transforms="paper",
        samples=config.alignment_samples,
        seed=config.seed,
        image_size=image_size,
        resize_size=resize_size,
        batch_size=config.batch_size,
        device=config.device,
        workers=config.workers,
        out=str(run_dir / "sweep"),
        kernel_backend=config.kernel_backend,
    )
    return run_sweep(sweep, progress=progress, custom_models=modules)


def _alignment(
    config: FactorsConfig, table: pd.DataFrame, sweep_dir: Path, results: dict, run_dir: Path
) -> None:
    summary = pd.read_parquet(sweep_dir / "summary.parquet")
    models = list(dict.fromkeys(summary["model"]))
    trained = config.trained or (
        "trained" if "trained" in models else ModelSpec.parse(config.model).label
    )
    untrained = config.untrained or (
        "untrained" if "untrained" in models else next((m for m in models if m != trained), None)
    )
    if untrained is None:
        results["alignment_skipped"] = (
            f"the sweep in {sweep_dir} has one model; alignment needs an untrained one"
        )
        return
    gaps = invariance_gap(summary, trained, untrained)
    rows, results["alignment"] = an.alignment(table, gaps, k=config.top_k, seed=config.seed)
    results["alignment"].update(trained=trained, untrained=untrained, sweep=str(sweep_dir))
    write_parquet(rows, run_dir / "alignment.parquet")
    write_parquet(gaps, run_dir / "invariance_gaps.parquet")


def _imagenet_x(
    config: FactorsConfig, run_dir: Path, sweep_dir: Path | None, results: dict
) -> None:
    annotations, factors, reason = imagenet_x.load_annotations()
    if annotations is None:
        results["imagenet_x"] = f"skipped: {reason}"
        return
    pairs = pd.read_parquet(run_dir / "pairs.parquet")
    samples = pd.concat([pairs["image_1"], pairs["image_2"]], ignore_index=True)
    joined = imagenet_x.join(annotations, samples)
    if joined.empty:
        results["imagenet_x"] = "skipped: no image file name matches an ImageNet-X annotation"
        return
    files = sorted((run_dir / "predictions").glob("*.parquet"))
    predictions = (
        pd.concat([pd.read_parquet(f) for f in files], ignore_index=True) if files else None
    )
    invariance = None
    if sweep_dir is not None and (sweep_dir / "scores.parquet").exists():
        scores = pd.read_parquet(sweep_dir / "scores.parquet")
        model = results.get("alignment", {}).get("trained") or scores["model"].iloc[0]
        invariance = imagenet_x.sweep_invariance(scores, model)
    table = imagenet_x.factor_table(joined, factors, predictions, invariance)
    write_parquet(table, run_dir / "imagenet_x.parquet")
    results["imagenet_x"] = f"{len(joined)} annotated images joined by file name" + (
        "" if predictions is not None else "; the model has no classifier head: no accuracy"
    )


def _known_answers(
    config: FactorsConfig, table: pd.DataFrame, truth: pd.DataFrame, results: dict, run_dir: Path
) -> None:
    """Precision at 3 of the declared factors, under the run's ranking and every other one."""
    try:
        rows, results["precision"] = an.precision_at_k(table, truth, k=3)
    except ValueError as error:  # no candidate probes any declared factor
        results["precision_skipped"] = f"skipped: {error}"
        return
    # The same known answers under every ranking statistic, to compare them on one run.
    by_statistic = {
        stat: an.precision_at_k(rank_candidates(table, stat), truth, k=3)[1]["mean_precision"]
        for stat in RANK_STATISTICS
    }
    results["precision"].update(rank_by=config.rank_by, by_statistic=by_statistic)
    write_parquet(rows, run_dir / "precision.parquet")
    if results["precision"]["classes_not_probed"]:
        log.warning(
            "no candidate probes the declared factors of %s: not scored for precision",
            ", ".join(results["precision"]["classes_not_probed"]),
        )


def run_study(
    config: FactorsConfig,
    progress: Callable | None = None,
    module: torch.nn.Module | None = None,
    sweep_modules: dict[str, torch.nn.Module] | None = None,
) -> tuple[Path, Path]:
    """Discovery, analyses and report; returns (run directory, report page).

    ``module`` replaces the loaded model in discovery; ``sweep_modules`` (label -> module, e.g.
    ``{"trained": ..., "untrained": ...}``) replace the models of the automatic alignment sweep.
    """
    run_dir = run_factors(config, progress, module)
    table = pd.read_parquet(run_dir / "factors.parquet")
    results: dict = {"rank_by": config.rank_by}

    _, truth_path, _, _ = resolve_data(config)
    if truth_path is not None:
        _known_answers(config, table, pd.read_csv(truth_path), results, run_dir)
    if table["class_name"].nunique() >= 2:
        rows, results["specificity"] = an.specificity(
            table, k=config.top_k, max_pairs=config.specificity_pairs, seed=config.seed
        )
        write_parquet(rows, run_dir / "specificity.parquet")

    sweep_dir = None
    if config.sweep == "none":
        results["alignment_skipped"] = "skipped: --sweep none"
    elif config.sweep == "auto" and module is not None and not sweep_modules:
        results["alignment_skipped"] = (
            "skipped: a custom module has no untrained twin to sweep; pass sweep_modules"
        )
    else:
        sweep_dir = (
            _alignment_sweep(config, run_dir, progress, sweep_modules)
            if config.sweep == "auto"
            else Path(config.sweep)
        )
        _alignment(config, table, sweep_dir, results, run_dir)

    if config.imagenet_x == "auto":
        _imagenet_x(config, run_dir, sweep_dir, results)
    write_text(json.dumps(results, indent=2, default=str), run_dir / "analyses.json")

    blocks = sections(run_dir)
    if sweep_dir is not None:
        from fastinv.report import build_report

        page = build_report(sweep_dir, sections=blocks)
    else:
        page = standalone_page(run_dir, blocks)
    log.info("factors report: %s", page)
    return run_dir, page
