"""Training: beats chance, resumes exactly, refuses bad options with clear messages."""

import json

import pytest
import torch

from fastinv.datasets import DatasetConfig, generate
from fastinv.train import TrainConfig, train
from fastinv.train.checkpoint import load

EPOCHS = 6


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    # 4 classes (disc, square, arrow, cross) x 48 images at 32 px: chance is 0.25.
    config = DatasetConfig(
        image_size=32, train_per_class=48, val_per_class=16, num_classes=4, seed=1
    )
    return generate(tmp_path_factory.mktemp("data") / "tiny", config)


def tiny_config(data, out, **overrides) -> TrainConfig:
    options = dict(
        data=str(data),
        out=str(out),
        arch="resnet10t",
        model_kwargs={"channels": [16, 32, 64, 128]},
        image_size=32,
        epochs=EPOCHS,
        batch_size=32,
        optimizer="adamw",
        lr=0.01,
        weight_decay=0.01,
        workers=0,
        augment="None",
    )
    return TrainConfig(**{**options, **overrides})


@pytest.fixture(scope="module")
def reference_run(tiny_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("reference")
    return out, train(tiny_config(tiny_data, out))


def test_training_beats_chance(reference_run):
    out, summary = reference_run
    rows = json.loads((out / "metrics.json").read_text())
    assert [r["epoch"] for r in rows] == list(range(EPOCHS))
    assert (out / "metrics.csv").read_text().count("\n") == EPOCHS + 1
    # 64 validation images, chance 0.25: 0.4 is about 3 binomial standard deviations above it.
    assert summary["final"]["val_top1"] >= 0.4, rows
    assert rows[-1]["train_loss"] < rows[0]["train_loss"] - 0.2
    assert rows[-1]["lr"] < rows[0]["lr"]  # cosine schedule

    # The checkpoint is the contract the sweep reads: timm name, classes, clean state dict.
    state = load(out / "checkpoint.pt")
    assert (
        state["arch"] == "resnet10t" and state["num_classes"] == 4 and state["epoch"] == EPOCHS - 1
    )
    assert not any(k.startswith(("module.", "_orig_mod.")) for k in state["state_dict"])
    import timm

    model = timm.create_model(
        state["arch"], num_classes=state["num_classes"], pretrained=False, **state["model_kwargs"]
    )
    model.load_state_dict(state["state_dict"])


def test_resume_after_interruption_is_exact(tiny_data, reference_run, tmp_path):
    reference_out, _ = reference_run
    config = tiny_config(tiny_data, tmp_path)

    def interrupt(epoch, row):
        if epoch == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(config, on_epoch_end=interrupt)
    assert load(tmp_path / "checkpoint.pt")["epoch"] == 3

    # Without --resume an existing run is refused rather than overwritten.
    with pytest.raises(FileExistsError, match="--resume"):
        train(tiny_config(tiny_data, tmp_path))
    train(tiny_config(tiny_data, tmp_path, resume=True))

    resumed, reference = load(tmp_path / "checkpoint.pt"), load(reference_out / "checkpoint.pt")
    for name, tensor in reference["state_dict"].items():
        assert torch.equal(tensor, resumed["state_dict"][name]), name
    timing = ("epoch_seconds", "images_per_second")
    strip = [{k: v for k, v in row.items() if k not in timing} for row in reference["metrics"]]
    assert [
        {k: v for k, v in row.items() if k not in timing} for row in resumed["metrics"]
    ] == strip


def test_resume_refuses_changed_options(tiny_data, reference_run):
    out, _ = reference_run
    with pytest.raises(ValueError, match="lr"):
        train(tiny_config(tiny_data, out, lr=0.5, resume=True))


def test_bad_options_are_named(tiny_data, tmp_path):
    with pytest.raises(ValueError, match=r"augmentation 'Tx' unknown; valid: .*HC"):
        train(tiny_config(tiny_data, tmp_path, augment="Tx"))
    with pytest.raises(ValueError, match="optimizer 'adam' unknown; valid: sgd, adamw"):
        tiny_config(tiny_data, tmp_path, optimizer="adam")
    with pytest.raises(ValueError, match="schedule 'linear' unknown"):
        tiny_config(tiny_data, tmp_path, schedule="linear")
    with pytest.raises(ValueError, match="unknown timm architecture 'resnet9000'"):
        train(tiny_config(tiny_data, tmp_path, arch="resnet9000"))
    with pytest.raises(FileNotFoundError, match="no train/ sub-folder"):
        train(tiny_config(tmp_path, tmp_path / "out"))


def test_cli_reports_unknown_augmentation(tiny_data, tmp_path, capsys):
    from fastinv.cli import main

    code = main(["train", "--data", str(tiny_data), "--out", str(tmp_path), "--augment", "XY"])
    assert code == 2
    assert "augmentation 'XY' unknown" in capsys.readouterr().err
