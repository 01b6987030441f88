"""``fastinv factors``: per-class factors of variation, alignment, specificity, ImageNet-X, report."""

from __future__ import annotations

import argparse
import json

from .config import RANK_STATISTICS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        required=True,
        help="[label=]arch[@checkpoint] or a checkpoint; the study uses a model trained WITHOUT "
        "augmentation (e.g. `fastinv train --augment None`), so augmentation does not bias "
        "which transformations look natural",
    )
    parser.add_argument(
        "--data", help="ImageNet-layout folder (default: the built-in dataset with known factors)"
    )
    parser.add_argument(
        "--split", default="val", choices=("train", "val"), help="split of the built-in dataset"
    )
    parser.add_argument(
        "--out", default="runs/factors", help="run directory (resumes when it exists)"
    )
    parser.add_argument(
        "--candidates",
        default="autoaugment",
        help="'autoaugment' (the study's 63) or registry presets/names, comma-separated",
    )
    parser.add_argument(
        "--magnitude-indices",
        default="policy",
        help="grid indices like '3,6,9', or 'policy'/'all' for the default set",
    )
    parser.add_argument("--pairs", type=int, default=50, help="pairs per class")
    parser.add_argument(
        "--pairing",
        default="halves",
        choices=("halves", "random"),
        help="halves: the reference's halves of batches in folder order; random: seeded shuffle",
    )
    parser.add_argument(
        "--pair-batch", type=int, default=32, help="batch size that 'halves' cuts in two"
    )
    parser.add_argument("--classes", help="comma-separated class folder names (default: all)")
    parser.add_argument("--max-classes", type=int, help="first N classes only")
    parser.add_argument(
        "--image-size", type=int, help="centre crop side (default 224; the built-in's own size)"
    )
    parser.add_argument(
        "--resize-size", type=int, help="short side before cropping (default 256/224 x size)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of pairing, signs and bootstrap")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")
    parser.add_argument("--batch-size", type=int, default=256, help="images per forward pass")
    parser.add_argument("--workers", type=int, default=4, help="decoding threads")
    parser.add_argument("--kernel-backend", default="auto", choices=("auto", "triton", "torch"))
    parser.add_argument("--strict", action="store_true", help="stop at the first unreadable image")
    parser.add_argument(
        "--sweep",
        default="auto",
        help="sweep run directory for alignment; 'auto' runs one (trained vs untrained), 'none' skips",
    )
    parser.add_argument("--trained", help="model label of the sweep taken as trained")
    parser.add_argument("--untrained", help="model label of the sweep taken as untrained")
    parser.add_argument(
        "--alignment-samples", type=int, default=200, help="images of the automatic sweep"
    )
    parser.add_argument(
        "--top-k", type=int, default=5, help="factors per class in alignment and overlap"
    )
    parser.add_argument(
        "--rank-by",
        default="proportion_boosted",
        choices=RANK_STATISTICS,
        help="statistic that ranks each class's factors: the study's proportion_boosted, or "
        "mean_gain (mean of max(delta, 0); not fooled by candidates the model ignores)",
    )
    parser.add_argument(
        "--specificity-pairs", type=int, default=500, help="class pairs sampled at most"
    )
    parser.add_argument(
        "--imagenet-x",
        default="auto",
        choices=("auto", "off"),
        help="join the imagenet-x package's annotations when installed and file names match",
    )


def run(args: argparse.Namespace) -> int:
    from fastinv.cli import progress_bars

    from .config import FactorsConfig
    from .study import run_study

    fields = {k: v for k, v in vars(args).items() if k in FactorsConfig.__dataclass_fields__}
    config = FactorsConfig(**fields)
    with progress_bars() as progress:
        run_dir, page = run_study(config, progress=progress)
    print(f"tables in {run_dir} (factors.csv, analyses.json); report: {page}")
    precision = json.loads((run_dir / "analyses.json").read_text()).get("precision")
    if precision:
        others = ", ".join(f"{k} {v:.2f}" for k, v in precision["by_statistic"].items())
        print(
            f"declared factors recovered: precision@{precision['k']} "
            f"{precision['mean_precision']:.2f} ranked by {precision['rank_by']} "
            f"(chance {precision['mean_chance']:.2f}; {others})"
        )
    return 0
