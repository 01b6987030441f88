"""Batched image kernels: B images x M transform magnitudes in one call.

``warp_affine`` and ``adjust_appearance`` are the entry points every caller uses. They dispatch
to a Triton kernel on CUDA tensors and to the pure-PyTorch twin elsewhere (``dispatch.py``).
"""

from .dispatch import adjust_appearance, warp_affine

__all__ = ["adjust_appearance", "warp_affine"]
