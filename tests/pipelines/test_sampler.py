"""The shared sampler: laws of the crop parameters, boxes, epoch order and sharding (no backend)."""

import math

import numpy as np
import pytest
import torch
from fastinv.pipelines import AUGMENTATIONS, epoch_order, get_augmentation, sample_boxes
from fastinv.pipelines.sampler import _area, uniforms
from torchvision.transforms import RandomResizedCrop

DRAWS = 20000
# Kolmogorov-Smirnov critical value at level 0.001: 1.95 / sqrt(n) (one sample), and
# 1.95 * sqrt(2 / n) for two samples of n each. A correct sampler fails about 1 run in 1000;
# the seeds are fixed, so the outcome is deterministic.
KS_ONE = 1.95 / math.sqrt(DRAWS)


def ks_statistic(samples: np.ndarray, cdf) -> float:
    x = np.sort(samples)
    n = len(x)
    f = cdf(x)
    return float(max((np.arange(1, n + 1) / n - f).max(), (f - np.arange(n) / n).max()))


def two_sample_ks(a: np.ndarray, b: np.ndarray) -> float:
    grid = np.sort(np.concatenate([a, b]))
    fa = np.searchsorted(np.sort(a), grid, side="right") / len(a)
    fb = np.searchsorted(np.sort(b), grid, side="right") / len(b)
    return float(np.abs(fa - fb).max())


def first_attempt(name: str):
    """Area and aspect of the first attempt of DRAWS images (the laws before any rejection)."""
    augmentation = get_augmentation(name)
    params = augmentation.pack(224 / 256)
    u = uniforms(7, 0, np.arange(DRAWS), augmentation.draws)
    areas = np.array([_area(row, params, 0) for row in u])
    aspects = np.exp(params[5] + (params[6] - params[5]) * u[:, 10])
    return areas, aspects


def test_uniforms_are_uniform_independent_and_pure():
    u = uniforms(3, 1, np.arange(DRAWS), 4)
    assert u.min() >= 0 and u.max() < 1
    assert ks_statistic(u[:, 0], lambda x: x) < KS_ONE
    assert abs(np.corrcoef(u[:, 0], u[:, 1])[0, 1]) < 4 / math.sqrt(DRAWS)
    # Pure: the draws of an image do not depend on which other images are drawn with it.
    np.testing.assert_array_equal(uniforms(3, 1, [17], 4)[0], u[17])
    assert not np.array_equal(uniforms(3, 2, [17], 4), uniforms(3, 1, [17], 4))


def test_crop_area_of_c_is_uniform_and_aspect_log_uniform():
    areas, aspects = first_attempt("C")
    assert ks_statistic(areas, lambda x: (x - 0.08) / 0.92) < KS_ONE
    low, high = math.log(3 / 4), math.log(4 / 3)
    assert ks_statistic(np.log(aspects), lambda x: (x - low) / (high - low)) < KS_ONE
    # The test has power: the aspect itself (not its log) is not uniform.
    assert ks_statistic(aspects, lambda x: (x - 3 / 4) / (4 / 3 - 3 / 4)) > KS_ONE


def test_scale_laws_follow_their_distributions():
    low, rate = 0.08, AUGMENTATIONS["C-exp"].exponential_rate
    areas, _ = first_attempt("C-exp")
    exp_cdf = lambda x: (
        (np.exp(rate * x) - np.exp(rate * low)) / (np.exp(rate) - np.exp(rate * low))
    )
    assert ks_statistic(areas, exp_cdf) < KS_ONE
    assert ks_statistic(areas, lambda x: (x - low) / (1 - low)) > KS_ONE  # not uniform

    areas, _ = first_attempt("C-beta")  # Beta(2, 2) on [0.08, 1]: CDF 3t^2 - 2t^3
    t = lambda x: (x - low) / (1 - low)
    assert ks_statistic(areas, lambda x: 3 * t(x) ** 2 - 2 * t(x) ** 3) < KS_ONE
    assert ks_statistic(areas, t) > KS_ONE

    areas, _ = first_attempt("C-invunif")  # 1 / area uniform on [1, 12.5]
    assert ks_statistic(1 / areas, lambda x: (x - 1) / (1 / low - 1)) < KS_ONE
    assert areas.min() >= low and areas.max() <= 1


