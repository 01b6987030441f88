"""Per (class, candidate) summaries of the change in cosine similarity, and rankings per class.

    delta = cos(f(x1), f(T x2)) - cos(f(x1), f(x2))

Columns (METHOD.md section 5.4): ``mean_delta``, ``std_delta`` (population std, as the reference),
``mean_positive_delta`` (mean over improved pairs; NaN if none), ``mean_relative_change``
(mean of delta / cos0), ``proportion_boosted`` (share of pairs with delta > 0), ``boosted`` and
``pairs`` counts. ``rank`` 1 is a class's strongest factor: by proportion_boosted, ties broken by
mean_delta.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEYS = ["class_name", "label", "candidate", "transform", "magnitude_index", "magnitude"]


def summarize_deltas(deltas: pd.DataFrame) -> pd.DataFrame:
    """One row per (class, candidate) of a per-pair delta table, with its rank inside the class."""
    frame = deltas.assign(
        positive=deltas["delta"].where(deltas["delta"] > 0),
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
            "boosted": grouped["is_boosted"].sum(),
            "pairs": grouped["delta"].size(),
            "mean_cos0": grouped["cos0"].mean(),
        }
    ).reset_index()
    table = table.sort_values(
        ["class_name", "proportion_boosted", "mean_delta"],
        ascending=[True, False, False],
        kind="stable",
    )
    table["rank"] = table.groupby("class_name").cumcount() + 1
    return table.reset_index(drop=True)


def top_factors(table: pd.DataFrame, k: int = 5) -> pd.DataFrame:
    """Each class's ``k`` best candidates."""
    return table[table["rank"] <= k].sort_values(["class_name", "rank"]).reset_index(drop=True)
