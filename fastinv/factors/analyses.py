"""Analyses of a factors table: alignment with learned invariance, class specificity, known answers.

* alignment (METHOD.md 5.6): per class, the top-k candidates among those with magnitude index 3..7
  that map to a ``paper`` transformation; share whose invariance gap (trained minus untrained) is
  positive, with a 95% bootstrap interval over classes (classes are the independent units; the k
  slots of one class are not).
* specificity (5.7): for sampled class pairs, Spearman and Kendall (tau-b) correlation of the two
  classes' proportion_boosted over candidates, and the overlap of their top-k sets (|A & B| / k);
  against WordNet similarity when the classes are WordNet ids and nltk's corpus is installed.
* precision at k: on a dataset with declared factors, the share of a class's top-k transformations
  (each ranked by its best candidate) that probe a declared factor, out of min(k, those that do).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy import stats

from .autoaugment import invariance_transforms

ALIGNMENT_INDICES = tuple(range(3, 8))


def _class_bootstrap(values: dict[str, np.ndarray], boots: int, seed: int) -> tuple[float, float]:
    """95% percentile interval of the pooled share of ones, resampling classes with replacement."""
    groups = list(values.values())
    if not groups:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    sums = np.array([g.sum() for g in groups], dtype=float)
    sizes = np.array([len(g) for g in groups], dtype=float)
    picks = rng.integers(0, len(groups), size=(boots, len(groups)))
    shares = sums[picks].sum(1) / sizes[picks].sum(1)
    return float(np.percentile(shares, 2.5)), float(np.percentile(shares, 97.5))


def alignment(
    table: pd.DataFrame,
    gaps: pd.DataFrame,
    k: int = 5,
    indices=ALIGNMENT_INDICES,
    boots: int = 2000,
    seed: int = 0,
) -> tuple[pd.DataFrame, dict]:
    """Top-k factors per class with their invariance gap, and the share with a positive gap.

    Args:
        table: factors table (``stats.summarize_deltas``).
        gaps: ``fastinv.metric.invariance_gap`` output (``transform``, ``gap``).
    """
    gap_of = dict(zip(gaps["transform"], gaps["gap"]))
    rows = table[table["magnitude_index"].isin(list(indices))].copy()
    rows["invariance"] = [
        tuple(t for t in invariance_transforms(n, m) if t in gap_of)
        for n, m in zip(rows["transform"], rows["magnitude"])
    ]
    rows = rows[rows["invariance"].map(len) > 0]
    if rows.empty:
        raise ValueError(
            "no candidate maps to a transformation of the sweep; run the sweep with the 'paper' preset"
        )
    rows["gap"] = [float(np.mean([gap_of[t] for t in ts])) for ts in rows["invariance"]]
    rows["invariance"] = rows["invariance"].map(",".join)
    rows = rows.sort_values(["class_name", "rank"])
    top = rows.groupby("class_name", sort=False).head(k).reset_index(drop=True)
    top["positive_gap"] = top["gap"] > 0
    per_class = {c: g["positive_gap"].to_numpy() for c, g in top.groupby("class_name")}
    low, high = _class_bootstrap(per_class, boots, seed)
    # What a top-k drawn without regard to the ranking would give: the share over all mapped candidates.
    summary = {
        "share_positive": float(top["positive_gap"].mean()),
        "ci95_low": low,
        "ci95_high": high,
        "classes": len(per_class),
        "factors": len(top),
        "k": k,
        "share_positive_all_candidates": float((rows["gap"] > 0).mean()),
    }
    return top[
        [
            "class_name",
            "rank",
            "candidate",
            "transform",
            "magnitude_index",
            "proportion_boosted",
            "invariance",
            "gap",
            "positive_gap",
        ]
    ], summary


def _rank_vectors(table: pd.DataFrame) -> pd.DataFrame:
    return table.pivot_table(
        index="candidate", columns="class_name", values="proportion_boosted", sort=False
    )


def specificity(
    table: pd.DataFrame, k: int = 5, max_pairs: int = 500, seed: int = 0
) -> tuple[pd.DataFrame, dict]:
    """Rank agreement between classes over sampled class pairs, and against WordNet if available."""
    vectors = _rank_vectors(table)
    classes = list(vectors.columns)
    pairs = list(itertools.combinations(range(len(classes)), 2))
    if not pairs:
        raise ValueError("class specificity needs at least 2 classes")
    if len(pairs) > max_pairs:
        chosen = np.random.default_rng(seed).choice(len(pairs), size=max_pairs, replace=False)
        pairs = [pairs[i] for i in sorted(chosen)]
    tops = {c: set(g.nsmallest(k, "rank")["candidate"]) for c, g in table.groupby("class_name")}
    rows = []
    for i, j in pairs:
        a, b = vectors[classes[i]].to_numpy(), vectors[classes[j]].to_numpy()
        constant = (
            np.ptp(a) == 0 or np.ptp(b) == 0
        )  # a correlation is undefined for a constant ranking
        rows.append(
            {
                "class_a": classes[i],
                "class_b": classes[j],
                "spearman": np.nan if constant else float(stats.spearmanr(a, b).statistic),
                "kendall": np.nan if constant else float(stats.kendalltau(a, b).statistic),
                "top_k_overlap": len(tops[classes[i]] & tops[classes[j]]) / k,
            }
        )
    frame = pd.DataFrame(rows)
    summary = {
        "class_pairs": len(frame),
        "k": k,
        "mean_spearman": float(frame["spearman"].mean()),
        "mean_kendall": float(frame["kendall"].mean()),
        "mean_top_k_overlap": float(frame["top_k_overlap"].mean()),
    }
    similarity, reason = wordnet_similarity(frame)
    if similarity is None:
        summary["wordnet"] = f"skipped: {reason}"
    else:
        frame["wordnet_wup"] = similarity
        valid = frame.dropna(subset=["wordnet_wup", "spearman"])
        summary["wordnet"] = "Wu-Palmer similarity of the classes' synsets"
        summary["spearman_vs_wordnet"] = float(
            stats.spearmanr(valid["wordnet_wup"], valid["spearman"]).statistic
        )
    return frame, summary


def wordnet_similarity(frame: pd.DataFrame) -> tuple[np.ndarray | None, str]:
    """Wu-Palmer similarity of each class pair (classes named by WordNet ids like n01440764)."""
    names = set(frame["class_a"]) | set(frame["class_b"])
    if not all(len(n) == 9 and n[0] == "n" and n[1:].isdigit() for n in names):
        return None, "class names are not WordNet ids (nXXXXXXXX)"
    try:
        from nltk.corpus import wordnet

        wordnet.ensure_loaded()
    except ImportError:
        return None, "nltk is not installed (pip install nltk)"
    except LookupError:
        return None, "nltk's wordnet corpus is not installed (python -m nltk.downloader wordnet)"
    synsets = {n: wordnet.synset_from_pos_and_offset("n", int(n[1:])) for n in names}
    return np.array(
        [synsets[a].wup_similarity(synsets[b]) for a, b in zip(frame["class_a"], frame["class_b"])],
        dtype=float,
    ), ""


def precision_at_k(
    table: pd.DataFrame, ground_truth: pd.DataFrame, k: int = 3
) -> tuple[pd.DataFrame, dict]:
    """Precision at k of each class's ranked transformations against its declared factors.

    A factor is a transformation, not one of its magnitudes: a transformation ranks where its best
    candidate ranks (``table["rank"]``), and the top k distinct transformations are scored. A class
    with fewer than k relevant transformations is scored at that depth, so 1.0 stays reachable.

    Args:
        ground_truth: the built-in dataset's ``ground_truth.csv`` (class_name, declared, transforms).
    """
    declared = ground_truth[ground_truth["declared"].astype(str).str.lower() == "true"]
    relevant = {
        c: set(" ".join(g["transforms"].astype(str)).split())
        for c, g in declared.groupby("class_name")
    }
    rows, unprobed = [], []
    for class_name, group in table.groupby("class_name"):
        wanted = relevant.get(class_name)
        if not wanted:
            continue  # a control class declares nothing: no precision to measure
        order = list(dict.fromkeys(group.sort_values("rank")["transform"]))
        hits = np.array([t in wanted for t in order])
        available = int(hits.sum())
        if available == 0:
            unprobed.append(class_name)
            continue
        depth = min(k, available)
        rows.append(
            {
                "class_name": class_name,
                "declared": " ".join(sorted(wanted)),
                "k": depth,
                "hits": int(hits[:depth].sum()),
                "precision": float(hits[:depth].mean()),
                "chance": available / len(order),
                "top": " ".join(order[:depth]),
            }
        )
    frame = pd.DataFrame(rows)
    if frame.empty:
        raise ValueError("no class has declared factors that the candidates probe")
    return frame, {
        "k": k,
        "mean_precision": float(frame["precision"].mean()),
        "mean_chance": float(frame["chance"].mean()),
        "classes": len(frame),
        "classes_not_probed": unprobed,  # no candidate probes their declared factors
    }
