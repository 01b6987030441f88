"""ImageNet-X join on a small ImageNet-layout folder whose file names are annotated validation images.

The file names and labels are read from the installed imagenet-x package at test time; the images
are generated here (the annotations carry no pixels).
"""

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from fastinv.factors import imagenet_x
from fastinv.factors.config import FactorsConfig
from fastinv.factors.study import run_study

pytest.importorskip("imagenet_x")


def test_factor_table_hand_computed():
    joined = pd.DataFrame(
        {
            "sample_id": ["a", "b", "c", "d"],
            "class": [1, 2, 3, 4],
            "pose": [1, 1, 0, 0],
            "darker": [0, 1, 1, 1],
        }
    )
    predictions = pd.DataFrame({"sample_id": ["a", "b", "c", "d"], "predicted": [1, 0, 3, 4]})
    invariance = pd.DataFrame({"sample_id": ["a", "b", "c", "d"], "rotate": [0.1, 0.3, 0.5, 0.7]})
    table = imagenet_x.factor_table(joined, ["pose", "darker"], predictions, invariance).set_index(
        "factor"
    )
    assert table.loc["all", "accuracy"] == 0.75
    assert table.loc["pose", "accuracy"] == 0.5
    assert table.loc["pose", "error_ratio"] == pytest.approx(0.5 / 0.25)
    assert table.loc["darker", "error_ratio"] == pytest.approx((1 - 2 / 3) / 0.25)
    assert table.loc["darker", "invariance_rotate"] == pytest.approx(0.5)


def test_run_joins_annotations_by_file_name(tmp_path):
    annotations, factors, _ = imagenet_x.load_annotations()
    val = annotations[annotations["partition"] == "val"]
    chosen = pd.concat([val[val["class"] == c].head(4) for c in sorted(val["class"].unique())[:2]])
    rng = np.random.default_rng(0)
    for row in chosen.itertuples():
        folder = tmp_path / "imagenet" / f"class{row[2]:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)).save(
            folder / row.file_name
        )

    config = FactorsConfig(
        model="resnet10t",
        data=str(tmp_path / "imagenet"),
        out=str(tmp_path / "run"),
        candidates="Brightness,Rotate",
        magnitude_indices="9",
        pairs=2,
        pairing="random",
        image_size=32,
        resize_size=36,
        device="cpu",
        workers=1,
        sweep="none",
    )
    torch.manual_seed(0)
    run_dir, page = run_study(config)
    table = pd.read_parquet(run_dir / "imagenet_x.parquet").set_index("factor")
    assert table.loc["all", "images"] == 8
    predictions = pd.concat(pd.read_parquet(p) for p in (run_dir / "predictions").glob("*.parquet"))
    names = predictions["sample_id"].str.split("/").str[-1]
    truth = chosen.set_index("file_name").loc[names, "class"].to_numpy()
    assert table.loc["all", "accuracy"] == pytest.approx(
        (predictions["predicted"].to_numpy() == truth).mean()
    )
    for factor in factors:
        assert table.loc[factor, "images"] == int(chosen[factor].sum())
    assert "ImageNet-X" in page.read_text()
