"""What a training configuration builds: the timm model, its normalisation, the optimiser and
the learning-rate schedule (a multiplier stepped every batch)."""

from __future__ import annotations

import math

import torch
from torch import nn

from . import checkpoint as ckpt
from .config import TrainConfig


def build_model(config: TrainConfig, num_classes: int) -> nn.Module:
    import timm

    if not timm.is_model(config.arch):
        close = timm.list_models(f"*{config.arch}*")[:10]
        raise ValueError(
            f"unknown timm architecture {config.arch!r}; similar: {', '.join(close) or 'none'}"
        )
    return timm.create_model(
        config.arch, num_classes=num_classes, pretrained=False, **config.model_kwargs
    )


def normalisation(model: nn.Module) -> tuple[list[float], list[float]]:
    """The mean/std of the model's timm config, the same ones the sweep engine normalises with."""
    cfg = getattr(ckpt.unwrap(model), "pretrained_cfg", None) or {}
    return list(cfg.get("mean", (0.485, 0.456, 0.406))), list(cfg.get("std", (0.229, 0.224, 0.225)))


def build_optimizer(config: TrainConfig, model: nn.Module) -> torch.optim.Optimizer:
    # No weight decay on norms and biases, as in timm's and most ImageNet recipes.
    decay = [p for p in model.parameters() if p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    if config.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=config.lr, momentum=config.momentum, nesterov=False)
    return torch.optim.AdamW(groups, lr=config.lr)


def lr_factor(config: TrainConfig, epoch_progress: float) -> float:
    """Learning-rate multiplier at a fractional epoch (stepped every batch)."""
    if config.warmup_epochs and epoch_progress < config.warmup_epochs:
        return 0.1 + 0.9 * epoch_progress / config.warmup_epochs
    if config.schedule == "step":
        return config.gamma ** int(epoch_progress // config.step_epochs)
    if config.schedule == "cosine":
        span = max(config.epochs - config.warmup_epochs, 1e-8)
        return 0.5 * (
            1.0 + math.cos(math.pi * min((epoch_progress - config.warmup_epochs) / span, 1.0))
        )
    return 1.0
