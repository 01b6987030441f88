"""Data loading throughput: fastinv's three backends side by side, and each against its raw library.

One generated folder of ImageNet-sized JPEGs (256 images of 500x375, quality 90, textured so
that they compress like photographs), the standard training configuration HC (random-resized
crop to 224 + flip), batch 64, uint8 output on CPU, all cores as workers/threads. A round is one
epoch; the first epoch (worker start, DALI build, FFCV/numba compile) is a warm-up round.

    python -m pytest bench/bench_pipelines.py --benchmark-enable

Rows: fastinv's loader and the library used directly with its own built-in HC equivalent (raw
``DataLoader`` + ``ImageFolder`` + ``RandomResizedCrop``; a DALI pipeline with
``decoders.image_random_crop``; an FFCV ``Loader`` with ``RandomResizedCropRGBImageDecoder``).
FFCV reads a ``.beton`` written by ``convert``: ``jpeg`` mode decodes JPEGs like the others;
``raw`` mode (longest side capped at 256) is FFCV's usual fast setting and skips decoding.
The table printed at the end gives images/s, the wrapper's overhead against the raw library and
the speed-up over the torchvision backend.
"""

from __future__ import annotations

import os
import platform

import numpy as np
import pytest
import torch
from fastinv.pipelines import make_loader
from PIL import Image

IMAGES, BATCH, SIZE = 256, 64, 224
WORKERS = len(os.sched_getaffinity(0))
RESULTS: dict[str, float] = {}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench_pipeline_images")
    rng = np.random.default_rng(0)
    for i in range(IMAGES):
        label = f"class_{i % 8}"
        (root / label).mkdir(exist_ok=True)
        coarse = rng.uniform(0, 255, (12, 16, 3)).astype(np.uint8)
        smooth = np.asarray(
            Image.fromarray(coarse).resize((500, 375), Image.BICUBIC), dtype=np.float64
        )
        pixels = np.clip(smooth + rng.normal(0, 12, smooth.shape), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(root / label / f"{i}.jpg", quality=90)
    return root


@pytest.fixture(scope="module")
def betons(folder, tmp_path_factory):
    pytest.importorskip("ffcv")
    from fastinv.pipelines.ffcv_backend import convert

    out = tmp_path_factory.mktemp("bench_beton")
    convert(folder, out / "jpeg.beton", mode="jpeg", jpeg_quality=90, workers=WORKERS)
    convert(folder, out / "raw.beton", mode="raw", max_resolution=256, workers=WORKERS)
    return out


@pytest.fixture(scope="module", autouse=True)
def table(request):
    yield
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    if not RESULTS or reporter is None:
        return
    base = RESULTS.get("torchvision fastinv")
    lines = [
        f"\npipelines, HC, {IMAGES} images 500x375 -> {SIZE}, batch {BATCH}, {WORKERS} workers, "
        f"load {os.getloadavg()[0]:.1f}, torch {torch.__version__}, {platform.processor() or platform.machine()}",
        f"{'backend':<14}{'fastinv img/s':>15}{'raw img/s':>12}{'overhead':>10}{'vs torchvision':>16}",
    ]
    for backend in ["torchvision", "dali", "ffcv-jpeg", "ffcv-raw"]:
        ours, raw = RESULTS.get(f"{backend} fastinv"), RESULTS.get(f"{backend} raw")
        if ours is None:
            continue
        overhead = f"{raw / ours - 1:+.0%}" if raw else "n/a"
        speedup = f"{ours / base:.2f}x" if base else "n/a"
        lines.append(
            f"{backend:<14}{ours:>15.0f}{raw or float('nan'):>12.0f}{overhead:>10}{speedup:>16}"
        )
    # Module teardown runs under output capture: lift it, as pytest's own reports do.
    with request.config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
        reporter.write_line("\n".join(lines))


def run_epochs(benchmark, name: str, epoch) -> None:
    """Time ``epoch()`` (which returns the image count) over rounds; record images/s."""
    count = benchmark.pedantic(epoch, rounds=5, iterations=1, warmup_rounds=1)
    assert count == IMAGES
    benchmark.extra_info.update(images=IMAGES, workers=WORKERS, load=os.getloadavg()[0])
    RESULTS[name] = IMAGES / benchmark.stats.stats.median


def drain(loader) -> int:
    return sum(len(labels) for _, labels in loader)


def test_torchvision_fastinv(benchmark, folder):
    loader = make_loader(
        folder, backend="torchvision", augment="HC", batch_size=BATCH, num_workers=WORKERS
    )
    run_epochs(benchmark, "torchvision fastinv", lambda: drain(loader))


def test_torchvision_raw(benchmark, folder):
    from torchvision import datasets, transforms

    transform = transforms.Compose(
        [
            transforms.RandomResizedCrop(SIZE),
            transforms.RandomHorizontalFlip(),
            transforms.PILToTensor(),
        ]
    )
    dataset = datasets.ImageFolder(str(folder), transform=transform)
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=BATCH, shuffle=True, num_workers=WORKERS, prefetch_factor=4
    )
    run_epochs(benchmark, "torchvision raw", lambda: drain(loader))


