"""Report sections of a factors run: heatmap, top factors, alignment plot, known answers, ImageNet-X.

Drawn from the stored tables only; the sections join a sweep's HTML report (``fastinv.report``) or,
without a sweep, a page of their own.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # reports are drawn headless
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from fastinv.report.html import STYLE, image_tag, table_html  # noqa: E402
from fastinv.results import write_text  # noqa: E402

LABELS = {
    "proportion_boosted": "proportion of pairs made more alike",
    "mean_gain": "mean of max(delta, 0) over pairs",
}


def heatmap(table: pd.DataFrame, path: Path, statistic: str = "proportion_boosted") -> Path:
    """Classes x candidates, colour = ``statistic`` (a share on [0, 1] or a mean change)."""
    grid = table.pivot_table(index="class_name", columns="candidate", values=statistic, sort=False)
    # Columns grouped by transformation, magnitudes in grid order, whatever the rankings say.
    order = table.drop_duplicates("candidate").sort_values(["transform", "magnitude_index"])
    grid = grid[list(order["candidate"])]
    share = statistic == "proportion_boosted"
    low, high = (0.0, 1.0) if share else (None, None)
    height = 1.2 + 0.28 * len(grid.index)
    fig, ax = plt.subplots(figsize=(min(30, 2 + 0.22 * len(grid.columns)), min(40, height)))
    image = ax.imshow(
        grid.to_numpy(), aspect="auto", cmap="viridis", vmin=low, vmax=high, interpolation="nearest"
    )
    ax.set_xticks(range(len(grid.columns)), grid.columns, rotation=90, fontsize=6)
    ax.set_yticks(range(len(grid.index)), grid.index, fontsize=7)
    fig.colorbar(image, ax=ax, label=LABELS.get(statistic, statistic))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def precision_plot(summary: dict, path: Path) -> Path:
    """Precision at k of the declared factors under each ranking statistic, with chance."""
    stats = summary["by_statistic"]
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    colours = ["tab:blue" if s == summary["rank_by"] else "tab:grey" for s in stats]
    ax.barh(list(stats), list(stats.values()), color=colours)
    ax.axvline(summary["mean_chance"], color="black", linestyle="--", label="random ranking")
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"mean precision at {summary['k']} ({summary['classes']} classes)")
    ax.invert_yaxis()
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def alignment_plot(summary: dict, path: Path) -> Path:
    """Share of top-k factors whose invariance grew with training, against all candidates."""
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    share = summary["share_positive"]
    error = [[share - summary["ci95_low"]], [summary["ci95_high"] - share]]
    ax.bar(
        [0],
        [share],
        yerr=error,
        capsize=6,
        color="tab:blue",
        label=f"top-{summary['k']} factors (95% CI)",
    )
    ax.bar(
        [1],
        [summary["share_positive_all_candidates"]],
        color="tab:grey",
        label="all mapped candidates",
    )
    ax.set_xticks([0, 1], [f"top-{summary['k']}", "all"])
    ax.set_ylim(0, 1)
    ax.set_ylabel("share with positive invariance gap")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def sections(run_dir: Path) -> list[tuple[str, str]]:
    """``(title, html)`` blocks from the tables of a factors run directory."""
    run_dir = Path(run_dir)
    folder = run_dir / "report"
    folder.mkdir(parents=True, exist_ok=True)
    table = pd.read_parquet(run_dir / "factors.parquet")
    analyses = (
        json.loads((run_dir / "analyses.json").read_text())
        if (run_dir / "analyses.json").exists()
        else {}
    )
    rank_by = analyses.get("rank_by", "proportion_boosted")
    top = (
        table[table["rank"] <= 5]
        .groupby("class_name")["candidate"]
        .apply(lambda c: ", ".join(c))
        .reset_index()
    )
    out = [
        (
            "Factors of variation: classes x candidates",
            f"<p class=note>{html.escape(rank_by)} of the change in cosine similarity of "
            "same-class pairs when the candidate is applied to the second image (METHOD.md section "
            "5); it ranks each class's factors</p>"
            + image_tag(heatmap(table, folder / "factors_heatmap.png", rank_by), "heatmap"),
        ),
        (
            "Top factors per class",
            table_html(top.rename(columns={"candidate": f"top 5 by {rank_by}"})),
        ),
    ]
    if "alignment" in analyses:
        summary = analyses["alignment"]
        rows = pd.read_parquet(run_dir / "alignment.parquet")
        note = (
            f"<p class=note>{summary['share_positive']:.1%} of {summary['factors']} top-{summary['k']} factors "
            f"(magnitude indices 3..7) over {summary['classes']} classes have a positive invariance gap "
            f"(95% class-bootstrap interval {summary['ci95_low']:.1%}..{summary['ci95_high']:.1%}); "
            f"{summary['share_positive_all_candidates']:.1%} of all mapped candidates do.</p>"
        )
        out.append(
            (
                "Alignment with learned invariance",
                note
                + image_tag(alignment_plot(summary, folder / "factors_alignment.png"), "alignment")
                + table_html(rows),
            )
        )
    elif "alignment_skipped" in analyses:
        skipped = html.escape(analyses["alignment_skipped"])
        out.append(("Alignment with learned invariance", f"<p class=note>{skipped}</p>"))
    if "specificity" in analyses:
        body = "".join(
            f"<li>{html.escape(k)}: {html.escape(str(v))}</li>"
            for k, v in analyses["specificity"].items()
        )
        out.append(("Class specificity", f"<ul>{body}</ul>"))
    if "precision" in analyses:
        summary = analyses["precision"]
        others = ", ".join(
            f"{stat} {value:.2f}" for stat, value in summary.get("by_statistic", {}).items()
        )
        note = (
            f"<p class=note>mean precision at {summary['k']} of the transformations ranked by "
            f"{summary.get('rank_by', 'proportion_boosted')}: {summary['mean_precision']:.2f} "
            f"(chance {summary['mean_chance']:.2f}) over {summary['classes']} classes with declared "
            f"factors. By ranking statistic: {others}.</p>"
        )
        out.append(
            (
                "Known answers: declared factors recovered",
                note
                + image_tag(precision_plot(summary, folder / "factors_precision.png"), "precision")
                + table_html(pd.read_parquet(run_dir / "precision.parquet")),
            )
        )
    if (run_dir / "imagenet_x.parquet").exists():
        out.append(
            (
                "ImageNet-X human factors",
                table_html(pd.read_parquet(run_dir / "imagenet_x.parquet")),
            )
        )
    elif "imagenet_x" in analyses:
        out.append(
            ("ImageNet-X human factors", f"<p class=note>{html.escape(analyses['imagenet_x'])}</p>")
        )
    return out


def standalone_page(run_dir: Path, blocks: list[tuple[str, str]]) -> Path:
    """A page of the factor sections alone (no sweep to join)."""
    parts = [f"<h1>fastinv factors: {html.escape(Path(run_dir).name)}</h1>"]
    for title, body in blocks:
        parts += [f"<h2>{html.escape(title)}</h2>", body]
    page = (
        f"<!doctype html><html><head><meta charset=utf-8><title>fastinv factors</title><style>{STYLE}</style>"
        f"</head><body>{''.join(parts)}</body></html>"
    )
    return write_text(page, Path(run_dir) / "report" / "index.html")


__all__ = ["alignment_plot", "heatmap", "precision_plot", "sections", "standalone_page"]
