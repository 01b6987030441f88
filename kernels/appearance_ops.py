"""The table of point-wise appearance operations shared by the twin and the Triton kernel.

Adding an operation takes three steps, one in each file: a row here (its kernel code, magnitude
range, whether it needs per-image statistics or three channels), its PyTorch function in
``appearance_twin.OPS`` and its branch in ``appearance_triton._apply_op``. An operation that needs
per-image statistics (contrast's mean grey level; later autocontrast's per-channel min/max and
equalize's histogram) reads them from the statistics pre-pass (``appearance_triton.image_stats_kernel``
and its twin ``appearance_twin.image_stats``), one small launch over the B input images before the
B x M launch.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class AppearanceOp:
    """One operation: ``code`` selects its branch in the kernel; magnitudes must lie in ``valid``."""

    name: str
    code: int
    valid: tuple[float, float]
    integer: bool = False
    needs_stats: bool = False
    needs_rgb: bool = False  # mixes channels: 3 channels, or 1 where it is the identity
    # False: the Triton kernel has no branch for it yet; dispatch runs the PyTorch twin even on CUDA.
    triton: bool = True


APPEARANCE_OPS: dict[str, AppearanceOp] = {
    op.name: op
    for op in (
        # Ranges follow torchvision's checks: factors >= 0, hue shift on [-0.5, 0.5] turns,
        # solarize thresholds on [0, 1], posterize keeps 0..8 whole bits.
        AppearanceOp("brightness", 0, (0.0, float("inf"))),
        AppearanceOp("contrast", 1, (0.0, float("inf")), needs_stats=True, needs_rgb=True),
        AppearanceOp("posterize", 2, (0.0, 8.0), integer=True),
        AppearanceOp("solarize", 3, (0.0, 1.0)),
        AppearanceOp("saturation", 4, (0.0, float("inf")), needs_rgb=True),
        AppearanceOp("hue", 5, (-0.5, 0.5), needs_rgb=True),
        # AutoAugment's operations (METHOD.md section 5). autocontrast, equalize and invert ignore
        # the magnitude. FIXME: sharpness (3x3 neighbourhood), autocontrast (per-channel min/max)
        # and equalize (per-channel histogram) have no Triton branch yet: twin only, also on CUDA.
        AppearanceOp("invert", 6, (0.0, float("inf"))),
        AppearanceOp("sharpness", 7, (0.0, float("inf")), needs_rgb=True, triton=False),
        AppearanceOp("autocontrast", 8, (0.0, float("inf")), needs_rgb=True, triton=False),
        AppearanceOp("equalize", 9, (0.0, float("inf")), triton=False),
    )
}

# Columns of the per-image statistics [B, STATS_COLUMNS]: the mean grey level (ITU-R 601-2 luma
# for three channels, the channel itself for one). Per-channel min/max and histograms come with
# the operations that need them.
STAT_GREY_MEAN = 0
STATS_COLUMNS = 1


def resolve_op(op: str, channels: int, magnitudes: torch.Tensor) -> AppearanceOp:
    """The table row for ``op``, or a ValueError naming the bad op, channel count or magnitude."""
    if op not in APPEARANCE_OPS:
        raise ValueError(f"appearance op {op!r} unknown; valid: {', '.join(APPEARANCE_OPS)}")
    spec = APPEARANCE_OPS[op]
    if spec.needs_rgb and channels not in (1, 3):
        raise ValueError(f"appearance op {op!r} needs 1 or 3 channels, got {channels}")
    if magnitudes.numel():
        low, high = spec.valid
        values = magnitudes.detach().to("cpu", torch.float64)
        bad = values[~((values >= low) & (values <= high))]
        if bad.numel():
            raise ValueError(
                f"magnitude {bad[0].item():g} out of range [{low:g}, {high:g}] for op {op!r}"
            )
        if spec.integer and bool((values != values.round()).any()):
            raise ValueError(
                f"magnitudes of op {op!r} must be whole numbers, got {values.flatten().tolist()}"
            )
    return spec
