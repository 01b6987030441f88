"""Sample order and per-image crop boxes, shared by every backend.

Randomness is counter-based: the uniform numbers of image ``index`` at ``epoch`` are a hash
(splitmix64) of ``(seed, epoch, index, slot)``. So a box does not depend on which worker, thread
or backend draws it, nor on the order of the draws; the FFCV decoder recomputes the same hash in
numba (``ffcv_decode.uniform``). ``resolve_box`` only uses scalar arithmetic so that numba can
compile the very same function.
"""

from __future__ import annotations

import math

import numpy as np

from .augment import (
    ATTEMPTS,
    CROP_CENTER,
    CROP_RANDOM_FIXED,
    CROP_RANDOM_RESIZED,
    LAW_BETA,
    LAW_EXPONENTIAL,
    LAW_INVERSE_UNIFORM,
    Augmentation,
)

try:  # lets the FFCV decoder compile resolve_box with numba; plain Python otherwise
    from numba.extending import register_jitable
except ImportError:

    def register_jitable(function):
        return function


GOLDEN = 0x9E3779B97F4A7C15
MIX_1 = 0xBF58476D1CE4E5B9
MIX_2 = 0x94D049BB133111EB


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser on uint64 arrays (array arithmetic wraps modulo 2^64 silently)."""
    z = z + np.uint64(GOLDEN)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX_1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX_2)
    return z ^ (z >> np.uint64(31))


def uniforms(seed: int, epoch: int, indices, count: int) -> np.ndarray:
    """Uniform numbers on [0, 1), shape (len(indices), count), a pure function of its arguments."""
    indices = np.atleast_1d(np.asarray(indices, dtype=np.uint64))
    key = _mix(np.full(1, seed, dtype=np.uint64))
    key = _mix(key ^ np.uint64(epoch))
    key = _mix(key ^ indices)[:, None]
    bits = _mix(key ^ np.arange(count, dtype=np.uint64)[None, :])
    return (bits >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


@register_jitable
def _round(x: float) -> int:
    return int(math.floor(x + 0.5))


@register_jitable
def _area(u: np.ndarray, p: np.ndarray, attempt: int) -> float:
    """Crop area (fraction of the image) of one attempt from its law (inverse CDF or exact sum)."""
    law, low, high = int(p[2]), p[3], p[4]
    v = u[attempt]
    if law == LAW_EXPONENTIAL and p[8] != 0.0:
        rate = p[8]
        return (
            math.log(math.exp(rate * low) + v * (math.exp(rate * high) - math.exp(rate * low)))
            / rate
        )
    if law == LAW_BETA:
        a, b = int(p[9]), int(p[10])
        start = 2 * ATTEMPTS + 5 + attempt * (a + b)
        gamma_a = 0.0
        for k in range(a):
            gamma_a -= math.log(1.0 - u[start + k])
        gamma_b = 0.0
        for k in range(b):
            gamma_b -= math.log(1.0 - u[start + a + k])
        return low + (high - low) * gamma_a / (gamma_a + gamma_b)
    if law == LAW_INVERSE_UNIFORM:
        return 1.0 / (1.0 / high + v * (1.0 / low - 1.0 / high))
    return low + (high - low) * v


@register_jitable
def _random_size(u: np.ndarray, p: np.ndarray, height: int, width: int):
    """(h, w, fitted) of a random-size crop: torchvision's rejection rule, 10 attempts."""
    for attempt in range(ATTEMPTS):
        target = _area(u, p, attempt) * height * width
        aspect = math.exp(p[5] + (p[6] - p[5]) * u[ATTEMPTS + attempt])
        w = _round(math.sqrt(target * aspect))
        h = _round(math.sqrt(target / aspect))
        if 0 < w <= width and 0 < h <= height:
            return h, w, True
    # Fallback: the whole image, clipped to the aspect range, centred (as torchvision).
    ratio = width / height
    if ratio < math.exp(p[5]):
        w = width
        h = _round(w / math.exp(p[5]))
    elif ratio > math.exp(p[6]):
        h = height
        w = _round(h * math.exp(p[6]))
    else:
        h, w = height, width
    return h, w, False


@register_jitable
def resolve_box(u: np.ndarray, p: np.ndarray, height: int, width: int):
    """The box (top, left, h, w) in source pixels and the flip bit of one image.

    ``u`` holds ``Augmentation.draws`` uniforms, ``p`` is ``Augmentation.pack(crop_fraction)``.
    Slots: 0-9 areas, 10-19 log-aspects, 20-21 position (y, x), 22 flip, 23-24 translation
    (y, x), then the beta law's uniforms. The box may reach outside the image only when
    ``translate > 0``.
    """
    kind = int(p[0])
    flip = 1 if (p[1] > 0.0 and u[2 * ATTEMPTS + 2] < 0.5) else 0
    if kind == CROP_CENTER or kind == CROP_RANDOM_FIXED:
        h = w = max(1, _round(min(height, width) * p[11]))
        fitted = True
    else:
        h, w, fitted = _random_size(u, p, height, width)
    if kind == CROP_RANDOM_RESIZED and fitted or kind == CROP_RANDOM_FIXED:
        top = int(math.floor(u[2 * ATTEMPTS] * (height - h + 1)))
        left = int(math.floor(u[2 * ATTEMPTS + 1] * (width - w + 1)))
    else:
        top = int(math.floor((height - h) / 2.0))
        left = int(math.floor((width - w) / 2.0))
    if p[7] > 0.0:
        # Moving the image by +t moves the box by -t in source coordinates.
        top -= _round(p[7] * (2.0 * u[2 * ATTEMPTS + 3] - 1.0) * height)
        left -= _round(p[7] * (2.0 * u[2 * ATTEMPTS + 4] - 1.0) * width)
    return top, left, h, w, flip


def sample_boxes(
    augmentation: Augmentation,
    crop_fraction: float,
    seed: int,
    epoch: int,
    indices,
    heights,
    widths,
    train: bool = True,
) -> np.ndarray:
    """Boxes of many images: int64 array (N, 5) of top, left, h, w, flip."""
    augmentation = augmentation if train else Augmentation("validation")
    params = augmentation.pack(crop_fraction)
    indices = np.atleast_1d(np.asarray(indices))
    draws = uniforms(seed, epoch, indices, augmentation.draws)
    boxes = np.empty((len(indices), 5), dtype=np.int64)
    for row in range(len(indices)):
        boxes[row] = resolve_box(draws[row], params, int(heights[row]), int(widths[row]))
    return boxes


def epoch_order(
    num_samples: int,
    seed: int,
    epoch: int,
    shuffle: bool,
    rank: int = 0,
    world_size: int = 1,
    drop_last: bool = False,
) -> np.ndarray:
    """Dataset indices this rank visits at ``epoch``, in order.

    The permutation depends only on (seed, epoch), so every rank sees the same one and takes
    every ``world_size``-th element from ``rank``: shares are disjoint and together complete.
    With ``drop_last`` the tail is first cut to a multiple of ``world_size`` so all ranks get
    the same count (what ``DistributedDataParallel`` needs to stay in step).
    """
    if not 0 <= rank < world_size:
        raise ValueError(
            f"rank {rank} out of range 0..{world_size - 1} for world_size {world_size}"
        )
    if shuffle:
        order = np.random.default_rng([seed, epoch]).permutation(num_samples)
    else:
        order = np.arange(num_samples)
    if drop_last and world_size > 1:
        order = order[: num_samples - num_samples % world_size]
    return order[rank::world_size]
