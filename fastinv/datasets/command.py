"""``fastinv dataset``: write the built-in dataset with known factors of variation."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        default=None,
        help="folder to write (default: the cache folder that sweep/train use)",
    )
    parser.add_argument(
        "--image-size", type=int, default=64, help="side of the square images in pixels"
    )
    parser.add_argument(
        "--train-per-class", type=int, default=300, help="training images per class"
    )
    parser.add_argument("--val-per-class", type=int, default=60, help="validation images per class")
    parser.add_argument("--seed", type=int, default=0, help="seed of every image's random stream")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .factors import CLASSES
    from .generate import DatasetConfig, builtin_dataset, generate

    config = DatasetConfig(args.image_size, args.train_per_class, args.val_per_class, args.seed)
    if args.out is None:
        folder = builtin_dataset(config)
    else:
        total = (config.train_per_class + config.val_per_class) * len(CLASSES)
        with tqdm(total=total, unit="img", desc="dataset") as bar:
            folder = generate(args.out, config, progress=bar.update)
    print(folder)
    return 0
