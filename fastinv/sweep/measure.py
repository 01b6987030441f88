"""Measuring one model on one device: embeddings of the originals and of transformed batches."""

from __future__ import annotations

from collections.abc import Callable

import torch

from fastinv.models import Embedder, fold_batchnorm
from fastinv.transforms import Transform

Progress = Callable[[int], None]


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device {name!r} asked for, but no CUDA device is available; use --device cpu"
        )
    return device


def normalisation(embedder: Embedder) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The mean/std the model was built for (timm's config), ImageNet's otherwise."""
    config = getattr(embedder.model, "pretrained_cfg", None) or {}
    return tuple(config.get("mean", (0.485, 0.456, 0.406))), tuple(
        config.get("std", (0.229, 0.224, 0.225))
    )


class Measurement:
    """One model on one device: embeds originals and transformed batches."""

    def __init__(self, embedder: Embedder, device: torch.device, batch_size: int, backend: str):
        self.mean, self.std = normalisation(embedder)
        self.embedder = fold_batchnorm(embedder).to(device).to(memory_format=torch.channels_last)
        self.device, self.batch_size, self.backend = device, batch_size, backend
        # bf16 autocast on GPU is where the speed is; CPU keeps float32 for exactness.
        self.autocast = (
            torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else None
        )

    @torch.inference_mode()
    def _forward(self, batch: torch.Tensor) -> torch.Tensor:
        if self.autocast is None:
            return self.embedder(batch).float()
        with self.autocast:
            return self.embedder(batch).float()

    def embed_originals(self, images: torch.Tensor, progress: Progress | None) -> torch.Tensor:
        """Embeddings [N, D] of the untransformed uint8 images."""
        outputs = []
        mean = torch.tensor(self.mean, device=self.device).view(1, -1, 1, 1)
        std = torch.tensor(self.std, device=self.device).view(1, -1, 1, 1)
        for start in range(0, len(images), self.batch_size):
            chunk = images[start : start + self.batch_size].to(self.device, non_blocking=True)
            batch = ((chunk.float() / 255.0 - mean) / std).contiguous(
                memory_format=torch.channels_last
            )
            outputs.append(self._forward(batch).cpu())
            if progress:
                progress(len(chunk))
        return torch.cat(outputs)

    def embed_transformed(
        self,
        images: torch.Tensor,
        transform: Transform,
        magnitudes: list[float],
        progress: Progress | None,
    ) -> torch.Tensor:
        """Embeddings [N, M, D] of the images at each of the M magnitudes (one kernel call per chunk)."""
        M = len(magnitudes)
        chunk_size = max(1, self.batch_size // M)
        outputs = []
        for start in range(0, len(images), chunk_size):
            chunk = images[start : start + chunk_size].to(self.device, non_blocking=True)
            batch = transform.apply(
                chunk,
                magnitudes,
                mean=self.mean,
                std=self.std,
                channels_last=True,
                backend=self.backend,
            )
            embedding = torch.cat([self._forward(part) for part in batch.split(self.batch_size)])
            outputs.append(embedding.view(len(chunk), M, -1).cpu())
            if progress:
                progress(len(chunk) * M)
        return torch.cat(outputs)
