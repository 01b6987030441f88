"""``fastinv demo``: train None / T / HC on the built-in dataset, evaluate, sweep, report."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="runs/demo", help="run folder; report at OUT/report.html")
    parser.add_argument("--epochs", type=int, default=5, help="training epochs per configuration")
    parser.add_argument(
        "--image-size", type=int, default=64, help="side of the built-in images in pixels"
    )
    parser.add_argument(
        "--samples", type=int, default=100, help="validation images in the invariance sweep"
    )
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--workers", type=int, default=2, help="loader workers")
    parser.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from fastinv.cli import progress_bars

    from .study import DemoConfig, run_demo

    config = DemoConfig(
        out=args.out,
        image_size=args.image_size,
        epochs=args.epochs,
        samples=args.samples,
        seed=args.seed,
        device=args.device,
        workers=args.workers,
    )
    with progress_bars(desc="sweep") as sweep_progress:
        result = run_demo(config, progress=tqdm, sweep_progress=sweep_progress)
    for row in result["accuracy"]:
        print(f"{row['model']:>10}: validation top-1 {row['top1']:.3f}")
    print(result["finding"]["text"])
    print(f"report: {result['report']}")
    return 0