def test_c_boxes_match_torchvision_random_resized_crop():
    """Box area fractions after rejection and rounding against torchvision's own sampler."""
    height, width, n = 300, 400, 4000
    ours = sample_boxes(get_augmentation("C"), 0.875, 0, 0, np.arange(n), [height] * n, [width] * n)
    torch.manual_seed(0)
    image = torch.empty(3, height, width)
    reference = np.array(
        [RandomResizedCrop.get_params(image, [0.08, 1.0], [3 / 4, 4 / 3]) for _ in range(n)]
    )
    ours_area = ours[:, 2] * ours[:, 3] / (height * width)
    reference_area = reference[:, 2] * reference[:, 3] / (height * width)
    assert two_sample_ks(ours_area, reference_area) < 1.95 * math.sqrt(2 / n)
    assert two_sample_ks(ours[:, 0] / height, reference[:, 0] / height) < 1.95 * math.sqrt(2 / n)
    assert (ours[:, :2] >= 0).all() and (ours[:, 0] + ours[:, 2] <= height).all()
    assert (ours[:, 1] + ours[:, 3] <= width).all()


def test_translation_flip_and_centring_laws():
    height, width, n = 1000, 800, DRAWS
    side = round(800 * 0.875)
    boxes = sample_boxes(
        get_augmentation("T"), 0.875, 1, 0, np.arange(n), [height] * n, [width] * n
    )
    assert (boxes[:, 2] == side).all() and (boxes[:, 3] == side).all()
    shift_y = ((height - side) // 2 - boxes[:, 0]) / height
    assert np.abs(shift_y).max() <= 0.3 + 1 / height
    assert ks_statistic(shift_y, lambda x: (x + 0.3) / 0.6) < KS_ONE + 1 / (0.6 * height)
    assert (boxes[:, 4] == 0).all()

    boxes = sample_boxes(
        get_augmentation("HC"), 0.875, 1, 0, np.arange(n), [height] * n, [width] * n
    )
    assert abs(boxes[:, 4].mean() - 0.5) < 4 * 0.5 / math.sqrt(n)  # binomial, 4 sigma

    boxes = sample_boxes(
        get_augmentation("CC"), 0.875, 1, 0, np.arange(n), [height] * n, [width] * n
    )
    np.testing.assert_array_equal(boxes[:, 0], (height - boxes[:, 2]) // 2)
    assert len(np.unique(boxes[:, 2])) > 100  # random size, fixed centre

    boxes = sample_boxes(
        get_augmentation("TSnoAR"), 0.875, 1, 0, np.arange(n), [height] * n, [width] * n
    )
    np.testing.assert_array_equal(boxes[:, 2], boxes[:, 3])

    boxes = sample_boxes(
        get_augmentation("R"), 0.875, 1, 0, np.arange(n), [height] * n, [width] * n
    )
    assert (boxes[:, 2] == side).all()
    assert ks_statistic(boxes[:, 0] / (height - side + 1), lambda x: x) < KS_ONE + 1 / (
        height - side
    )


def test_validation_boxes_are_centred_and_fixed():
    boxes = sample_boxes(
        get_augmentation("HC"), 224 / 256, 5, 3, [0, 1], [375, 500], [500, 375], train=False
    )
    # side round(375 * 0.875) = 328, offsets floor((375 - 328) / 2) = 23 and (500 - 328) / 2 = 86.
    np.testing.assert_array_equal(boxes, [[23, 86, 328, 328, 0], [86, 23, 328, 328, 0]])


@pytest.mark.parametrize("world_size", [1, 2, 3, 4])
def test_shards_are_disjoint_and_complete(world_size):
    n = 103
    shards = [epoch_order(n, 0, 5, True, rank, world_size) for rank in range(world_size)]
    joined = np.concatenate(shards)
    assert len(joined) == n and set(joined.tolist()) == set(range(n))
    equal = [
        epoch_order(n, 0, 5, True, rank, world_size, drop_last=True) for rank in range(world_size)
    ]
    assert len({len(s) for s in equal}) == 1
    assert len(set(np.concatenate(equal).tolist())) == sum(len(s) for s in equal)


def test_reshuffling_changes_order_and_keeps_the_set():
    first, second = epoch_order(50, 0, 0, True), epoch_order(50, 0, 1, True)
    assert not np.array_equal(first, second)
    assert sorted(first.tolist()) == sorted(second.tolist()) == list(range(50))
    np.testing.assert_array_equal(first, epoch_order(50, 0, 0, True))
    np.testing.assert_array_equal(epoch_order(50, 0, 3, False), np.arange(50))
    with pytest.raises(ValueError, match="rank 2 out of range 0..1"):
        epoch_order(50, 0, 0, True, rank=2, world_size=2)


def test_unknown_names_and_parameters_are_refused():
    with pytest.raises(ValueError, match="unknown augmentation 'X'.*None, H, C, HC"):
        get_augmentation("X")
    with pytest.raises(ValueError, match="unknown augmentation parameters"):
        get_augmentation("C", zoom=2)
    with pytest.raises(ValueError, match="area range"):
        get_augmentation("C", area_min=0)
    with pytest.raises(ValueError, match="beta shapes"):
        get_augmentation("C-beta", beta_a=0.5)
    assert get_augmentation("C-beta", beta_a=3).beta_a == 3
