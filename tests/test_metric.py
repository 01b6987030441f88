"""Relative invariance on cases whose answers are known in advance."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from fastinv.metric import (
    cosine_distance,
    invariance_gap,
    l2_distance,
    partner_permutation,
    relative_invariance,
    summarize,
)


def test_hand_computed_scores():
    z = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    z_t = torch.tensor([[1.0, 1.0], [0.0, 2.0], [-1.0, -1.0]])
    partner = np.array([1, 2, 0])
    out = relative_invariance(z, z_t, partner)
    # Sample 0: d(z0, z_t0) = 1 - 1/sqrt(2); baseline d(z0, z_t1) = 1 - 0 = 1.
    # Sample 1: d = 0 (same direction); baseline d(z1, z_t2) = 1 + 1/sqrt(2).
    # Sample 2: d = 2 (opposite); baseline d(z2, z_t0) = 0.
    s = 1 / np.sqrt(2)
    np.testing.assert_allclose(out["distance_cos"], [1 - s, 0, 2], atol=1e-12)
    np.testing.assert_allclose(out["baseline_cos"], [1, 1 + s, 0], atol=1e-12)
    # Sample 2's baseline is 0 up to the rounding of 1 - cos (~2e-16), which the 1/1e-8 amplifies
    # to a relative error of ~2e-8 in its score.
    np.testing.assert_allclose(
        out["invariance_cos"],
        [(1 - (1 - s)) / (1 + 1e-8), (1 + s) / (1 + s + 1e-8), (0 - 2) / 1e-8],
        rtol=1e-7,
    )
    np.testing.assert_allclose(out["distance_l2"], [1, 1, np.sqrt(8)], atol=1e-12)
    # |(1,0)-(0,2)|, |(0,1)-(-1,-1)|, |(1,1)-(1,1)|
    np.testing.assert_allclose(out["baseline_l2"], [np.sqrt(5), np.sqrt(5), 0], atol=1e-12)


def test_unmoved_embeddings_score_one():
    z = torch.randn(16, 32, generator=torch.Generator().manual_seed(0))
    out = relative_invariance(z, z.clone(), partner_permutation(16, 0))
    # 1 up to the 1e-8 regulariser of the formula: 1 - 1e-8 / baseline, baselines are ~1 here.
    np.testing.assert_allclose(out["invariance_cos"], 1.0, atol=1e-7)
    np.testing.assert_allclose(out["invariance_l2"], 1.0, atol=1e-7)
    assert np.all(out["distance_l2"] == 0)


class CircularNet(nn.Module):
    """Circular-padded convolutions + global average pooling: exactly shift invariant."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1, padding_mode="circular"),
            nn.ReLU(),
            nn.Conv2d(8, 16, 3, padding=1, padding_mode="circular"),
            nn.ReLU(),
        )

    def forward(self, x):
        return self.body(x).mean(dim=(2, 3))


def test_circular_network_is_invariant_to_circular_shifts_at_every_magnitude():
    torch.manual_seed(0)
    model = CircularNet().double().eval()
    images = torch.rand(12, 3, 16, 16, dtype=torch.float64)
    with torch.no_grad():
        z = model(images)
        for index, shift in enumerate(range(0, 16, 2)):
            z_t = model(torch.roll(images, shifts=(shift, -shift), dims=(2, 3)))
            out = relative_invariance(z, z_t, partner_permutation(12, 0, "shift", index))
            # Exact in real arithmetic; float64 sums in another order leave ~1e-15 relative error.
            # Random images give this net close embeddings (baselines ~1e-4), so the formula's 1e-8
            # regulariser is visible: the score of an unmoved embedding is b / (b + 1e-8).
            for name in ("cos", "l2"):
                assert np.all(out[f"distance_{name}"] < 1e-12)
                baseline = out[f"baseline_{name}"]
                np.testing.assert_allclose(
                    out[f"invariance_{name}"], baseline / (baseline + 1e-8), atol=1e-9
                )
                assert np.all(out[f"invariance_{name}"] > 1 - 1e-3)


def test_partners_form_a_seeded_derangement():
    p = partner_permutation(50, 0, "rotate", 3)
    assert sorted(p) == list(range(50)) and not np.any(p == np.arange(50))
    np.testing.assert_array_equal(p, partner_permutation(50, 0, "rotate", 3))
    assert not np.array_equal(p, partner_permutation(50, 0, "rotate", 4))
    with pytest.raises(ValueError, match="at least 2 samples"):
        partner_permutation(1, 0)


def test_distances_on_zero_vectors_are_finite():
    zero, one = torch.zeros(1, 3), torch.ones(1, 3)
    assert cosine_distance(zero, one).item() == 1.0
    assert l2_distance(zero, one).item() == pytest.approx(np.sqrt(3))


def _scores(model, values_by_index):
    rows = []
    for index, values in values_by_index.items():
        for i, v in enumerate(values):
            rows.append(
                {
                    "model": model,
                    "transform": "rotate",
                    "magnitude_index": index,
                    "magnitude": index * 10.0,
                    "sample_id": str(i),
                    "invariance_cos": v,
                    "invariance_l2": v / 2,
                    "baseline_cos": 1.0,
                    "baseline_l2": 2.0,
                }
            )
    return pd.DataFrame(rows)


def test_summary_matches_numpy():
    values = [0.1, 0.5, 0.2, 0.9, 0.4]
    summary = summarize(_scores("a", {0: values}), percentiles=(10,))
    row = summary.iloc[0]
    assert row["count"] == 5 and row["median_cos"] == 0.4
    assert row["q25_cos"] == np.percentile(values, 25) and row["p10_cos"] == np.percentile(
        values, 10
    )
    assert row["median_l2"] == 0.2


def test_invariance_gap_averages_medians_over_indices_3_to_7():
    trained = {i: [0.5 + 0.01 * i] * 3 for i in range(10)}
    untrained = {i: [0.2] * 3 for i in range(10)}
    summary = summarize(pd.concat([_scores("trained", trained), _scores("untrained", untrained)]))
    gap = invariance_gap(summary, "trained", "untrained")
    # mean over i = 3..7 of (0.5 + 0.01 i - 0.2) = 0.3 + 0.05
    assert gap.loc[0, "transform"] == "rotate" and gap.loc[0, "gap"] == pytest.approx(0.35)
    with pytest.raises(ValueError, match="model 'other' not in the summary"):
        invariance_gap(summary, "other", "untrained")
