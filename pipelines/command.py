"""``fastinv convert``: write an ImageNet-layout folder to an FFCV ``.beton`` file."""

from __future__ import annotations

import argparse
import logging

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", help="image folder in ImageNet layout (SOURCE/CLASS/IMAGE)")
    parser.add_argument("output", help="FFCV file to write (OUTPUT.json is written beside it)")
    parser.add_argument(
        "--max-resolution",
        type=int,
        default=None,
        help="cap on the longer image side in pixels (images are never enlarged)",
    )
    parser.add_argument(
        "--jpeg-quality", type=int, default=90, help="JPEG quality of --mode jpeg, 1..100"
    )
    parser.add_argument(
        "--mode",
        choices=["raw", "jpeg"],
        default="raw",
        help="raw: pixels, fastest to read, large; jpeg: re-encoded, small, decoded each read",
    )
    parser.add_argument(
        "--skip-corrupt",
        action="store_true",
        help="leave out unreadable images (each is logged) instead of stopping",
    )
    parser.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")


def run(args: argparse.Namespace) -> int:
    from .ffcv_backend import convert
    from .loader import default_workers

    # FFCV's writer draws its own progress bar over the images.
    meta = convert(
        args.source,
        args.output,
        max_resolution=args.max_resolution,
        jpeg_quality=args.jpeg_quality,
        mode=args.mode,
        skip_corrupt=args.skip_corrupt,
        workers=args.workers or default_workers(),
    )
    log.info(
        "wrote %d images of %d classes to %s (%d skipped)",
        meta["count"],
        len(meta["classes"]),
        args.output,
        len(meta["skipped"]),
    )
    return 0
