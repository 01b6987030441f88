"""Batched point-wise appearance operations in plain PyTorch: the reference twin of the Triton
appearance kernel.

Every operation works on images on [0, 1] (uint8 input is divided by 255 first) and matches the
torchvision v2 functional op of the same meaning on float images, except ``posterize``, which
keeps ``bits`` of the 8-bit value as torchvision does for uint8 images. The op table (codes, ranges)
is ``appearance_ops.APPEARANCE_OPS``.

| op | magnitude | torchvision reference |
|---|---|---|
| brightness | factor >= 0, 1 = identity | ``adjust_brightness`` |
| contrast | factor >= 0, 1 = identity (blend with the image's mean grey level) | ``adjust_contrast`` |
| saturation | factor >= 0, 1 = identity (blend with each pixel's grey level) | ``adjust_saturation`` |
| hue | shift on [-0.5, 0.5] turns of the colour wheel, 0 = identity | ``adjust_hue`` |
| posterize | bits kept, 0..8, 8 = identity | ``posterize`` on uint8 |
| solarize | threshold on [0, 1]; pixels ``>= threshold`` inverted | ``solarize`` |
| invert | ignored | ``invert`` |
| sharpness | factor >= 0, 1 = identity (blend with a 3x3 smoothed image, border kept) | ``adjust_sharpness`` |
| autocontrast | ignored (stretch each channel's min..max to 0..1) | ``autocontrast`` |
| equalize | ignored (per-channel histogram equalisation of the 8-bit levels, PIL's lookup table) | ``equalize`` |
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from ._layout import (
    channel_stats,
    check_images,
    check_magnitudes,
    check_out_dtype,
    finish,
    to_unit_float,
)
from .appearance_ops import STAT_GREY_MEAN, STATS_COLUMNS, resolve_op

# ITU-R 601-2 luma, as torchvision's rgb_to_grayscale.
LUMA = (0.2989, 0.587, 0.114)


def _grey(x: torch.Tensor) -> torch.Tensor:
    if x.shape[1] == 1:
        return x
    r, g, b = x.unbind(1)
    return (LUMA[0] * r + LUMA[1] * g + LUMA[2] * b).unsqueeze(1)


def image_stats(x: torch.Tensor) -> torch.Tensor:
    """Per-image statistics [B, STATS_COLUMNS] of images on [0, 1] (see ``appearance_ops``)."""
    stats = torch.empty(x.shape[0], STATS_COLUMNS, dtype=torch.float32, device=x.device)
    stats[:, STAT_GREY_MEAN] = _grey(x).mean(dim=(1, 2, 3))
    return stats


def _brightness(x, factor, stats):
    return (x * factor).clamp_(0.0, 1.0)


def _contrast(x, factor, stats):
    grey_mean = stats[:, STAT_GREY_MEAN].view(-1, 1, 1, 1)
    return (factor * x + (1.0 - factor) * grey_mean).clamp_(0.0, 1.0)


def _saturation(x, factor, stats):
    if x.shape[1] == 1:  # a grey image has no saturation to change (torchvision agrees)
        return x.clone()
    return (factor * x + (1.0 - factor) * _grey(x)).clamp_(0.0, 1.0)


def _posterize(x, bits, stats):
    level = torch.round(x * 255.0)
    step = torch.exp2(8.0 - bits)  # keeping `bits` high bits = flooring to multiples of 2^(8-bits)
    return torch.floor(level / step) * step / 255.0


def _solarize(x, threshold, stats):
    return torch.where(x >= threshold, 1.0 - x, x)


def _hue(x, shift, stats):
    """Rotate hue by ``shift`` turns through HSV, step for step as torchvision's float path."""
    if x.shape[1] == 1:
        return x.clone()
    r, g, b = x.unbind(1)
    low, high = torch.aminmax(x, dim=1)
    flat = high == low
    spread = high - low
    saturation = spread / torch.where(flat, torch.ones_like(high), high)
    divisor = torch.where(flat, torch.ones_like(spread), spread)
    rc, gc, bc = ((high - r) / divisor, (high - g) / divisor, (high - b) / divisor)
    # The hue sector follows which channel holds the maximum (red first, then green).
    red_max = high == r
    green_max = (high == g) & ~red_max
    blue_max = ~red_max & ~(high == g)
    hue = (bc - gc) * red_max + (rc + 2.0 - bc) * green_max + (gc + 4.0 - rc) * blue_max
    hue = torch.fmod(hue * (1.0 / 6.0) + 1.0, 1.0)
    hue = torch.remainder(hue + shift.view(-1, 1, 1), 1.0)

    h6 = hue * 6.0
    sector = torch.floor(h6)
    frac = h6 - sector
    sector = torch.remainder(sector, 6.0)
    value = high
    p = ((1.0 - saturation) * value).clamp(0.0, 1.0)
    q = ((1.0 - saturation * frac) * value).clamp(0.0, 1.0)
    t = ((saturation * frac + (1.0 - saturation)) * value).clamp(0.0, 1.0)
    # (r, g, b) per sector 0..5: (v,t,p) (q,v,p) (p,v,t) (p,q,v) (t,p,v) (v,p,q).
    choices = torch.stack([value, p, q, t])  # [4, B, H, W]
    table = torch.tensor(
        [[0, 2, 1, 1, 3, 0], [3, 0, 0, 2, 1, 1], [1, 1, 3, 0, 0, 2]], device=x.device
    )
    pick = table[:, sector.long()]  # [3, B, H, W]
    out = torch.gather(choices, 0, pick).permute(1, 0, 2, 3)
    # torchvision returns the input unchanged for a zero shift; so does every kernel here.
    return torch.where(shift.view(-1, 1, 1, 1) == 0, x, out)


