"""The registry holds the study's 13 transformations with the exact grids of METHOD.md section 3."""

import numpy as np
import pytest

from fastinv.transforms import PRESETS, REGISTRY, get_transform, resolve_transforms

# Typed from METHOD.md section 3, independently of the registry's own construction.
PAPER = {
    "translateX": np.linspace(0, 224, 10) / 224,
    "translateY": np.linspace(0, 224, 10) / 224,
    "rotate": [0, -27, 45, -54, -81, 90, -108, -135, 135, 180],
    "shearX": [0, -17.8, 22.75, -35.6, 45.5, -53.4, 68.25, -71.2, -89, 91],
    "shearY": [0, -17.8, 22.75, -35.6, 45.5, -53.4, 68.25, -71.2, -89, 91],
    "scale_zoom_out": np.linspace(1.0, 0.28, 10),
    "scale_zoom_in": np.linspace(1.0, 3.5, 10),
    "posterize": [8, 7, 6, 5, 4, 4, 3, 2, 1, 0],
    "decrease_contrast": np.linspace(1, 0, 10),
    "increase_contrast": np.linspace(1, 2, 10),
    "decrease_brightness": np.linspace(1, 0, 10),
    "increase_brightness": np.linspace(1, 2, 10),
    "solarize": np.linspace(1, 0, 10),
}


def test_paper_preset_is_the_13_transforms_with_exact_grids():
    assert list(PRESETS["paper"]) == list(PAPER)
    for name, expected in PAPER.items():
        grid = get_transform(name).grid("paper")
        np.testing.assert_allclose(grid, expected, rtol=0, atol=1e-12, err_msg=name)
        assert grid[0] == get_transform(name).identity


def test_every_transform_declares_unit_identity_range_and_reference():
    for t in REGISTRY.values():
        assert t.unit and t.parameter and t.reference
        low, high = t.valid_range
        assert low <= t.identity <= high and low <= t.extreme <= high
        assert all(low <= v <= high for v in t.paper_grid), t.name


def test_dense_grid_spans_identity_to_extreme():
    rotate = get_transform("rotate").grid(50)
    assert len(rotate) == 50 and rotate[0] == 0 and rotate[-1] == 180
    np.testing.assert_allclose(np.diff(rotate), 180 / 49)
    bits = get_transform("posterize").grid(5)
    np.testing.assert_array_equal(bits, [8, 6, 4, 2, 0])  # rounded: bits are whole numbers


def test_explicit_values_are_validated():
    np.testing.assert_array_equal(get_transform("rotate").grid([0, 10, 20]), [0, 10, 20])
    with pytest.raises(
        ValueError, match=r"magnitude 400 out of range \[-360, 360\] \(degrees\) for 'rotate'"
    ):
        get_transform("rotate").grid([0, 400])
    with pytest.raises(ValueError, match="whole number"):
        get_transform("posterize").grid([8, 3.5])
    with pytest.raises(ValueError, match="at least 2"):
        get_transform("rotate").grid(1)


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(
        ValueError, match="unknown transform or preset 'rotation'.*presets: paper.*rotate"
    ):
        resolve_transforms("rotation")
    with pytest.raises(ValueError, match="unknown transform 'zoom'; valid: translateX"):
        get_transform("zoom")


def test_presets_and_lists_resolve_without_duplicates():
    names = [t.name for t in resolve_transforms("geometric,rotate,posterize")]
    assert names == list(PRESETS["geometric"]) + ["posterize"]


def test_identity_flags():
    assert get_transform("rotate").is_identity(0.0) and not get_transform("rotate").is_identity(
        90.0
    )
    # torchvision's solarize inverts pixels >= threshold, so threshold 1 still inverts pure white.
    assert not get_transform("solarize").is_identity(1.0)
