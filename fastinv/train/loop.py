"""The training loop: one code path for one process and for DDP under torchrun.

Per epoch: train on the augmented loader, evaluate top-1/top-5 on the validation split, then (on
rank 0) write ``checkpoint.pt``, ``metrics.csv`` and ``metrics.json`` atomically. ``resume=True``
reloads the checkpoint, including optimizer, schedule and RNG states; the loaders draw their
order and augmentation from (seed, epoch), so a resumed run repeats the uninterrupted one exactly.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

import torch
from torch import nn

from . import checkpoint as ckpt
from . import distributed
from .config import TrainConfig
from .data import resolve_data, split_source
from .metrics import append_row, write_metrics
from .recipe import build_model, build_optimizer, lr_factor, normalisation

log = logging.getLogger(__name__)


class Trainer:
    """Holds the run's state; ``fit`` trains to ``config.epochs``. See :func:`train`."""

    def __init__(self, config: TrainConfig, progress: Callable | None = None):
        from fastinv.pipelines import make_loader

        config.check_augment()
        self.config, self.progress = config, progress
        self.out = Path(config.out)
        self.context = distributed.setup(config.device)
        if self.context.is_main:  # generate the built-in dataset / convert for FFCV once, on rank 0
            root = resolve_data(config)
            for split in ("train", "val"):
                split_source(root, split, config.backend, True, self.out)
        distributed.barrier(self.context)
        self.data = resolve_data(config)
        sources = {
            split: split_source(self.data, split, config.backend, False, self.out)
            for split in ("train", "val")
        }

        common = dict(
            backend=config.backend,
            batch_size=config.batch_size,
            image_size=config.image_size,
            resize_size=config.resize_size,
            device=str(self.context.device),
            rank=self.context.rank,
            world_size=self.context.world_size,
            seed=config.seed,
            num_workers=config.workers,
            normalize=False,
        )
        self.train_loader = make_loader(
            sources["train"], train=True, augment=config.augment, drop_last=True, **common
        )
        self.val_loader = make_loader(
            sources["val"], train=False, augment="None", drop_last=False, **common
        )
        self.classes = list(self.train_loader.classes)
        if list(self.val_loader.classes) != self.classes:
            raise ValueError(
                f"val classes {list(self.val_loader.classes)[:5]}... differ from train classes "
                f"{self.classes[:5]}... in {self.data}"
            )

        torch.manual_seed(config.seed)
        self.model = build_model(config, len(self.classes)).to(self.context.device)
        self.mean, self.std = normalisation(self.model)
        # Channels-last pays on GPU tensor cores; on CPU (oneDNN) it measured slower here.
        self.channels_last = config.channels_last and self.context.device.type == "cuda"
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.optimizer = build_optimizer(config, self.model)
        steps = len(self.train_loader)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda s: lr_factor(config, s / steps)
        )
        self.criterion = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
        self.start_epoch, self.metrics = 0, []
        self._maybe_resume()

        self.network = self.model
        if self.context.distributed:
            device_ids = [self.context.device.index] if self.context.device.type == "cuda" else None
            self.network = nn.parallel.DistributedDataParallel(self.model, device_ids=device_ids)
        if config.compile:
            self.network = torch.compile(self.network)

    def _maybe_resume(self) -> None:
        path = self.out / ckpt.CHECKPOINT_NAME
        if not path.exists():
            if self.config.resume:
                log.info("resume: no checkpoint at %s yet, starting from scratch", path)
            return
        if not self.config.resume:
            raise FileExistsError(
                f"{path} exists: pass --resume to continue it, or choose another --out"
            )
        state = ckpt.load(path)
        saved = TrainConfig(**state["config"]).science()
        changed = sorted(k for k, v in self.config.science().items() if saved.get(k) != v)
        if changed:
            raise ValueError(
                f"cannot resume {path}: option(s) {changed} differ from the saved run "
                f"({', '.join(f'{k}={saved.get(k)!r}' for k in changed)})"
            )
        self.model.load_state_dict(state["state_dict"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        ckpt.set_rng_state(state["rng"])
        self.start_epoch, self.metrics = state["epoch"] + 1, list(state["metrics"])
        log.info("resumed %s after epoch %d", path, state["epoch"])

    def _prepare(
        self, images: torch.Tensor, labels: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        device = self.context.device
        images = images.to(device, non_blocking=True)
        if images.dtype == torch.uint8:
            mean = torch.tensor(self.mean, device=device).view(1, -1, 1, 1) * 255.0
            std = torch.tensor(self.std, device=device).view(1, -1, 1, 1) * 255.0
            images = (images.float() - mean) / std
        if self.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        return images, labels.to(device, non_blocking=True).long()

    def _autocast(self):
        if self.config.amp and self.context.device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return nullcontext()

    def _bar(self, total: int, desc: str):
        if self.progress is None or not self.context.is_main:
            return None
        return self.progress(total=total, desc=desc, leave=False)

    def train_epoch(self, epoch: int) -> dict:
        self.network.train()
        self.train_loader.set_epoch(epoch)
        totals = torch.zeros(3, dtype=torch.float64)  # loss sum, correct, count
        bar, start = (
            self._bar(len(self.train_loader), f"epoch {epoch + 1}/{self.config.epochs}"),
            time.perf_counter(),
        )
        for images, labels in self.train_loader:
            images, labels = self._prepare(images, labels)
            with self._autocast():
                logits = self.network(images)
                loss = self.criterion(logits.float(), labels)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.scheduler.step()
            count = labels.numel()
            totals += torch.tensor(
                [loss.item() * count, (logits.argmax(1) == labels).sum().item(), count],
                dtype=torch.float64,
            )
            if bar is not None:
                bar.update(1)
                bar.set_postfix(
                    loss=f"{totals[0] / totals[2]:.3f}", acc=f"{totals[1] / totals[2]:.3f}"
                )
        if bar is not None:
            bar.close()
        seconds = time.perf_counter() - start
        totals = distributed.all_reduce_sum(totals.to(self.context.device), self.context).cpu()
        return {
            "train_loss": float(totals[0] / totals[2]),
            "train_top1": float(totals[1] / totals[2]),
            "train_images": int(totals[2]),
            "epoch_seconds": seconds,
            "images_per_second": float(totals[2]) / seconds,
        }

    @torch.no_grad()
    def validate(self) -> dict:
        self.network.eval()
        topk = min(5, len(self.classes))
        totals = torch.zeros(4, dtype=torch.float64)  # loss sum, top-1, top-k, count
        for images, labels in self.val_loader:
            images, labels = self._prepare(images, labels)
            with self._autocast():
                logits = self.network(images).float()
            top = logits.topk(topk, dim=1).indices
            totals += torch.tensor(
                [
                    nn.functional.cross_entropy(logits, labels, reduction="sum").item(),
                    (top[:, 0] == labels).sum().item(),
                    (top == labels[:, None]).any(1).sum().item(),
                    labels.numel(),
                ],
                dtype=torch.float64,
            )
        totals = distributed.all_reduce_sum(totals.to(self.context.device), self.context).cpu()
        return {
            "val_loss": float(totals[0] / totals[3]),
            "val_top1": float(totals[1] / totals[3]),
            f"val_top{topk}": float(totals[2] / totals[3]),
            "val_images": int(totals[3]),
        }

    def save(self, epoch: int) -> None:
        if not self.context.is_main:
            return
        payload = {
            "arch": self.config.arch,
            "num_classes": len(self.classes),
            "model_kwargs": dict(self.config.model_kwargs),
            "state_dict": ckpt.clean_state_dict(self.model),
            "classes": self.classes,
            "mean": self.mean,
            "std": self.std,
            "image_size": self.config.image_size,
            "resize_size": self.config.resize_size,
            "epoch": epoch,
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "rng": ckpt.rng_state(),
            "config": self.config.to_dict(),
            "metrics": self.metrics,
        }
        ckpt.save_atomic(payload, self.out / ckpt.CHECKPOINT_NAME)
        write_metrics(self.out, self.metrics, self.config)

    def fit(self, on_epoch_end: Callable[[int, dict], None] | None = None) -> dict:
        for epoch in range(self.start_epoch, self.config.epochs):
            row = {"epoch": epoch, "lr": self.optimizer.param_groups[0]["lr"]}
            row.update(self.train_epoch(epoch))
            row.update(self.validate())
            self.metrics = append_row(self.metrics, row)
            log.info(
                "epoch %d: train loss %.3f top-1 %.3f, val top-1 %.3f (%.0f img/s)",
                epoch,
                row["train_loss"],
                row["train_top1"],
                row["val_top1"],
                row["images_per_second"],
            )
            self.save(epoch)
            distributed.barrier(self.context)
            if on_epoch_end is not None:
                on_epoch_end(epoch, row)
        return self.summary()

    def summary(self) -> dict:
        # Each rank's parameter checksum: DDP ranks must hold identical weights after every step.
        checksum = float(
            sum(
                p.detach().double().sum() + p.detach().double().abs().sum()
                for p in self.model.parameters()
            )
        )
        checksums = distributed.all_gather_floats(checksum, self.context)
        result = {
            "checkpoint": str(self.out / ckpt.CHECKPOINT_NAME),
            "world_size": self.context.world_size,
            "parameter_checksums": checksums,
            "final": self.metrics[-1] if self.metrics else {},
            "epochs": len(self.metrics),
            "classes": self.classes,
            "data": str(self.data),
        }
        if self.context.is_main:
            write_metrics(self.out, self.metrics, self.config, summary=result)
        return result


def train(
    config: TrainConfig,
    progress: Callable | None = None,
    on_epoch_end: Callable[[int, dict], None] | None = None,
) -> dict:
    """Train ``config``; returns the summary (final metrics, checkpoint path, rank checksums).

    ``progress`` is a tqdm-like factory for per-epoch bars (the CLI passes ``tqdm.tqdm``);
    ``on_epoch_end(epoch, row)`` runs after each saved epoch (raise in it to stop early).
    """
    trainer = Trainer(config, progress)
    try:
        return trainer.fit(on_epoch_end)
    finally:
        distributed.teardown(trainer.context)
