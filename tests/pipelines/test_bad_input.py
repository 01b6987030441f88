"""Corrupt files, non-RGB images, empty classes, class mismatches, missing libraries, the CLI."""

import json
import logging
import sys

import numpy as np
import pytest
import torch
from fastinv.pipelines import CorruptImageError, make_loader, scan_folder
from PIL import Image
from pipeline_images import class_image, dominant_channel, needs_dali, needs_ffcv, write_folder

from fastinv.cli import main as cli_main
from fastinv.data import list_images


@pytest.fixture(scope="module")
def corrupt_folder(tmp_path_factory):
    """a/: one good image, one garbage file; b/: one good, one truncated (valid header)."""
    root = tmp_path_factory.mktemp("corrupt")
    (root / "a").mkdir()
    (root / "b").mkdir()
    Image.fromarray(class_image(0, 40, 50)).save(root / "a" / "good.jpg")
    Image.fromarray(class_image(1, 40, 50)).save(root / "b" / "good.jpg")
    Image.fromarray(class_image(1, 200, 300)).save(root / "b" / "whole.jpg")
    data = (root / "b" / "whole.jpg").read_bytes()
    (root / "b" / "whole.jpg").unlink()
    (root / "b" / "truncated.jpg").write_bytes(data[: len(data) * 3 // 4])
    (root / "a" / "garbage.jpg").write_bytes(b"not a jpeg" * 30)
    return root


@pytest.mark.parametrize("backend", ["torchvision", pytest.param("dali", marks=needs_dali)])
def test_corrupt_images_are_named_or_skipped(backend, corrupt_folder, caplog):
    options = dict(
        backend=backend,
        batch_size=4,
        image_size=16,
        train=False,
        num_workers=0 if backend == "torchvision" else 1,
    )
    with pytest.raises((CorruptImageError, RuntimeError), match=r"(garbage|truncated)\.jpg"):
        list(make_loader(corrupt_folder, **options))
    with caplog.at_level(logging.WARNING):
        batches = list(make_loader(corrupt_folder, skip_corrupt=True, **options))
    images = torch.cat([b[0] for b in batches])
    labels = torch.cat([b[1] for b in batches])
    assert labels.tolist() == [0, 1]  # the two good images, each with its own label
    np.testing.assert_array_equal(dominant_channel(images), labels.numpy())
    assert "garbage.jpg" in caplog.text and "truncated.jpg" in caplog.text


@needs_dali
def test_dali_names_a_file_that_fails_while_decoding(corrupt_folder, tmp_path):
    """The header is fine, so only DALI's decoder finds it: the error still names the file."""
    for name in ["a/good.jpg", "b/good.jpg", "b/truncated.jpg"]:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes((corrupt_folder / name).read_bytes())
    with pytest.raises(RuntimeError, match=r"DALI could not decode .*truncated\.jpg"):
        list(
            make_loader(
                tmp_path, backend="dali", batch_size=4, image_size=16, train=False, num_workers=1
            )
        )


@needs_ffcv
def test_convert_names_or_skips_corrupt_images(corrupt_folder, tmp_path):
    from fastinv.pipelines.ffcv_backend import convert

    with pytest.raises(CorruptImageError, match=r"2 unreadable.*garbage\.jpg"):
        convert(corrupt_folder, tmp_path / "x.beton", workers=1)
    assert not (tmp_path / "x.beton").exists()
    meta = convert(corrupt_folder, tmp_path / "x.beton", workers=1, skip_corrupt=True)
    assert meta["count"] == 2 and [p.split("/")[-1] for p in meta["skipped"]] == [
        "garbage.jpg",
        "truncated.jpg",
    ]
    images, labels = next(
        iter(
            make_loader(
                tmp_path / "x.beton",
                backend="ffcv",
                batch_size=4,
                image_size=16,
                train=False,
                num_workers=1,
            )
        )
    )
    assert labels.tolist() == [0, 1]
    np.testing.assert_array_equal(dominant_channel(images), labels.numpy())


@pytest.fixture(scope="module")
def mode_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("modes")
    (root / "a").mkdir()
    rgb = Image.fromarray(class_image(2, 48, 64))
    rgb.convert("L").save(root / "a" / "1_grey.jpg", quality=95)
    rgb.convert("CMYK").save(root / "a" / "2_cmyk.jpg", quality=95)
    rgb.convert("P").save(root / "a" / "3_palette.png")
    rgba = rgb.copy()
    rgba.putalpha(128)
    rgba.save(root / "a" / "4_rgba.png")
    return root, rgb


@pytest.mark.parametrize(
    "backend",
    ["torchvision", pytest.param("dali", marks=needs_dali), pytest.param("ffcv", marks=needs_ffcv)],
)
def test_non_rgb_images_become_rgb(backend, mode_folder, tmp_path):
    root, rgb = mode_folder
    source = root
    if backend == "ffcv":
        from fastinv.pipelines.ffcv_backend import convert

        source = tmp_path / "modes.beton"
        convert(root, source, workers=1)
    loader = make_loader(
        source,
        backend=backend,
        batch_size=8,
        image_size=16,
        train=False,
        num_workers=0 if backend == "torchvision" else 1,
    )
    ((images, labels),) = list(loader)
    assert images.shape == (4, 3, 16, 16)
    # Reference: PIL's conversion of the same files, resized by torchvision. Grey stays grey;
    # CMYK, palette and RGBA (alpha dropped) keep the blue dominant channel. Palette images
    # have sharp colour steps that the backends' resize filters round differently (<= 10).
    reference = torch.cat(
        [b[0] for b in make_loader(root, batch_size=8, image_size=16, train=False, num_workers=0)]
    )
    assert (images.int() - reference.int()).abs().max() <= 10
    assert (
        torch.equal(images[0, 0], images[0, 1])
        or (images[0, 0].int() - images[0, 1].int()).abs().max() <= 1
    )
    assert (dominant_channel(images[1:]) == 2).all()


def test_empty_class_folder_and_class_mismatch(tmp_path):
    write_folder(tmp_path / "train", per_class=1)
    (tmp_path / "train" / "class_9").mkdir()
    with pytest.raises(ValueError, match=r"class folders with no images.*\['class_9'\]"):
        make_loader(tmp_path / "train")
    (tmp_path / "train" / "class_9").rmdir()
    write_folder(tmp_path / "val", per_class=1, classes=2)
    train = make_loader(tmp_path / "train", num_workers=0)
    with pytest.raises(ValueError, match=r"missing \['class_2'\]"):
        make_loader(tmp_path / "val", train=False, classes=train.classes)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        make_loader(tmp_path / "nowhere")


def test_sweeps_and_loaders_see_the_same_classes_and_files(tmp_path):
    # One rule for both: sorted class names, hidden folders and hidden files (macOS resource forks,
    # which no decoder reads) skipped, linked folders followed.
    root = tmp_path / "data"
    write_folder(root, per_class=2, classes=3)
    (root / ".ipynb_checkpoints").mkdir()
    Image.new("RGB", (8, 8)).save(root / ".ipynb_checkpoints" / "x.jpg")
    (root / "class_0" / "._resource_fork.jpg").write_bytes(b"not an image")
    extra = tmp_path / "elsewhere"
    extra.mkdir()
    Image.new("RGB", (8, 8)).save(extra / "linked.jpg")
    (root / "class_1" / "more").symlink_to(extra, target_is_directory=True)

    folder = scan_folder(root)
    records, classes = list_images(root)
    assert folder.classes == classes == ["class_0", "class_1", "class_2"]
    assert folder.files == [str(r.path) for r in records]
    assert folder.labels.tolist() == [r.label for r in records] == [0, 0, 1, 1, 1, 2, 2]
    assert any(f.endswith("more/linked.jpg") for f in folder.files)


@needs_ffcv
def test_ffcv_needs_a_converted_file(tmp_path):
    write_folder(tmp_path / "images", per_class=1)
    with pytest.raises(ValueError, match="convert it first: fastinv convert"):
        make_loader(tmp_path / "images", backend="ffcv")


def test_missing_libraries_name_the_extra(monkeypatch, tmp_path):
    write_folder(tmp_path, per_class=1)
    monkeypatch.setitem(sys.modules, "nvidia.dali", None)
    with pytest.raises(ImportError, match=r"fastinv\[dali\]"):
        make_loader(tmp_path, backend="dali")
    monkeypatch.setitem(sys.modules, "ffcv", None)
    with pytest.raises(ImportError, match=r"libturbojpeg0-dev.*fastinv\[ffcv\]"):
        make_loader(tmp_path / "x.beton", backend="ffcv")


@needs_ffcv
def test_convert_command_caps_resolution_and_reencodes(tmp_path):
    write_folder(tmp_path / "images", per_class=2, sizes=((90, 120),))
    out = tmp_path / "small.beton"
    code = cli_main(
        [
            "-q",
            "convert",
            str(tmp_path / "images"),
            str(out),
            "--mode",
            "jpeg",
            "--max-resolution",
            "60",
            "--jpeg-quality",
            "80",
            "--workers",
            "1",
        ]
    )
    assert code == 0
    meta = json.loads((tmp_path / "small.beton.json").read_text())
    assert meta["mode"] == "jpeg" and meta["max_resolution"] == 60 and meta["count"] == 6
    from ffcv.reader import Reader

    fields = Reader(str(out)).metadata["f0"]
    assert fields["width"].max() == 60 and fields["height"].max() == 45  # 120x90 -> 60x45
    assert (fields["mode"] == 0).all()  # FFCV's code for JPEG
    images, labels = next(
        iter(
            make_loader(
                out, backend="ffcv", batch_size=6, image_size=16, train=False, num_workers=1
            )
        )
    )
    np.testing.assert_array_equal(dominant_channel(images), labels.numpy())
    assert cli_main(["-q", "convert", str(tmp_path / "nowhere"), str(out)]) == 2
