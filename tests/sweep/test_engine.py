"""End-to-end sweeps on small generated folders: tables, resume, refusals and bad input."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from fastinv.metric import relative_invariance
from fastinv.sweep import SCORE_COLUMNS, SweepConfig, run_sweep

TINY = dict(models=["test_byobnet"], image_size=32, samples=12, batch_size=32, workers=2)


def config(tmp_path, data, name="run", **overrides):
    return SweepConfig(**{**TINY, "data": str(data), "out": str(tmp_path / name), **overrides})


def test_tables_cover_every_cell_with_scores_and_partners(tmp_path, image_folder):
    root = run_sweep(config(tmp_path, image_folder, transforms="rotate,posterize"))
    scores = pd.read_parquet(root / "scores.parquet")
    assert list(scores.columns) == SCORE_COLUMNS
    assert len(scores) == 2 * 10 * 12  # transforms x magnitudes x samples
    assert scores.groupby(["transform", "magnitude_index"]).size().eq(12).all()
    assert (scores["partner_id"] != scores["sample_id"]).all()
    # Labels follow the class folders (sorted names), whatever the image mode.
    expected = {"ant": 0, "bee": 1, "cat": 2}
    assert (scores["sample_id"].str.split("/").str[0].map(expected) == scores["label"]).all()
    identity = scores[scores["magnitude_index"] == 0]
    # The identity reuses the original embedding: distance 0, score b / (b + 1e-8) = 1 - 1e-8 / b.
    assert np.all(identity["distance_cos"] < 1e-12) and np.all(identity["distance_l2"] == 0)
    baseline = identity["baseline_cos"]
    np.testing.assert_allclose(identity["invariance_cos"], baseline / (baseline + 1e-8), atol=1e-12)
    summary = pd.read_parquet(root / "summary.parquet")
    assert len(summary) == 20 and {"median_cos", "q25_cos", "q75_cos", "p5_cos", "p95_cos"} <= set(
        summary
    )
    assert (root / "config.yaml").exists() and (root / "provenance.json").exists()
    assert (root / "summary.csv").exists() and (root / "samples.parquet").exists()


class Pointwise(nn.Module):
    """1x1 convolutions + global average pooling: invariant to any permutation of pixels."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 16, 1), nn.ReLU(), nn.Conv2d(16, 8, 1), nn.ReLU())

    def forward(self, x):
        return self.body(x.float()).mean(dim=(2, 3))


def test_exactly_invariant_model_scores_one_through_the_engine(tmp_path, image_folder):
    # Rotations by multiples of 90 degrees permute the pixels of a square image exactly.
    torch.manual_seed(0)
    root = run_sweep(
        config(
            tmp_path,
            image_folder,
            models=["pointwise"],
            transforms="rotate",
            magnitudes=[0, 90, 180, -90],
        ),
        custom_models={"pointwise": Pointwise()},
    )
    scores = pd.read_parquet(root / "scores.parquet")
    assert np.all(scores["distance_cos"] < 1e-10)
    # Score 1 up to the formula's regulariser: exactly b / (b + 1e-8) for an unmoved embedding.
    np.testing.assert_allclose(
        scores["invariance_cos"],
        scores["baseline_cos"] / (scores["baseline_cos"] + 1e-8),
        atol=1e-9,
    )


def test_killed_sweep_resumes_to_the_same_tables(tmp_path, image_folder):
    settings = dict(transforms="translateX,decrease_brightness,solarize")
    reference = run_sweep(config(tmp_path, image_folder, "uninterrupted", **settings))

    seen = []

    def killer(total, initial):
        def tick(count):
            seen.append(count)
            if sum(seen) > 12 + 12 * 9 + 5:  # originals, the first cell, then part of the second
                raise KeyboardInterrupt

        return tick

    resumed_config = config(tmp_path, image_folder, "resumed", **settings)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(resumed_config, progress=killer)
    cells = sorted((tmp_path / "resumed" / "cells").rglob("*.parquet"))
    assert [c.stem for c in cells] == ["translateX"]
    first_cell_mtime = cells[0].stat().st_mtime_ns
    root = run_sweep(resumed_config)
    assert cells[0].stat().st_mtime_ns == first_cell_mtime  # skipped, not recomputed
    for table in ("scores.parquet", "summary.parquet"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(root / table), pd.read_parquet(reference / table)
        )


def test_rerunning_a_finished_sweep_changes_nothing(tmp_path, image_folder):
    cfg = config(tmp_path, image_folder, transforms="shearX")
    root = run_sweep(cfg)
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in root.rglob("*") if p.is_file()}
    run_sweep(cfg)
    after = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in root.rglob("*") if p.is_file()}
    assert before == after


