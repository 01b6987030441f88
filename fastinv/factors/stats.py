"""Per (class, candidate) summaries of the change in cosine similarity, and rankings per class.

    delta = cos(f(x1), f(T x2)) - cos(f(x1), f(x2))

Columns (METHOD.md section 5.4): ``mean_delta``, ``std_delta`` (population std, as the reference),
``mean_positive_delta`` (mean over improved pairs; NaN if none), ``mean_relative_change``
(mean of delta / cos0), ``proportion_boosted`` (share of pairs with delta > 0), ``boosted`` and
``pairs`` counts; and ``mean_gain``, the mean over all pairs of max(delta, 0) (= proportion_boosted
x mean_positive_delta), which fastinv adds.

``rank`` 1 is a class's strongest factor by the chosen statistic (the study's proportion_boosted
by default), ties broken by mean_delta. Why mean_gain exists: a candidate the model barely
responds to gives deltas of about 0 whose sign is noise, so it "boosts" about half the pairs and
outranks a real factor that helps a third of them a lot. On the built-in dataset with a network
trained without augmentation, precision at 3 of the declared factors was 0.04 to 0.39 ranking by
proportion_boosted (chance 0.10) and 0.69 to 0.82 by mean_gain (tests/factors/test_study.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import RANK_STATISTICS

KEYS = ["class_name", "label", "candidate", "transform", "magnitude_index", "magnitude"]


def summarize_deltas(deltas: pd.DataFrame, rank_by: str = "proportion_boosted") -> pd.DataFrame:
    """One row per (class, candidate) of a per-pair delta table, with its rank inside the class."""
    frame = deltas.assign(
        positive=deltas["delta"].where(deltas["delta"] > 0),
        gain=deltas["delta"].clip(lower=0.0),
        relative=deltas["delta"] / deltas["cos0"].where(deltas["cos0"] != 0),
        is_boosted=(deltas["delta"] > 0).astype(np.int64),
    )
    grouped = frame.groupby(KEYS, sort=False)
    table = pd.DataFrame(
        {
            "mean_delta": grouped["delta"].mean(),
            "std_delta": grouped["delta"].std(ddof=0),
            "mean_positive_delta": grouped["positive"].mean(),
            "mean_relative_change": grouped["relative"].mean(),
            "proportion_boosted": grouped["is_boosted"].mean(),
            "mean_gain": grouped["gain"].mean(),
            "boosted": grouped["is_boosted"].sum(),
            "pairs": grouped["delta"].size(),
            "mean_cos0": grouped["cos0"].mean(),
        }
    ).reset_index()
    return rank_candidates(table, rank_by)


def rank_candidates(table: pd.DataFrame, by: str = "proportion_boosted") -> pd.DataFrame:
    """``table`` sorted by class then ``by`` (descending), with ``rank`` 1..N inside each class."""
    if by not in RANK_STATISTICS:
        raise ValueError(f"rank statistic {by!r} unknown; valid: {', '.join(RANK_STATISTICS)}")
    tie_break = "proportion_boosted" if by == "mean_delta" else "mean_delta"
    table = table.sort_values(
        ["class_name", by, tie_break],
        ascending=[True, False, False],
        kind="stable",
        na_position="last",
    )
    table = table.assign(rank=table.groupby("class_name").cumcount() + 1)
    return table.reset_index(drop=True)


def top_factors(table: pd.DataFrame, k: int = 5) -> pd.DataFrame:
    """Each class's ``k`` best candidates."""
    return table[table["rank"] <= k].sort_values(["class_name", "rank"]).reset_index(drop=True)