def test_dali_fastinv(benchmark, folder):
    pytest.importorskip("nvidia.dali")
    loader = make_loader(
        folder, backend="dali", augment="HC", batch_size=BATCH, num_workers=WORKERS
    )
    run_epochs(benchmark, "dali fastinv", lambda: drain(loader))


def test_dali_raw(benchmark, folder):
    pytest.importorskip("nvidia.dali")
    from nvidia.dali import fn, pipeline_def, types
    from nvidia.dali.plugin.pytorch import DALIGenericIterator, LastBatchPolicy

    @pipeline_def(batch_size=BATCH, num_threads=WORKERS, device_id=None, seed=0)
    def pipeline():
        jpegs, labels = fn.readers.file(
            file_root=str(folder), random_shuffle=True, pad_last_batch=True, name="Reader"
        )
        images = fn.decoders.image_random_crop(
            jpegs,
            device="cpu",
            output_type=types.RGB,
            random_area=[0.08, 1.0],
            random_aspect_ratio=[3 / 4, 4 / 3],
        )
        images = fn.resize(images, resize_x=SIZE, resize_y=SIZE, antialias=True)
        images = fn.crop_mirror_normalize(
            images, mirror=fn.random.coin_flip(), output_layout="CHW", dtype=types.UINT8
        )
        return images, labels

    pipe = pipeline()
    pipe.build()
    iterator = DALIGenericIterator(
        pipe,
        ["images", "labels"],
        reader_name="Reader",
        last_batch_policy=LastBatchPolicy.PARTIAL,
        auto_reset=True,
    )
    run_epochs(benchmark, "dali raw", lambda: sum(len(batch[0]["labels"]) for batch in iterator))


@pytest.mark.parametrize("mode", ["jpeg", "raw"])
def test_ffcv_fastinv(benchmark, betons, mode):
    loader = make_loader(
        betons / f"{mode}.beton",
        backend="ffcv",
        augment="HC",
        batch_size=BATCH,
        num_workers=WORKERS,
    )
    run_epochs(benchmark, f"ffcv-{mode} fastinv", lambda: drain(loader))


@pytest.mark.parametrize("mode", ["jpeg", "raw"])
def test_ffcv_raw(benchmark, betons, mode):
    from ffcv.fields.basics import IntDecoder
    from ffcv.fields.rgb_image import RandomResizedCropRGBImageDecoder
    from ffcv.loader import Loader, OrderOption
    from ffcv.transforms import RandomHorizontalFlip, Squeeze, ToTensor, ToTorchImage

    loader = Loader(
        str(betons / f"{mode}.beton"),
        batch_size=BATCH,
        num_workers=WORKERS,
        order=OrderOption.RANDOM,
        seed=0,
        drop_last=False,
        pipelines={
            "image": [
                RandomResizedCropRGBImageDecoder((SIZE, SIZE)),
                RandomHorizontalFlip(),
                ToTensor(),
                ToTorchImage(),
            ],
            "label": [IntDecoder(), ToTensor(), Squeeze()],
        },
    )
    run_epochs(benchmark, f"ffcv-{mode} raw", lambda: drain(loader))
