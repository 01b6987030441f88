"""The demo end to end on a tiny configuration, and its finding stated whichever way it falls."""

import json

import pandas as pd

from fastinv.demo import DemoConfig, run_demo
from fastinv.demo.report import translation_finding


def _summary(t_median: float, none_median: float) -> pd.DataFrame:
    rows = []
    for model, median in (("aug-None", none_median), ("aug-T", t_median)):
        for transform in ("translateX", "translateY", "rotate"):
            for index in range(10):
                rows.append(
                    {
                        "model": model,
                        "transform": transform,
                        "magnitude_index": index,
                        "median_cos": median if index else 1.0,
                    }
                )
    return pd.DataFrame(rows)


def test_finding_is_stated_either_way():
    shown = translation_finding(_summary(0.6, 0.4))
    assert shown["shown"] is True and abs(shown["gaps"]["translateX"] - 0.2) < 1e-12
    assert shown["text"].startswith("As the study found")
    hidden = translation_finding(_summary(0.3, 0.4))
    assert hidden["shown"] is False and "did NOT show" in hidden["text"]
    assert "translateX -0.100" in hidden["text"]
    assert translation_finding(_summary(0.3, 0.4).query("model == 'aug-T'"))["shown"] is None


def test_demo_end_to_end_tiny(tmp_path, monkeypatch):
    monkeypatch.setenv("FASTINV_CACHE", str(tmp_path / "cache"))
    config = DemoConfig(
        out=str(tmp_path / "demo"),
        image_size=32,
        epochs=1,
        samples=8,
        train_per_class=16,
        val_per_class=4,
        batch_size=32,
        model_kwargs={"channels": [8, 16, 32, 64]},
        workers=0,
    )
    result = run_demo(config)
    page = (tmp_path / "demo" / "report.html").read_text()
    for heading in (
        "Finding",
        "Accuracy per configuration",
        "Invariance gap",
        "Test-time zoom",
        "Training curves",
    ):
        assert heading in page
    assert [row["model"] for row in result["accuracy"]] == [
        "untrained",
        "aug-None",
        "aug-T",
        "aug-HC",
    ]
    assert all(row["n"] == 40 for row in result["accuracy"])
    saved = json.loads((tmp_path / "demo" / "demo_summary.json").read_text())
    assert (
        saved["finding"]["text"] == result["finding"]["text"] and saved["finding"]["text"] in page
    )
    assert set(saved["gaps_over_no_augmentation"]) == {"aug-T", "aug-HC"}
