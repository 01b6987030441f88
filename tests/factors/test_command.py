"""`fastinv factors` from the command line: tables, report, known answers, alignment, errors."""

import json

import pandas as pd

from fastinv.cli import main


def _args(data, out, *extra):
    return [
        "factors", "--model", "resnet10t", "--data", str(data / "val"), "--out", str(out),
        "--candidates", "Rotate,Brightness,rescale", "--magnitude-indices", "3,6",
        "--pairs", "4", "--pairing", "random", "--image-size", "32", "--resize-size", "32",
        "--device", "cpu", "--workers", "1", "--batch-size", "64", "--alignment-samples", "8",
        "--imagenet-x", "off", *extra,
    ]  # fmt: skip


def test_factors_command_writes_tables_report_and_known_answers(factor_dataset, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(_args(factor_dataset, out, "--rank-by", "mean_gain")) == 0
    printed = capsys.readouterr().out
    assert "declared factors recovered: precision@3" in printed
    assert "ranked by mean_gain" in printed

    table = pd.read_csv(out / "factors.csv")
    assert len(table) == 10 * 6  # classes x (3 transforms x 2 magnitudes)
    best = table.sort_values("mean_gain", ascending=False).groupby("class_name").head(1)
    assert (best["rank"] == 1).all()  # ranked by the statistic asked for
    results = json.loads((out / "analyses.json").read_text())
    assert results["rank_by"] == "mean_gain"
    # Rotate, Brightness and rescale probe the factors of 4 classes; the 5 others are named.
    assert results["precision"]["classes"] == 4
    assert len(results["precision"]["classes_not_probed"]) == 5
    # The automatic sweep (resnet10t trained vs untrained, here both at random init) fed alignment.
    assert results["alignment"]["trained"] == "trained"
    page = (out / "sweep" / "report" / "index.html").read_text()
    assert "Factors of variation" in page and "Known answers" in page
    assert (out / "report" / "factors_precision.png").is_file()


def test_factors_command_names_bad_choices(factor_dataset, tmp_path, capsys):
    assert main(_args(factor_dataset, tmp_path / "run", "--candidates", "Wobble")) == 2
    assert "Wobble" in capsys.readouterr().err


def test_known_answers_are_skipped_with_a_reason_when_no_candidate_probes_them(
    factor_dataset, tmp_path
):
    out = tmp_path / "run"
    args = _args(factor_dataset, out, "--candidates", "Posterize", "--sweep", "none")
    assert main(args) == 0
    results = json.loads((out / "analyses.json").read_text())
    assert "precision" not in results
    assert "no class has declared factors that the candidates probe" in results["precision_skipped"]


def test_factors_command_defaults_to_the_built_in_dataset(factor_dataset, tmp_path, monkeypatch):
    # Without --data the built-in dataset is used (here the small one of the fixture instead of
    # generating the 64-px default), at its own image size, with its ground truth.
    import fastinv.datasets

    monkeypatch.setattr(fastinv.datasets, "builtin_dataset", lambda: factor_dataset)
    out = tmp_path / "run"
    args = [
        "factors", "--model", "resnet10t", "--out", str(out), "--candidates", "Rotate",
        "--magnitude-indices", "3", "--pairs", "2", "--pairing", "random", "--max-classes", "3",
        "--device", "cpu", "--workers", "1", "--sweep", "none", "--imagenet-x", "off",
    ]  # fmt: skip
    assert main(args) == 0
    pairs = pd.read_parquet(out / "pairs.parquet")
    assert (
        pairs["image_1"].str.startswith(("blurry_crescent/", "dimming_ring/", "fading_star/")).all()
    )
    assert json.loads((out / "analyses.json").read_text())["precision_skipped"].startswith(
        "skipped"
    )
