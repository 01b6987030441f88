"""Embedding pairs and their candidate transformations; the change in cosine similarity.

``delta = cos(f(x1), f(T x2)) - cos(f(x1), f(x2))`` for every pair and candidate of one class,
with all magnitudes of a transformation in one kernel call per chunk of pairs.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from fastinv.models import Embedder
from fastinv.sweep.measure import normalisation

from .candidates import Candidate, candidate_signs

Progress = Callable[[int], None]


class PairEmbedder:
    """One model on one device: embeds uint8 images, and candidate-transformed images."""

    def __init__(self, embedder: Embedder, device: torch.device, batch_size: int, backend: str):
        self.embedder = embedder.to(device).to(memory_format=torch.channels_last).eval()
        self.device, self.batch_size, self.backend = device, batch_size, backend
        self.mean, self.std = normalisation(embedder)
        # bf16 autocast on GPU is where the speed is; CPU keeps float32 for exactness.
        self.autocast = device.type == "cuda"
        head = getattr(embedder.model, "get_classifier", None) if embedder.kind == "timm" else None
        self.classifier = head() if head is not None else None

    @torch.inference_mode()
    def forward(self, batch: torch.Tensor) -> torch.Tensor:
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.autocast):
            return self.embedder(batch).float()

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        mean = torch.tensor(self.mean, device=self.device).view(1, -1, 1, 1)
        std = torch.tensor(self.std, device=self.device).view(1, -1, 1, 1)
        out = []
        for chunk in images.split(self.batch_size):
            chunk = chunk.to(self.device, non_blocking=True).float().div_(255.0)
            out.append(
                self.forward(((chunk - mean) / std).contiguous(memory_format=torch.channels_last))
            )
        return torch.cat(out)

    @torch.inference_mode()
    def predict(self, embeddings: torch.Tensor) -> np.ndarray | None:
        if not isinstance(self.classifier, torch.nn.Linear):  # no head (num_classes=0, torchvision)
            return None
        return self.classifier(embeddings.to(self.device)).argmax(1).cpu().numpy()

    def embed_transformed(
        self,
        images: torch.Tensor,
        candidates: list[Candidate],
        signs: np.ndarray | None,
        progress: Progress | None,
    ) -> torch.Tensor:
        """Embeddings [N, M, D] of ``images`` under the M candidates of one transform."""
        transform = candidates[0].transform
        magnitudes = [c.magnitude for c in candidates]
        M = len(magnitudes)
        chunk_size = max(1, self.batch_size // M)
        out = []
        for start in range(0, len(images), chunk_size):
            chunk = images[start : start + chunk_size].to(self.device, non_blocking=True)
            options = {
                "mean": self.mean,
                "std": self.std,
                "channels_last": True,
                "backend": self.backend,
            }
            if signs is not None:
                options["signs"] = torch.from_numpy(signs[start : start + chunk_size])
            batch = transform.apply(chunk, magnitudes, **options)
            embedding = torch.cat([self.forward(part) for part in batch.split(self.batch_size)])
            out.append(embedding.view(len(chunk), M, -1))
            if progress:
                progress(len(chunk) * M)
        return torch.cat(out)


def cosine(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    a, b = a.double(), b.double()
    return (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1)).clamp_min(1e-300)


def _families(candidates: list[Candidate]) -> dict[str, list[Candidate]]:
    families: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        families.setdefault(candidate.transform.name, []).append(candidate)
    return families


def _to_compute(members: list[Candidate]) -> list[Candidate]:
    """The candidates of one transform that need images: not the identity, one per magnitude, and
    one in all for a magnitude-less operation (the same image at every index)."""
    transform = members[0].transform
    moving = [c for c in members if not transform.is_identity(c.magnitude)]
    if getattr(transform, "ignores_magnitude", False):
        return moving[:1]
    return list({c.magnitude: c for c in moving}.values())


def transformed_per_pair(candidates: list[Candidate]) -> int:
    """How many transformed images :func:`class_deltas` embeds per pair (for progress totals)."""
    return sum(len(_to_compute(members)) for members in _families(candidates).values())


def class_deltas(
    measure: PairEmbedder,
    z1: torch.Tensor,
    z2: torch.Tensor,
    x2: torch.Tensor,
    candidates: list[Candidate],
    class_name: str,
    seed: int,
    progress: Progress | None,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """candidate name -> (cos [P], sign [P]) for one class's pairs."""
    P = len(x2)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    cos0 = cosine(z1, z2).cpu().numpy()
    for name, members in _families(candidates).items():
        transform = members[0].transform
        moving = [c for c in members if not transform.is_identity(c.magnitude)]
        for c in members:
            if c not in moving:
                out[c.name] = (cos0, np.ones(P, dtype=np.int8))
        ignores = getattr(transform, "ignores_magnitude", False)
        computed = _to_compute(members)
        if not computed:
            continue
        signs = (
            candidate_signs(P, seed, class_name, name, len(computed)) if members[0].signed else None
        )
        embedded = measure.embed_transformed(x2, computed, signs, progress)
        by_magnitude = {}
        for column, c in enumerate(computed):
            sign = (
                signs[:, column].astype(np.int8) if signs is not None else np.ones(P, dtype=np.int8)
            )
            by_magnitude[c.magnitude] = (cosine(z1, embedded[:, column]).cpu().numpy(), sign)
        for c in moving:
            out[c.name] = by_magnitude[computed[0].magnitude if ignores else c.magnitude]
    return out
