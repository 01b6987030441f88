"""Training throughput (images/s) with each loader backend: same data, model and augmentation.

The built-in dataset's generator writes one folder (10 classes x 64 JPEGs of 64 x 64 px); each
backend feeds the same Trainer: resnet10t at half width, augmentation HC (random-resized crop +
flip), batch 64, AdamW, float32 on CPU (bf16 autocast on GPU). A round is one training epoch; the
first epoch (worker start, DALI pipeline build, FFCV/numba compile) is a warm-up round.

    python -m pytest bench/bench_train.py --benchmark-enable -s

The table printed at the end gives images/s and the ratio to the torchvision backend. On a small
CPU the model dominates, so the ratios sit near 1; the loaders' own speed is bench_pipelines.py.
"""

from __future__ import annotations

import itertools
import os
import platform

import pytest
import torch

from fastinv.datasets import DatasetConfig, generate
from fastinv.train import TrainConfig, Trainer

BACKENDS = ("torchvision", "dali", "ffcv")
OPTIONAL = {"dali": "nvidia.dali", "ffcv": "ffcv"}
RESULTS: dict[str, float] = {}
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    config = DatasetConfig(image_size=64, train_per_class=64, val_per_class=4, seed=0)
    return generate(tmp_path_factory.mktemp("bench_train") / "data", config)


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    if not RESULTS:
        return
    base = RESULTS.get("torchvision")
    print(
        f"\ntraining throughput, {DEVICE}, {platform.processor() or platform.machine()}, "
        f"{len(os.sched_getaffinity(0))} cores, torch {torch.__version__}"
    )
    print(f"{'backend':<12} {'images/s':>9} {'vs torchvision':>15}")
    for backend, rate in RESULTS.items():
        ratio = f"{rate / base:.2f}x" if base else "n/a"
        print(f"{backend:<12} {rate:>9.1f} {ratio:>15}")


@pytest.mark.parametrize("backend", BACKENDS)
def test_training_epoch(benchmark, backend, data, tmp_path):
    if backend in OPTIONAL:
        pytest.importorskip(OPTIONAL[backend], reason=f"the {backend} backend is not installed")
    config = TrainConfig(
        data=str(data),
        out=str(tmp_path / backend),
        backend=backend,
        augment="HC",
        arch="resnet10t",
        model_kwargs={"channels": [32, 64, 128, 256]},
        image_size=64,
        batch_size=64,
        optimizer="adamw",
        lr=3e-3,
        epochs=100,
        device=DEVICE,
        workers=len(os.sched_getaffinity(0)),
    )
    trainer = Trainer(config)
    epochs = itertools.count()
    row = benchmark.pedantic(lambda: trainer.train_epoch(next(epochs)), rounds=3, warmup_rounds=1)
    seconds = benchmark.stats.stats.median
    RESULTS[backend] = row["train_images"] / seconds
    benchmark.extra_info.update(images=row["train_images"], images_per_second=RESULTS[backend])
