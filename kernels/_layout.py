"""Input checks and output finishing shared by every kernel and twin: one contract for all."""

from __future__ import annotations

from collections.abc import Sequence

import torch

OUT_DTYPES = (torch.float32, torch.float16, torch.bfloat16, torch.uint8)


def check_images(images: torch.Tensor) -> None:
    if images.ndim != 4:
        raise ValueError(f"images must be [B, C, H, W], got shape {tuple(images.shape)}")
    if images.dtype != torch.uint8 and not images.is_floating_point():
        raise TypeError(f"images must be uint8 or floating point, got {images.dtype}")


def check_out_dtype(out_dtype: torch.dtype) -> None:
    if out_dtype not in OUT_DTYPES:
        raise ValueError(f"out_dtype {out_dtype} not supported; valid: {', '.join(map(str, OUT_DTYPES))}")


def channel_stats(
    values: Sequence[float] | torch.Tensor | None, channels: int, name: str, device: torch.device
) -> torch.Tensor | None:
    """mean or std as a float32 [C] tensor, or None."""
    if values is None:
        return None
    stats = torch.as_tensor(values, dtype=torch.float32, device=device).flatten()
    if stats.numel() == 1:
        stats = stats.expand(channels)
    if stats.numel() != channels:
        raise ValueError(f"{name} has {stats.numel()} values for {channels} channels")
    if name == "std" and bool((stats == 0).any()):
        raise ValueError(f"std must be non-zero, got {stats.tolist()}")
    return stats.contiguous()


def finish(
    values: torch.Tensor,
    *,
    mean: torch.Tensor | None,
    std: torch.Tensor | None,
    out_dtype: torch.dtype,
    channels_last: bool,
) -> torch.Tensor:
    """Turn float32 values on [0, 1] into the requested output.

    Float outputs are ``(values - mean) / std``; uint8 output is ``round(255 * values)`` clamped,
    and refuses normalisation since a normalised image does not fit in uint8.
    """
    if out_dtype == torch.uint8:
        if mean is not None or std is not None:
            raise ValueError("mean/std normalisation needs a floating point out_dtype, got uint8")
        out = values.mul(255.0).round_().clamp_(0, 255).to(torch.uint8)
    else:
        out = values
        if mean is not None:
            out = out - mean.view(1, -1, 1, 1)
        if std is not None:
            out = out / std.view(1, -1, 1, 1)
        out = out.to(out_dtype)
    if channels_last:
        out = out.contiguous(memory_format=torch.channels_last)
    return out


def to_unit_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] or float [0, 1] images as float32 on [0, 1]."""
    if images.dtype == torch.uint8:
        return images.float().mul_(1.0 / 255.0)
    return images.float()