def _invert(x, magnitude, stats):
    return 1.0 - x


def _sharpness(x, factor, stats):
    """Blend with the image smoothed by PIL's SMOOTH kernel (1s around a 5, over 13); the
    one-pixel border keeps the input, as in PIL and torchvision."""
    B, C, H, W = x.shape
    if H <= 2 or W <= 2:
        return x.clone()
    kernel = torch.full((3, 3), 1.0 / 13.0, dtype=x.dtype, device=x.device)
    kernel[1, 1] = 5.0 / 13.0
    smooth = F.conv2d(x.reshape(B * C, 1, H, W), kernel.view(1, 1, 3, 3)).view(B, C, H - 2, W - 2)
    degenerate = x.clone()
    degenerate[..., 1:-1, 1:-1] = smooth
    return (factor * x + (1.0 - factor) * degenerate).clamp_(0.0, 1.0)


def _autocontrast(x, magnitude, stats):
    # Per-image statistics computed here: this op runs as the twin on every device (see the op table).
    low = x.amin(dim=(2, 3), keepdim=True)
    high = x.amax(dim=(2, 3), keepdim=True)
    flat = high == low
    spread = torch.where(flat, torch.ones_like(high), high - low)
    return ((x - torch.where(flat, torch.zeros_like(low), low)) / spread).clamp_(0.0, 1.0)


def _equalize(x, magnitude, stats):
    """PIL's equalisation on the 8-bit levels of each channel: level k maps to
    ``(cdf(k - 1) + step // 2) // step`` with ``step = (pixels not at the top level) // 255``;
    a channel with ``step == 0`` is left as it is."""
    B, C, H, W = x.shape
    levels = torch.round(x * 255.0).long().reshape(B * C, H * W)
    histogram = torch.zeros(B * C, 256, dtype=torch.long, device=x.device)
    histogram.scatter_add_(1, levels, torch.ones_like(levels))
    top = 255 - histogram.flip(1).ne(0).long().argmax(dim=1, keepdim=True)  # highest level present
    step = (H * W - histogram.gather(1, top)) // 255
    below = torch.cumsum(histogram, dim=1) - histogram  # pixels strictly below each level
    lut = ((below + step // 2) // step.clamp(min=1)).clamp_(0, 255)
    mapped = lut.gather(1, levels)
    out = torch.where(step > 0, mapped, levels).float().div_(255.0)
    return out.view(B, C, H, W)


OPS: dict[str, Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "brightness": _brightness,
    "contrast": _contrast,
    "posterize": _posterize,
    "solarize": _solarize,
    "saturation": _saturation,
    "hue": _hue,
    "invert": _invert,
    "sharpness": _sharpness,
    "autocontrast": _autocontrast,
    "equalize": _equalize,
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
    B, C, H, W = images.shape
    magnitudes = check_magnitudes(magnitudes, B, images.device)
    spec = resolve_op(op, C, magnitudes)
    M = magnitudes.shape[1]
    x = to_unit_float(images)
    stats = image_stats(x) if spec.needs_stats else None
    values = torch.empty(B, M, C, H, W, dtype=torch.float32, device=images.device)
    for m in range(M):
        values[:, m] = OPS[op](x, magnitudes[:, m].view(-1, 1, 1, 1), stats)
    return finish(
        values.view(B * M, C, H, W),
        mean=channel_stats(mean, C, "mean", images.device),
        std=channel_stats(std, C, "std", images.device),
        out_dtype=out_dtype,
        channels_last=channels_last,
    )
