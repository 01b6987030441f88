"""``fastinv sweep``: measure how far models' embeddings move under transformation grids."""

from __future__ import annotations

import argparse

EPILOG = """examples:
  fastinv sweep --out runs/default                       # built-in data, resnet18, paper grids
  fastinv sweep --data DIR --model resnet18 --transforms paper --samples 64 --out RUN
  fastinv sweep --data DIR --model untrained=resnet18 --model trained=resnet18@ckpt.pth \\
                --transforms rotate,translateX --magnitudes 50 --out RUN
Killed or interrupted? Rerun the same command: finished (model, transform) cells are kept."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--config", help="YAML file of sweep options (command-line flags override it)"
    )
    parser.add_argument(
        "--data",
        help="image folder, ImageNet layout or flat "
        "(default: the built-in dataset's validation images)",
    )
    parser.add_argument(
        "--model",
        dest="models",
        action="append",
        help="[label=]arch[@checkpoint]: timm name, tv:NAME for torchvision, or a checkpoint "
        "file; repeat for several models (default: resnet18)",
    )
    parser.add_argument(
        "--transforms",
        help="preset (paper, geometric, appearance) or comma-separated names "
        "(default: paper); see `fastinv transforms`",
    )
    parser.add_argument(
        "--magnitudes",
        help="'paper' (the study's grids), a count N for dense grids from the "
        "identity to the extreme, or values 'a,b,c' for one transform",
    )
    parser.add_argument("--samples", type=int, help="number of images measured (default: 64)")
    parser.add_argument(
        "--seed", type=int, help="seed of the image choice and baseline partners (default: 0)"
    )
    parser.add_argument(
        "--image-size",
        type=int,
        help="centre-crop size in px (default: 224; the built-in data's 64 without --data)",
    )
    parser.add_argument(
        "--resize-size", type=int, help="short side before cropping (default: 256/224 x crop)"
    )
    parser.add_argument(
        "--pretrained",
        action="store_true",
        default=None,
        help="load published timm/torchvision weights (needs the hub reachable)",
    )
    parser.add_argument("--batch-size", type=int, help="images per forward pass (default: 64)")
    parser.add_argument("--device", help="cpu, cuda, cuda:N or auto (default: cpu)")
    parser.add_argument("--workers", type=int, help="image decoding threads (default: 4)")
    parser.add_argument("--out", help="run directory (default: runs/sweep)")
    parser.add_argument(
        "--save-embeddings",
        action="store_true",
        default=None,
        help="keep all embeddings so any score can be recomputed",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        default=None,
        help="stop at the first unreadable image instead of skipping it",
    )
    parser.add_argument(
        "--kernel-backend",
        choices=("auto", "triton", "torch"),
        help="force the Triton kernels or their PyTorch twins (default: auto by device)",
    )


def config_from_args(args: argparse.Namespace):
    from .config import SweepConfig

    overrides = {
        "data": args.data,
        "models": args.models,
        "transforms": args.transforms,
        "magnitudes": args.magnitudes,
        "samples": args.samples,
        "seed": args.seed,
        "image_size": args.image_size,
        "resize_size": args.resize_size,
        "pretrained": args.pretrained,
        "batch_size": args.batch_size,
        "device": args.device,
        "workers": args.workers,
        "out": args.out,
        "save_embeddings": args.save_embeddings,
        "strict": args.strict,
        "kernel_backend": args.kernel_backend,
    }
    if args.config:
        return SweepConfig.from_yaml(args.config, **overrides)
    return SweepConfig(**{k: v for k, v in overrides.items() if v is not None})


def run(args: argparse.Namespace) -> int:
    from fastinv.cli import progress_bars

    from .engine import run_sweep

    config = config_from_args(args)
    with progress_bars() as progress:
        root = run_sweep(config, progress=progress)
    print(f"results in {root} (scores.parquet, summary.csv); draw them with: fastinv report {root}")
    return 0
