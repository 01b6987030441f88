"""Pairing, per (class, candidate) statistics and the analyses on hand-computed tables."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fastinv.data import ImageRecord
from fastinv.factors import analyses
from fastinv.factors.candidates import parse_indices, resolve_candidates
from fastinv.factors.pairs import class_pairs
from fastinv.factors.stats import rank_candidates, summarize_deltas


def _records(n):
    return [ImageRecord(f"c/{i:03d}.jpg", Path(f"/x/c/{i:03d}.jpg"), 0, "c") for i in range(n)]


def test_halves_pair_the_two_halves_of_each_batch_and_drop_the_rest():
    pairs = class_pairs(_records(70), "halves", 50, 32, seed=0)
    assert len(pairs) == 32  # two full batches of 32; the last 6 images are dropped
    assert pairs[0][0].sample_id == "c/000.jpg" and pairs[0][1].sample_id == "c/016.jpg"
    assert pairs[16][0].sample_id == "c/032.jpg" and pairs[16][1].sample_id == "c/048.jpg"


def test_random_pairs_use_each_image_once_and_are_seeded():
    pairs = class_pairs(_records(21), "random", 50, 32, seed=3)
    used = [r.sample_id for p in pairs for r in p]
    assert len(pairs) == 10 and len(set(used)) == 20
    assert all(a.sample_id != b.sample_id for a, b in pairs)
    assert pairs == class_pairs(_records(21), "random", 50, 32, seed=3)
    assert pairs != class_pairs(_records(21), "random", 50, 32, seed=4)
    with pytest.raises(ValueError, match="pairing 'mixed' unknown"):
        class_pairs(_records(4), "mixed", 5, 32, seed=0)


def test_candidates_policy_and_indices():
    assert len(resolve_candidates("autoaugment")) == 63
    chosen = resolve_candidates("Brightness,rotate", parse_indices("0,9"))
    assert [c.name for c in chosen] == ["Brightness@0", "Brightness@9", "rotate@0", "rotate@9"]
    assert chosen[1].magnitude == pytest.approx(0.9) and chosen[3].magnitude == 180.0
    with pytest.raises(ValueError, match="magnitude index 12 out of range 0..9 for 'Color'"):
        resolve_candidates("Color", (12,))


def _two_candidates(names, delta, cos0) -> pd.DataFrame:
    """A per-pair delta table of one class: candidates ``names``, four pairs each."""
    return pd.DataFrame(
        {
            "class_name": "a",
            "label": 0,
            "candidate": [names[0]] * 4 + [names[1]] * 4,
            "transform": [names[0].upper()] * 4 + [names[1].upper()] * 4,
            "magnitude_index": 1,
            "magnitude": 0.5,
            "delta": delta,
            "cos0": cos0,
        }
    )


def test_summaries_match_hand_computation():
    deltas = _two_candidates(
        ("x", "y"), [0.1, -0.1, 0.2, 0.0, -0.1, -0.2, 0.05, -0.3], [0.5, 0.5, 0.25, 0.5] * 2
    )
    table = summarize_deltas(deltas).set_index("candidate")
    x = table.loc["x"]
    assert x["mean_delta"] == pytest.approx(0.05)
    assert x["std_delta"] == pytest.approx(np.std([0.1, -0.1, 0.2, 0.0]))
    assert x["mean_positive_delta"] == pytest.approx(0.15)
    assert x["mean_relative_change"] == pytest.approx((0.2 - 0.2 + 0.8 + 0.0) / 4)
    assert x["proportion_boosted"] == 0.5 and x["boosted"] == 2 and x["pairs"] == 4
    assert x["mean_gain"] == pytest.approx((0.1 + 0.2) / 4)
    assert table.loc["y"]["mean_gain"] == pytest.approx(0.05 / 4)
    assert (x["rank"], table.loc["y"]["rank"]) == (1, 2)


def test_mean_gain_is_not_fooled_by_a_candidate_the_model_ignores():
    # 'ignored' moves the embedding by float noise: 3 of 4 deltas are positive by chance.
    # 'factor' brings half the pairs much closer and pushes the others away.
    deltas = _two_candidates(
        ("ignored", "factor"), [1e-6, 2e-6, -1e-6, 1e-6, 0.3, 0.2, -0.4, -0.3], 0.5
    )
    by_share = summarize_deltas(deltas).set_index("candidate")["rank"]
    by_gain = summarize_deltas(deltas, rank_by="mean_gain").set_index("candidate")["rank"]
    assert (by_share["ignored"], by_gain["factor"]) == (1, 1)
    assert rank_candidates(summarize_deltas(deltas), "mean_gain").equals(
        summarize_deltas(deltas, rank_by="mean_gain")
    )
    with pytest.raises(ValueError, match="rank statistic 'median' unknown; valid: proportion"):
        rank_candidates(summarize_deltas(deltas), "median")


def test_precision_at_k_scores_transformations_not_magnitudes():
    # Class 'a' declares position (TranslateX/TranslateY); its ranking puts three TranslateX
    # magnitudes first, then Rotate, then TranslateY: the top 2 transformations are TranslateX and
    # Rotate, so precision at 2 (min(3, 2 relevant)) is 1/2. The control class is not scored.
    order = ["TranslateX", "TranslateX", "TranslateX", "Rotate", "TranslateY", "Color"]
    table = pd.DataFrame(
        {
            "class_name": ["a"] * 6 + ["control"] * 6,
            "candidate": [f"{t}@{i}" for i, t in enumerate(order)] * 2,
            "transform": order * 2,
            "rank": list(range(1, 7)) * 2,
        }
    )
    truth = pd.DataFrame(
        {
            "class_name": ["a", "a", "a", "control"],
            "declared": ["True", "True", "False", "False"],
            "transforms": ["translateX TranslateX", "TranslateY", "Rotate", "Color"],
        }
    )
    rows, summary = analyses.precision_at_k(table, truth, k=3)
    assert rows.set_index("class_name").loc["a", ["k", "hits", "precision"]].tolist() == [2, 1, 0.5]
    assert rows.loc[0, "top"] == "TranslateX Rotate"
    assert rows.loc[0, "chance"] == pytest.approx(2 / 4)  # 2 of 4 distinct transformations
    assert summary["classes"] == 1 and summary["mean_precision"] == 0.5


def _table(rankings: dict[str, list[float]]) -> pd.DataFrame:
    """A factors table with the given proportion_boosted per class (candidates t0, t1...)."""
    rows = [
        {
            "class_name": c,
            "candidate": f"t{i}",
            "transform": f"T{i}",
            "magnitude_index": 4,
            "magnitude": 1.0,
            "proportion_boosted": v,
        }
        for c, values in rankings.items()
        for i, v in enumerate(values)
    ]
    table = pd.DataFrame(rows)
    table["rank"] = table.groupby("class_name")["proportion_boosted"].rank(
        ascending=False, method="first"
    )
    return table


def test_specificity_rank_correlations_and_overlap():
    rng = np.random.default_rng(0)
    a, c = rng.uniform(size=12), rng.uniform(size=12)
    table = _table({"a": list(a), "b": list(a), "c": list(c)})
    frame, summary = analyses.specificity(table, k=3)
    same = frame[(frame["class_a"] == "a") & (frame["class_b"] == "b")].iloc[0]
    assert same["spearman"] == pytest.approx(1.0) and same["top_k_overlap"] == 1.0
    other = frame[(frame["class_a"] == "a") & (frame["class_b"] == "c")].iloc[0]
    assert other["kendall"] == pytest.approx(stats.kendalltau(a, c).statistic)
    assert summary["wordnet"].startswith("skipped: class names are not WordNet ids")


def test_alignment_share_and_interval():
    # Two classes; top-2 of each by proportion_boosted map to rotate (gap +) and solarize (gap -).
    rows = []
    for class_name, order in (
        ("a", ["Rotate", "Solarize", "ShearX"]),
        ("b", ["Rotate", "ShearX", "Solarize"]),
    ):
        for rank, name in enumerate(order):
            rows.append(
                {
                    "class_name": class_name,
                    "candidate": f"{name}@4",
                    "transform": name,
                    "magnitude_index": 4,
                    "magnitude": 10.0 if name != "Solarize" else 142.2,
                    "proportion_boosted": 1 - rank / 4,
                    "rank": rank + 1,
                }
            )
    gaps = pd.DataFrame({"transform": ["rotate", "solarize", "shearX"], "gap": [0.2, -0.1, 0.05]})
    top, summary = analyses.alignment(pd.DataFrame(rows), gaps, k=2)
    assert list(top["candidate"]) == ["Rotate@4", "Solarize@4", "Rotate@4", "ShearX@4"]
    assert summary["share_positive"] == pytest.approx(0.75)
    assert summary["ci95_low"] <= 0.75 <= summary["ci95_high"] and summary["ci95_low"] >= 0.5
    assert summary["share_positive_all_candidates"] == pytest.approx(4 / 6)
