"""``fastinv train``: train a timm model under one augmentation configuration (DDP via torchrun).

Examples::

    fastinv train --augment T --epochs 6 --out runs/train-T          # built-in dataset, CPU
    torchrun --nproc_per_node 8 -m fastinv.cli train --data /imagenet --arch resnet18 \\
        --image-size 224 --batch-size 256 --device cuda --backend dali --augment HC --out runs/hc
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os


def _defaults():
    from .config import TrainConfig

    return {
        f.name: f.default
        for f in dataclasses.fields(TrainConfig)
        if f.default is not dataclasses.MISSING
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    d = _defaults()
    parser.add_argument(
        "--config", default=None, help="YAML file of options (the command line overrides it)"
    )
    parser.add_argument(
        "--data",
        default=None,
        help="ImageNet-layout folder with train/ and val/ (default: built-in)",
    )
    parser.add_argument(
        "--out", default=d["out"], help="run folder: checkpoint.pt, metrics.csv/json, config.yaml"
    )
    parser.add_argument("--arch", default=d["arch"], help="timm architecture name")
    parser.add_argument(
        "--model-kwargs", default="{}", help="JSON dict of extra timm.create_model arguments"
    )
    parser.add_argument(
        "--backend", default=d["backend"], help="loader backend: torchvision, dali or ffcv"
    )
    parser.add_argument(
        "--augment", default=d["augment"], help="augmentation: None, H, C, HC, CC, T, TS..."
    )
    parser.add_argument(
        "--image-size", type=int, default=d["image_size"], help="training crop side in pixels"
    )
    parser.add_argument(
        "--resize-size", type=int, default=None, help="validation resize side (default 256/224 x)"
    )
    parser.add_argument("--epochs", type=int, default=d["epochs"])
    parser.add_argument("--batch-size", type=int, default=d["batch_size"], help="per process")
    parser.add_argument("--optimizer", default=d["optimizer"], help="sgd (momentum) or adamw")
    parser.add_argument("--lr", type=float, default=d["lr"])
    parser.add_argument("--momentum", type=float, default=d["momentum"])
    parser.add_argument("--weight-decay", type=float, default=d["weight_decay"])
    parser.add_argument("--schedule", default=d["schedule"], help="cosine, step or constant")
    parser.add_argument(
        "--step-epochs", type=int, default=d["step_epochs"], help="step schedule period"
    )
    parser.add_argument("--gamma", type=float, default=d["gamma"], help="step schedule factor")
    parser.add_argument("--warmup-epochs", type=int, default=d["warmup_epochs"])
    parser.add_argument("--label-smoothing", type=float, default=d["label_smoothing"])
    parser.add_argument("--seed", type=int, default=d["seed"])
    parser.add_argument(
        "--device", default=d["device"], help="cpu or cuda (DDP: one process per GPU)"
    )
    parser.add_argument(
        "--workers", type=int, default=d["workers"], help="loader workers per process"
    )
    parser.add_argument(
        "--no-amp", dest="amp", action="store_false", help="no bf16 autocast on GPU"
    )
    parser.add_argument("--no-channels-last", dest="channels_last", action="store_false")
    parser.add_argument("--compile", action="store_true", help="torch.compile the model")
    parser.add_argument(
        "--resume", action="store_true", help="continue the checkpoint in --out exactly"
    )


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .config import TrainConfig
    from .loop import train

    try:
        model_kwargs = json.loads(args.model_kwargs)
    except json.JSONDecodeError as error:
        raise ValueError(f"--model-kwargs {args.model_kwargs!r} is not JSON: {error}") from None
    given = {k: v for k, v in vars(args).items() if k in _defaults() or k == "resize_size"}
    given.update(model_kwargs=model_kwargs, progress=True)
    if args.config:
        parser_defaults = _defaults()
        # Only options set on the command line (different from the default) override the YAML file.
        overrides = {
            k: v for k, v in given.items() if v != parser_defaults.get(k, None) or k == "progress"
        }
        config = TrainConfig.from_yaml(args.config, **overrides)
    else:
        config = TrainConfig(**given)
    summary = train(config, progress=tqdm)
    final = summary["final"]
    if summary["world_size"] == 1 or int(os.environ.get("RANK", "0")) == 0:
        top5 = next(
            (v for k, v in final.items() if k.startswith("val_top") and k != "val_top1"),
            float("nan"),
        )
        print(
            f"{config.out}: val top-1 {final.get('val_top1', float('nan')):.3f}, top-5 {top5:.3f} "
            f"after {summary['epochs']} epochs -> {summary['checkpoint']}"
        )
    return 0
