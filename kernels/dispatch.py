"""Choose the implementation for each call: Triton on CUDA, the PyTorch twin elsewhere.

``backend="auto"`` (default) picks by device; ``"triton"`` or ``"torch"`` force one. The
environment variable ``FASTINV_KERNEL_BACKEND`` sets the default for a whole process. Triton is
imported only when a Triton kernel is picked, so machines without it run the twins; ``"auto"`` on
CUDA without triton falls back to the twin with a warning, a forced ``"triton"`` raises.
``"triton"`` on CPU tensors runs under Triton's interpreter (``TRITON_INTERPRET=1``), which is how
the tests compare the kernels with their twins.
"""

from __future__ import annotations

import importlib.util
import logging
import os

import torch

from .appearance_ops import APPEARANCE_OPS
from .appearance_twin import adjust_appearance_twin
from .warp_twin import warp_affine_twin

log = logging.getLogger(__name__)

BACKENDS = ("auto", "triton", "torch")
_warned_no_triton = False


def triton_available() -> bool:
    return importlib.util.find_spec("triton") is not None


def resolve_backend(images: torch.Tensor, backend: str | None) -> str:
    """``"triton"`` or ``"torch"`` for this call."""
    global _warned_no_triton
    backend = backend or os.environ.get("FASTINV_KERNEL_BACKEND", "auto")
    if backend not in BACKENDS:
        raise ValueError(f"kernel backend {backend!r} unknown; valid: {', '.join(BACKENDS)}")
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"images must be a torch.Tensor, got {type(images).__name__}")
    if backend == "auto":
        if not images.is_cuda:
            return "torch"
        if triton_available():
            return "triton"
        if not _warned_no_triton:
            log.warning("triton is not installed: CUDA tensors go through the slower PyTorch twins")
            _warned_no_triton = True
        return "torch"
    if backend == "triton" and not triton_available():
        raise ImportError("kernel backend 'triton' asked for, but triton is not installed")
    return backend


def warp_affine(images, theta, out_size=None, *, backend: str | None = None, **options):
    """Warp B images by M matrices; see ``warp_twin.warp_affine_twin`` for the contract."""
    if resolve_backend(images, backend) == "triton":
        from .warp_triton import warp_affine_triton

        return warp_affine_triton(images, theta, out_size, **options)
    return warp_affine_twin(images, theta, out_size, **options)


def adjust_appearance(images, op, magnitudes, *, backend: str | None = None, **options):
    """Point-wise op at M magnitudes; see ``appearance_twin.adjust_appearance_twin``."""
    spec = APPEARANCE_OPS.get(op)
    if resolve_backend(images, backend) == "triton" and (spec is None or spec.triton):
        from .appearance_triton import adjust_appearance_triton

        return adjust_appearance_triton(images, op, magnitudes, **options)
    return adjust_appearance_twin(images, op, magnitudes, **options)
