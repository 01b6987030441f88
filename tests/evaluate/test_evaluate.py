"""Evaluator: tables match a hand computation; the zoom crop matches a float64 reference."""

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from fastinv.datasets import DatasetConfig, generate
from fastinv.evaluate import EvalConfig, draw_areas, evaluate, load_model, zoom_batch
from fastinv.train import TrainConfig, train


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval")
    data = generate(
        root / "data",
        DatasetConfig(image_size=32, train_per_class=24, val_per_class=10, num_classes=4, seed=4),
    )
    train(
        TrainConfig(
            data=str(data),
            out=str(root / "run"),
            arch="resnet10t",
            model_kwargs={"channels": [8, 16, 32, 64]},
            image_size=32,
            epochs=2,
            batch_size=16,
            optimizer="adamw",
            lr=0.01,
            workers=0,
        )
    )
    return data, root / "run" / "checkpoint.pt"


def _zoom_reference(image: np.ndarray, area: float) -> np.ndarray:
    """Float64 bilinear centre zoom, written from the definition: output pixel centre i reads the
    input at (i + 0.5 - S/2) * sqrt(area) + S/2 - 0.5 (pixel-centre coordinates)."""
    channels, size, _ = image.shape
    coords = (np.arange(size) + 0.5 - size / 2) * np.sqrt(area) + size / 2 - 0.5
    low = np.clip(np.floor(coords).astype(int), 0, size - 1)
    high = np.clip(low + 1, 0, size - 1)
    weight = coords - np.floor(coords)
    rows = (
        image[:, low, :] * (1 - weight)[None, :, None] + image[:, high, :] * weight[None, :, None]
    )
    return rows[:, :, low] * (1 - weight)[None, None, :] + rows[:, :, high] * weight[None, None, :]


def test_zoom_batch_matches_references():
    images = torch.rand(3, 3, 32, 32, dtype=torch.float64)
    areas = torch.tensor([1.0, 0.25, 0.37])
    zoomed = zoom_batch(images.float(), areas)
    for i, area in enumerate(areas.tolist()):
        expected = _zoom_reference(images[i].numpy(), area)
        # float32 grid arithmetic against float64: errors of a few 1e-7 on [0, 1] values.
        np.testing.assert_allclose(zoomed[i].double().numpy(), expected, atol=2e-6)
    # Area 1/4 is the centred 16 x 16 crop resized to 32 x 32 (F.interpolate, bilinear) inside the
    # outer ring, where interpolate clamps to the crop and the zoom reads the pixels beside it.
    crop = F.interpolate(
        images[1:2, :, 8:24, 8:24].float(), size=(32, 32), mode="bilinear", align_corners=False
    )
    torch.testing.assert_close(
        zoomed[1:2, :, 1:-1, 1:-1], crop[:, :, 1:-1, 1:-1], atol=1e-5, rtol=0
    )

    areas = draw_areas(4.0, 1000, seed=0, zoom_index=2)
    assert (
        areas.min() >= 1 / 16 and areas.max() <= 1 and abs(areas.mean() - (1 + 1 / 16) / 2) < 0.03
    )
    assert np.array_equal(areas, draw_areas(4.0, 1000, seed=0, zoom_index=2))
    with pytest.raises(ValueError, match="zoom 0.5"):
        draw_areas(0.5, 3, seed=0, zoom_index=0)


def test_tables_match_hand_computation(trained, tmp_path):
    from fastinv.pipelines import make_loader

    data, checkpoint = trained
    tables = evaluate(
        EvalConfig(str(checkpoint), data=str(data), zooms=[1.0, 2.0], workers=0, out=str(tmp_path))
    )
    assert {p.name for p in tmp_path.iterdir()} >= {
        "predictions.parquet",
        "summary.parquet",
        "per_class.parquet",
    }
    assert pd.read_parquet(tmp_path / "summary.parquet").equals(tables["summary"])

    # Hand computation on the same validation images, outside the evaluator's code.
    model, state = load_model(checkpoint)
    loader = make_loader(
        str(data / "val"), train=False, batch_size=64, image_size=32, num_workers=0
    )
    images, labels = next(iter(loader))
    mean, std = (
        torch.tensor(state["mean"]).view(1, 3, 1, 1),
        torch.tensor(state["std"]).view(1, 3, 1, 1),
    )
    with torch.no_grad():
        logits = model((images.float() / 255 - mean) / std).numpy()
    ranked = np.argsort(-logits, axis=1)
    labels = labels.numpy()
    top1, top4 = ranked[:, 0] == labels, (ranked[:, :4] == labels[:, None]).any(1)
    assert top4.all()  # 4 classes: the true one is always among the top 4

    summary = tables["summary"].set_index("zoom")
    assert summary.loc[1.0, "n"] == 40 and summary.loc[2.0, "n"] == 40
    assert summary.loc[1.0, "top1"] == pytest.approx(top1.mean(), abs=1e-12)
    at_one = tables["predictions"].query("zoom == 1.0").sort_values("sample")
    assert np.array_equal(at_one["prediction"].to_numpy(), ranked[:, 0])
    per_class = tables["per_class"].set_index("label")["top1"]
    for label in range(4):
        assert per_class[label] == pytest.approx(top1[labels == label].mean(), abs=1e-12)

    # Zoom 2: the evaluator's recorded crop areas, applied by the float64 reference by hand.
    at_two = tables["predictions"].query("zoom == 2.0").sort_values("sample")
    for sample in (0, 17, 33):
        area = float(at_two["area"].iloc[sample])
        view = _zoom_reference(images[sample].double().numpy() / 255, area)
        with torch.no_grad():
            logit = model((torch.from_numpy(view).float()[None] - mean) / std)
        assert int(logit.argmax()) == int(at_two["prediction"].iloc[sample])


def test_bad_inputs_are_named(trained, tmp_path, capsys):
    from fastinv.cli import main

    data, checkpoint = trained
    with pytest.raises(FileNotFoundError, match="nothere.pt"):
        evaluate(EvalConfig(str(tmp_path / "nothere.pt"), data=str(data), workers=0))
    five = generate(
        tmp_path / "five",
        DatasetConfig(image_size=32, train_per_class=1, val_per_class=2, num_classes=5),
    )
    with pytest.raises(ValueError, match="checkpoint has 4 classes but .* has 5"):
        evaluate(EvalConfig(str(checkpoint), data=str(five), workers=0, out=str(tmp_path / "x")))
    assert main(["eval", str(tmp_path / "missing.pt")]) == 2
    assert "missing.pt" in capsys.readouterr().err
    with pytest.raises(ValueError, match="lacks"):
        torch.save({"weights": {}}, tmp_path / "foreign.pt")
        load_model(tmp_path / "foreign.pt")
