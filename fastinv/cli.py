"""The ``fastinv`` command line: one sub-command per module, each with ``add_arguments`` and ``run``.

Command modules import their heavy dependencies (torch, timm, DALI, FFCV) inside ``run`` so that
``fastinv --help`` stays fast and a missing optional dependency only affects the command needing it.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

# name -> (module, one-line help). Each module defines add_arguments(parser) and run(args) -> int.
COMMANDS: dict[str, tuple[str, str]] = {
    "sweep": ("fastinv.sweep.command", "measure invariance of models over transformation grids"),
    "report": ("fastinv.report.command", "draw figures and an HTML page from a run directory"),
    "transforms": (
        "fastinv.transforms.command",
        "list the transform registry with units and grids",
    ),
    "dataset": (
        "fastinv.datasets.command",
        "write the built-in dataset with known factors of variation",
    ),
    "convert": (
        "fastinv.pipelines.command",
        "write an image folder to an FFCV .beton file for the ffcv loader",
    ),
    "factors": (
        "fastinv.factors.command",
        "per-class factors of variation, alignment with invariance, ImageNet-X",
    ),
    "train": (
        "fastinv.train.command",
        "train a timm model under an augmentation configuration (DDP via torchrun)",
    ),
    "eval": (
        "fastinv.evaluate.command",
        "accuracy, per-class accuracy and test-time zoom of a checkpoint",
    ),
    "demo": (
        "fastinv.demo.command",
        "train None/T/HC on the built-in dataset, measure invariance, one report",
    ),
}


def setup_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity < 0 else logging.INFO if verbosity == 0 else logging.DEBUG
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S"
    )


@contextmanager
def progress_bars(desc: str = "embedding", unit: str = "img") -> Iterator:
    """A ``progress(total, initial) -> update`` factory for the library's long loops; every bar it
    opened is closed on exit, also when the work is interrupted."""
    from tqdm import tqdm

    bars = []

    def progress(total: int, initial: int = 0):
        bar = tqdm(total=total, initial=initial, unit=unit, desc=desc, dynamic_ncols=True)
        bars.append(bar)
        return bar.update

    try:
        yield progress
    finally:
        for bar in bars:
            bar.close()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fastinv",
        description="Fast invariance studies of image classifiers (see README.md).",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        sub = subparsers.add_parser(
            name,
            help=help_text,
            description=help_text,
            formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        )
        sub.set_defaults(_module=module_name)
        importlib.import_module(module_name).add_arguments(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(-1 if args.quiet else args.verbose)
    module = importlib.import_module(args._module)
    try:
        return int(module.run(args) or 0)
    except (ValueError, FileNotFoundError, NotImplementedError) as error:
        logging.getLogger("fastinv").debug("command failed", exc_info=True)
        print(f"fastinv {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"fastinv {args.command}: interrupted; finished cells are saved, rerun to resume",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
