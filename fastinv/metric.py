"""Relative invariance score (METHOD.md section 2), per sample, with summaries and gaps.

    inv_i(m) = (d(z_i, z_t[pi(i)]) - d(z_i, z_t_i(m))) / (d(z_i, z_t[pi(i)]) + 1e-8)

with ``d`` the cosine distance ``1 - cos`` (or the L2 distance) and ``pi`` the baseline partner of
each sample. 1 = the embedding does not move; 0 = it moves as far as swapping in another
(equally transformed) image; negative = further.

Deliberate differences from the reference code, both allowed by the method:
* ``pi`` is a random *derangement* (no sample is its own partner, which would force a score of 0),
  drawn once per (transformation, magnitude) from the run seed, so every model of a run is scored
  against the same partners;
* the L2 distance is the plain Euclidean norm (the reference's ``PairwiseDistance`` adds 1e-6 to
  each coordinate difference).
Because of the 1e-8 regulariser, an unmoved embedding scores ``b / (b + 1e-8)``: 1 to within
``1e-8 / b``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

EPSILON = 1e-8
DISTANCES = ("cos", "l2")
DEFAULT_PERCENTILES = (5, 95)
GAP_INDICES = tuple(range(3, 8))  # the study averages the gap over magnitude indices 3..7


def cosine_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Row-wise ``1 - cos(a, b)`` in float64; a zero vector is at distance 1 from anything."""
    a, b = a.double(), b.double()
    cos = (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1)).clamp_min(1e-300)
    return (1.0 - cos).clamp_min(0.0)


def l2_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (a.double() - b.double()).norm(dim=-1)


def partner_permutation(count: int, *keys: object) -> np.ndarray:
    """A uniformly random derangement of ``range(count)``, fixed by ``keys`` (seed, names...)."""
    if count < 2:
        raise ValueError(f"the baseline needs at least 2 samples, got {count}")
    digest = hashlib.sha256(repr(keys).encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    while True:  # rejection sampling: about e tries on average, uniform over derangements
        permutation = rng.permutation(count)
        if not np.any(permutation == np.arange(count)):
            return permutation


def relative_invariance(
    original: torch.Tensor, transformed: torch.Tensor, partner: np.ndarray | torch.Tensor
) -> dict[str, np.ndarray]:
    """Per-sample distances, baselines and scores for one magnitude.

    Args:
        original: embeddings z [N, D] of the untransformed images.
        transformed: embeddings z_t [N, D] of the same images transformed.
        partner: [N] index of each sample's baseline partner.

    Returns:
        ``distance_cos, baseline_cos, invariance_cos`` and the ``_l2`` triple, float64 [N] each.
    """
    if original.shape != transformed.shape:
        raise ValueError(
            f"embedding shapes differ: {tuple(original.shape)} vs {tuple(transformed.shape)}"
        )
    partner = torch.as_tensor(np.array(partner), dtype=torch.long, device=transformed.device)
    out = {}
    for name, distance in (("cos", cosine_distance), ("l2", l2_distance)):
        moved = distance(original, transformed)
        baseline = distance(original, transformed[partner])
        out[f"distance_{name}"] = moved.cpu().numpy()
        out[f"baseline_{name}"] = baseline.cpu().numpy()
        out[f"invariance_{name}"] = ((baseline - moved) / (baseline + EPSILON)).cpu().numpy()
    return out


def summarize(
    scores: pd.DataFrame,
    percentiles: Sequence[float] = DEFAULT_PERCENTILES,
    by: Sequence[str] = ("model", "transform", "magnitude_index", "magnitude"),
) -> pd.DataFrame:
    """Per-magnitude summaries of per-sample scores: count, mean, median, quartiles, percentiles."""
    rows = []
    for key, group in scores.groupby(list(by), sort=False):
        row = dict(zip(by, key))
        row["count"] = len(group)
        for name in DISTANCES:
            values = group[f"invariance_{name}"].to_numpy()
            row[f"mean_{name}"] = float(values.mean())
            row[f"median_{name}"] = float(np.median(values))
            row[f"q25_{name}"], row[f"q75_{name}"] = (
                float(v) for v in np.percentile(values, [25, 75])
            )
            for p in percentiles:
                row[f"p{p:g}_{name}"] = float(np.percentile(values, p))
            row[f"median_baseline_{name}"] = float(group[f"baseline_{name}"].median())
        rows.append(row)
    return pd.DataFrame(rows)


def invariance_gap(
    summary: pd.DataFrame,
    model: str,
    reference: str,
    distance: str = "cos",
    indices: Sequence[int] = GAP_INDICES,
) -> pd.DataFrame:
    """Invariance gap per transformation: median score of ``model`` minus that of ``reference``
    (e.g. the same architecture untrained), averaged over magnitude ``indices`` (3..7 by default).

    Returns a frame with ``transform, gap, model_median, reference_median, indices``.
    """
    if distance not in DISTANCES:
        raise ValueError(f"distance {distance!r} unknown; valid: {DISTANCES}")
    models = set(summary["model"])
    for name in (model, reference):
        if name not in models:
            raise ValueError(
                f"model {name!r} not in the summary; models: {', '.join(sorted(models))}"
            )
    column = f"median_{distance}"
    selected = summary[summary["magnitude_index"].isin(list(indices))]
    table = selected.pivot_table(
        index="transform", columns="model", values=column, aggfunc="mean", sort=False
    )
    out = pd.DataFrame(
        {
            "transform": table.index,
            "gap": (table[model] - table[reference]).to_numpy(),
            "model_median": table[model].to_numpy(),
            "reference_median": table[reference].to_numpy(),
        }
    )
    out["indices"] = ",".join(map(str, indices))
    return out.reset_index(drop=True)
