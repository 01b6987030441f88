"""``fastinv eval``: accuracy, per-class accuracy and test-time zoom of a training checkpoint."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", help="checkpoint.pt written by fastinv train")
    parser.add_argument(
        "--data", default=None, help="ImageNet-layout folder (its val/ split); default: built-in"
    )
    parser.add_argument(
        "--label", default=None, help="model name in the tables (default: checkpoint folder)"
    )
    parser.add_argument(
        "--zooms", default="1,1.5,2,3,4,6", help="comma-separated zoom levels s >= 1"
    )
    parser.add_argument(
        "--backend", default="torchvision", help="loader backend: torchvision, dali or ffcv"
    )
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0, help="seed of the zoom crop areas")
    parser.add_argument(
        "--out", default=None, help="output folder (default: <checkpoint folder>/eval)"
    )


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .evaluator import EvalConfig, evaluate

    try:
        zooms = [float(z) for z in args.zooms.split(",") if z.strip()]
    except ValueError:
        raise ValueError(
            f"--zooms {args.zooms!r} is not a comma-separated list of numbers"
        ) from None
    config = EvalConfig(
        args.checkpoint,
        args.data,
        args.label,
        zooms,
        args.backend,
        args.batch_size,
        args.device,
        args.workers,
        args.seed,
        args.out,
    )
    tables = evaluate(config, progress=tqdm)
    print(tables["summary"].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0