def test_another_configuration_is_refused(tmp_path, image_folder):
    run_sweep(config(tmp_path, image_folder, transforms="shearX"))
    with pytest.raises(ValueError, match="another configuration.*transforms"):
        run_sweep(config(tmp_path, image_folder, transforms="shearY"))
    with pytest.raises(ValueError, match="another configuration.*seed"):
        run_sweep(config(tmp_path, image_folder, transforms="shearX", seed=1))
    # Speed settings may change between runs.
    run_sweep(config(tmp_path, image_folder, transforms="shearX", batch_size=7))


def test_saved_embeddings_recompute_the_scores(tmp_path, image_folder):
    root = run_sweep(
        config(tmp_path, image_folder, transforms="scale_zoom_in", save_embeddings=True)
    )
    original = np.load(root / "embeddings" / "test_byobnet" / "original.npy")
    transformed = np.load(root / "embeddings" / "test_byobnet" / "scale_zoom_in.npy")
    assert transformed.shape == (12, 10, original.shape[1])
    scores = pd.read_parquet(root / "scores.parquet")
    ids = pd.read_parquet(root / "samples.parquet")["sample_id"].tolist()
    rows = scores[scores["magnitude_index"] == 6]
    partner = rows["partner_id"].map({s: i for i, s in enumerate(ids)}).to_numpy()
    again = relative_invariance(
        torch.from_numpy(original), torch.from_numpy(transformed[:, 6]), partner
    )
    np.testing.assert_allclose(rows["invariance_cos"], again["invariance_cos"], rtol=1e-12)


def test_corrupt_images_are_skipped_and_named_or_refused(tmp_path, corrupt_folder, caplog):
    root = run_sweep(config(tmp_path, corrupt_folder, transforms="rotate", samples=100))
    skipped = (root / "skipped_images.tsv").read_text()
    assert "broken.jpg" in skipped and "broken.jpg" in caplog.text
    samples = pd.read_parquet(root / "samples.parquet")
    assert len(samples) == 16 and "bee/broken.jpg" not in set(samples["sample_id"])
    with pytest.raises(ValueError, match="unreadable image .*broken.jpg.*drop --strict"):
        run_sweep(
            config(
                tmp_path, corrupt_folder, "strict", transforms="rotate", samples=100, strict=True
            )
        )


def test_flat_folder_has_unknown_labels(tmp_path, image_folder):
    flat = tmp_path / "flat"
    flat.mkdir()
    for path in (image_folder / "ant").iterdir():
        (flat / path.name).write_bytes(path.read_bytes())
    root = run_sweep(config(tmp_path, flat, transforms="rotate", samples=5))
    assert set(pd.read_parquet(root / "scores.parquet")["label"]) == {-1}


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"models": ["resnet_eighteen"]}, "unknown model 'resnet_eighteen'"),
        ({"transforms": "spin"}, "unknown transform or preset 'spin'.*presets: paper"),
        ({"transforms": "rotate", "magnitudes": [0, 500]}, "magnitude 500 out of range"),
        (
            {"transforms": "rotate,shearX", "magnitudes": [0, 5]},
            "explicit magnitudes need a single transform",
        ),
        ({"data": "/nonexistent/folder"}, "does not exist"),
        ({"samples": 1}, "at least 2"),
        ({"models": ["a=test_byobnet", "a=resnet18"]}, "labels must be unique"),
        ({"device": "cuda:0"} if not torch.cuda.is_available() else {"device": "nope"}, "device"),
    ],
)
def test_bad_input_gets_a_clear_message(tmp_path, image_folder, overrides, message):
    with pytest.raises((ValueError, FileNotFoundError, RuntimeError), match=message):
        settings = {
            **TINY,
            "data": str(image_folder),
            "out": str(tmp_path / "run"),
            "transforms": "rotate",
        }
        run_sweep(SweepConfig(**{**settings, **overrides}))


def test_empty_folder_and_unfitting_checkpoint(tmp_path, image_folder):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no images"):
        run_sweep(config(tmp_path, tmp_path / "empty", transforms="rotate"))
    import timm

    checkpoint = tmp_path / "ten_classes.pth"
    torch.save(
        {
            "arch": "test_byobnet",
            "num_classes": 10,
            "state_dict": timm.create_model("test_byobnet", num_classes=10).state_dict(),
        },
        checkpoint,
    )
    root = run_sweep(
        config(
            tmp_path, image_folder, "ckpt", models=[f"trained={checkpoint}"], transforms="rotate"
        )
    )
    assert set(pd.read_parquet(root / "scores.parquet")["model"]) == {"trained"}
    with pytest.raises(ValueError, match="does not fit architecture 'resnet18'"):
        run_sweep(
            config(
                tmp_path,
                image_folder,
                "bad",
                models=[f"resnet18@{checkpoint}"],
                transforms="rotate",
            )
        )
