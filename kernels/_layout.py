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
        raise ValueError(
            f"out_dtype {out_dtype} not supported; valid: {', '.join(map(str, OUT_DTYPES))}"
        )


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
    """Turn float32 values on [0, 1] (a buffer the caller owns; it is overwritten) into the output.

    Float outputs are ``(values - mean) / std``; uint8 output is ``round(255 * values)`` clamped,
    and refuses normalisation since a normalised image does not fit in uint8.
    """
    if out_dtype == torch.uint8:
        if mean is not None or std is not None:
            raise ValueError("mean/std normalisation needs a floating point out_dtype, got uint8")
        out = values.mul_(255.0).round_().clamp_(0, 255)
    else:
        out = values  # the caller's own buffer: normalise in place, no extra allocation
        if mean is not None:
            out = out.sub_(mean.view(1, -1, 1, 1))
        if std is not None:
            out = out.div_(std.view(1, -1, 1, 1))
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    # One copy does both the dtype and the layout conversion.
    return out.to(dtype=out_dtype, memory_format=fmt)


def check_theta(theta, batch: int, device: torch.device) -> torch.Tensor:
    """``theta`` as float64 [1 or B, M, 2, 3] on ``device``, finite, with near-integers snapped.

    Entries within 1e-9 of an integer become that integer: matrices built with trigonometry carry
    residues like cos(90 deg) = 6e-17, and snapping them keeps 90-degree rotations exact pixel
    copies. 1e-9 of a pixel is far below any visible or measurable effect.
    """
    theta = torch.as_tensor(theta, device=device).to(torch.float64)
    if theta.ndim == 3:
        theta = theta.unsqueeze(0)
    if theta.ndim != 4 or theta.shape[-2:] != (2, 3) or theta.shape[0] not in (1, batch):
        raise ValueError(f"theta must be [M, 2, 3] or [{batch}, M, 2, 3], got {tuple(theta.shape)}")
    if not bool(torch.isfinite(theta).all()):
        raise ValueError("theta has non-finite entries (inf or nan)")
    nearest = torch.round(theta)
    return torch.where((theta - nearest).abs() < 1e-9, nearest, theta)


def check_magnitudes(magnitudes, batch: int, device: torch.device) -> torch.Tensor:
    """Appearance magnitudes as float32 [1 or B, M] on ``device``."""
    magnitudes = torch.as_tensor(magnitudes, device=device).to(torch.float32)
    if magnitudes.ndim == 1:
        magnitudes = magnitudes.unsqueeze(0)
    if magnitudes.ndim != 2 or magnitudes.shape[0] not in (1, batch):
        raise ValueError(f"magnitudes must be [M] or [{batch}, M], got {tuple(magnitudes.shape)}")
    return magnitudes


def check_out_size(out_size, images: torch.Tensor) -> tuple[int, int]:
    """``(H', W')`` from ``out_size`` or the input size, as positive ints."""
    if out_size is None:
        return int(images.shape[-2]), int(images.shape[-1])
    try:
        out_h, out_w = (int(v) for v in out_size)
    except (TypeError, ValueError):
        raise ValueError(f"out_size must be (H, W), got {out_size!r}") from None
    if out_h <= 0 or out_w <= 0:
        raise ValueError(f"out_size must be positive, got {(out_h, out_w)}")
    return out_h, out_w


def empty_output(
    n: int,
    channels: int,
    height: int,
    width: int,
    out_dtype: torch.dtype,
    channels_last: bool,
    device: torch.device,
) -> torch.Tensor:
    """Uninitialised [N, C, H, W] output in the requested memory format."""
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    return torch.empty(
        (n, channels, height, width), dtype=out_dtype, device=device, memory_format=fmt
    )


def to_unit_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] or float [0, 1] images as float32 on [0, 1]."""
    if images.dtype == torch.uint8:
        return images.float().div_(255.0)
    return images.float()


def normalisation(mean, std, channels: int, device: torch.device, out_dtype: torch.dtype):
    """(mean, std) as float32 [C] tensors for a kernel, (None, None) when neither is given.

    A kernel normalises with both, so a missing one becomes 0 (mean) or 1 (std), which leave the
    values bit for bit unchanged.
    """
    mean_t = channel_stats(mean, channels, "mean", device)
    std_t = channel_stats(std, channels, "std", device)
    if mean_t is None and std_t is None:
        return None, None
    if out_dtype == torch.uint8:
        raise ValueError("mean/std normalisation needs a floating point out_dtype, got uint8")
    if mean_t is None:
        mean_t = torch.zeros(channels, dtype=torch.float32, device=device)
    if std_t is None:
        std_t = torch.ones(channels, dtype=torch.float32, device=device)
    return mean_t, std_t
