"""``fastinv report RUN_DIR``: figures, summary table and one HTML page from a run's tables."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", help="a sweep run directory (holding scores.parquet)")
    parser.add_argument(
        "--reference",
        help="model label that invariance gaps are taken against (default: the first model)",
    )
    parser.add_argument(
        "--distance", choices=("cos", "l2"), default="cos", help="distance of the score"
    )


def run(args: argparse.Namespace) -> int:
    from .html import build_report

    path = build_report(args.run_dir, reference=args.reference, distance=args.distance)
    print(f"report: {path}")
    return 0
