"""Choose the implementation for each call: Triton on CUDA, the PyTorch twin elsewhere.

``backend="auto"`` (default) picks by device; ``"triton"`` or ``"torch"`` force one. The
environment variable ``FASTINV_KERNEL_BACKEND`` sets the default for a whole process.
"""

from __future__ import annotations

import os

import torch

from .appearance_twin import adjust_appearance_twin
from .warp_twin import warp_affine_twin

BACKENDS = ("auto", "triton", "torch")


def resolve_backend(images: torch.Tensor, backend: str | None) -> str:
    backend = backend or os.environ.get("FASTINV_KERNEL_BACKEND", "auto")
    if backend not in BACKENDS:
        raise ValueError(f"kernel backend {backend!r} unknown; valid: {', '.join(BACKENDS)}")
    if backend == "auto":
        return "triton" if images.is_cuda else "torch"
    return backend


def warp_affine(images, theta, out_size=None, *, backend: str | None = None, **options):
    """Warp B images by M matrices; see ``warp_twin.warp_affine_twin`` for the contract."""
    if resolve_backend(images, backend) == "triton":
        # FIXME: the Triton warp kernel lands with the kernels issue; until then the twin runs.
        pass
    return warp_affine_twin(images, theta, out_size, **options)


def adjust_appearance(images, op, magnitudes, *, backend: str | None = None, **options):
    """Point-wise op at M magnitudes; see ``appearance_twin.adjust_appearance_twin``."""
    if resolve_backend(images, backend) == "triton":
        # FIXME: the Triton appearance kernel lands with the kernels issue; until then the twin runs.
        pass
    return adjust_appearance_twin(images, op, magnitudes, **options)
