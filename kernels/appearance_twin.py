"""Batched point-wise appearance operations in plain PyTorch: the reference twin of the Triton
appearance kernel.

Every operation works on images on [0, 1] (uint8 input is divided by 255 first) and matches the
torchvision v2 functional op of the same meaning on float images, except ``posterize``, which
keeps ``bits`` of the 8-bit value as torchvision does for uint8 images.

| op | magnitude | torchvision reference |
|---|---|---|
| brightness | factor >= 0, 1 = identity | ``adjust_brightness`` |
| contrast | factor >= 0, 1 = identity (blend with the mean grey level) | ``adjust_contrast`` |
| posterize | bits kept, 0..8, 8 = identity | ``posterize`` on uint8 |
| solarize | threshold on [0, 1]; pixels ``>= threshold`` inverted | ``solarize`` |
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from ._layout import channel_stats, check_images, check_out_dtype, finish, to_unit_float

# ITU-R 601-2 luma, as torchvision's rgb_to_grayscale.
LUMA = (0.2989, 0.587, 0.114)


def _grey(x: torch.Tensor) -> torch.Tensor:
    if x.shape[1] == 1:
        return x
    r, g, b = x.unbind(1)
    return (LUMA[0] * r + LUMA[1] * g + LUMA[2] * b).unsqueeze(1)


def _brightness(x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    return (x * factor).clamp_(0.0, 1.0)


def _contrast(x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    grey_mean = _grey(x).mean(dim=(1, 2, 3), keepdim=True)
    return (factor * x + (1.0 - factor) * grey_mean).clamp_(0.0, 1.0)


def _posterize(x: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
    level = torch.round(x * 255.0)
    step = torch.exp2(8.0 - bits)  # keeping `bits` high bits = flooring to multiples of 2^(8-bits)
    return torch.floor(level / step) * step / 255.0


def _solarize(x: torch.Tensor, threshold: torch.Tensor) -> torch.Tensor:
    return torch.where(x >= threshold, 1.0 - x, x)


OPS: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "brightness": _brightness,
    "contrast": _contrast,
    "posterize": _posterize,
    "solarize": _solarize,
}


def adjust_appearance_twin(
    images: torch.Tensor,
    op: str,
    magnitudes: torch.Tensor | Sequence[float],
    *,
    mean: Sequence[float] | None = None,
    std: Sequence[float] | None = None,
    out_dtype: torch.dtype = torch.float32,
    channels_last: bool = False,
) -> torch.Tensor:
    """Apply ``op`` to ``images`` [B, C, H, W] at ``magnitudes`` [M] (shared by the batch) or
    [B, M] (per sample). Returns [B * M, C, H, W]; ``kernels._layout.finish`` gives dtype rules.
    """
    check_images(images)
    check_out_dtype(out_dtype)
    if op not in OPS:
        raise ValueError(f"appearance op {op!r} unknown; valid: {', '.join(OPS)}")
    B, C, H, W = images.shape
    magnitudes = torch.as_tensor(magnitudes, dtype=torch.float32, device=images.device)
    if magnitudes.ndim == 1:
        magnitudes = magnitudes.unsqueeze(0)
    if magnitudes.ndim != 2 or magnitudes.shape[0] not in (1, B):
        raise ValueError(f"magnitudes must be [M] or [{B}, M], got {tuple(magnitudes.shape)}")
    M = magnitudes.shape[1]
    x = to_unit_float(images)
    values = torch.empty(B, M, C, H, W, dtype=torch.float32, device=images.device)
    for m in range(M):
        values[:, m] = OPS[op](x, magnitudes[:, m].view(-1, 1, 1, 1))
    return finish(
        values.view(B * M, C, H, W),
        mean=channel_stats(mean, C, "mean", images.device),
        std=channel_stats(std, C, "std", images.device),
        out_dtype=out_dtype,
        channels_last=channels_last,
    )
