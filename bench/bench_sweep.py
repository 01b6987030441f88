"""Sweep throughput: fastinv against a loop written the way the reference code works.

The reference (facebookresearch/grounding-inductive-biases, equivariance_measure) runs, for each
transformation and each batch of 32 images: one forward of the originals, then for each of the 10
magnitudes a torchvision functional op on the normalised batch and a forward. fastinv embeds the
originals once for all transformations, reuses them for identity magnitudes, batches all
magnitudes of a family in one kernel call, and runs channels-last under inference mode.

Run (CPU defaults: resnet18, 224 px, 32 images, 3 transforms; the paper's 13 with
FASTINV_BENCH_TRANSFORMS=paper):

    python -m pytest bench/bench_sweep.py --benchmark-enable -s

Prints transformed images per second of both, their ratio, and the share of fastinv's time spent
outside the model forward.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.transforms import functional as TF

from fastinv.models import load_embedder
from fastinv.sweep import SweepConfig, run_sweep
from fastinv.sweep.measure import normalisation
from fastinv.transforms import resolve_transforms

MODEL = os.environ.get("FASTINV_BENCH_MODEL", "resnet18")
SIZE = int(os.environ.get("FASTINV_BENCH_SIZE", "224"))
SAMPLES = int(os.environ.get("FASTINV_BENCH_SAMPLES", "32"))
TRANSFORMS = os.environ.get("FASTINV_BENCH_TRANSFORMS", "rotate,translateX,posterize")
RESULTS: dict[str, float] = {}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench_images")
    rng = np.random.default_rng(0)
    for i in range(SAMPLES):
        Image.fromarray(rng.integers(0, 255, (SIZE + 32, SIZE + 48, 3), dtype=np.uint8)).save(
            root / f"{i}.jpg"
        )
    return root


def reference_op(name: str, magnitude: float, batch: torch.Tensor) -> torch.Tensor:
    """The reference's per-magnitude torchvision call (on already normalised tensors)."""
    if name in ("posterize",):
        return TF.posterize((batch * 100).to(torch.uint8), int(magnitude)).float() / 100
    if name.endswith("contrast"):
        return TF.adjust_contrast(batch, magnitude)
    if name.endswith("brightness"):
        return TF.adjust_brightness(batch, magnitude)
    if name == "solarize":
        return TF.solarize(batch, magnitude)
    params = {"angle": 0.0, "translate": [0.0, 0.0], "scale": 1.0, "shear": [0.0, 0.0]}
    transform = resolve_transforms(name)[0]
    for key, value in transform.to_affine(magnitude, (SIZE, SIZE)).items():
        params[key] = list(value) if isinstance(value, tuple) else value
    return TF.affine(batch, interpolation=TF.InterpolationMode.BILINEAR, **params)


def reference_loop(images: torch.Tensor) -> int:
    embedder = load_embedder(MODEL)
    mean, std = normalisation(embedder)
    x = TF.normalize(images.float() / 255, mean, std)
    count = 0
    with torch.no_grad():
        for transform in resolve_transforms(TRANSFORMS):
            for start in range(0, len(x), 32):
                batch = x[start : start + 32]
                embedder(batch)
                for magnitude in transform.grid("paper"):
                    embedder(reference_op(transform.name, magnitude, batch))
                    count += len(batch)
    return count


def test_reference_loop(benchmark, folder):
    from fastinv.data import decode_images, list_images

    records, _ = list_images(folder)
    images, _, _ = decode_images(records, SAMPLES, image_size=SIZE, resize_size=SIZE + 32)
    start = time.perf_counter()
    count = benchmark.pedantic(reference_loop, args=(images,), rounds=1, iterations=1)
    RESULTS["reference"] = count / (time.perf_counter() - start)


def test_fastinv_sweep(benchmark, folder, tmp_path, monkeypatch):
    from fastinv.sweep import measure

    # Time the model forwards inside the run itself, so the share outside them is measured under
    # the same machine load as the total.
    forward_seconds = []
    original_forward = measure.Measurement._forward

    def timed_forward(self, batch):
        start = time.perf_counter()
        out = original_forward(self, batch)
        forward_seconds.append(time.perf_counter() - start)
        return out

    monkeypatch.setattr(measure.Measurement, "_forward", timed_forward)
    config = SweepConfig(
        models=[MODEL],
        data=str(folder),
        transforms=TRANSFORMS,
        samples=SAMPLES,
        image_size=SIZE,
        resize_size=SIZE + 32,
        out=str(tmp_path / "run"),
    )
    start = time.perf_counter()
    benchmark.pedantic(run_sweep, args=(config,), rounds=1, iterations=1)
    elapsed = time.perf_counter() - start
    count = SAMPLES * 10 * len(resolve_transforms(TRANSFORMS))  # same count as the reference
    RESULTS["fastinv"] = count / elapsed
    RESULTS["forward_share"] = sum(forward_seconds) / elapsed


def test_report_ratio():
    if not {"reference", "fastinv"} <= set(RESULTS):
        pytest.skip("needs both benchmarks of this module in the same run")
    lines = [
        f"sweep throughput, {MODEL} at {SIZE}px, {SAMPLES} images, transforms {TRANSFORMS}, "
        f"{torch.get_num_threads()} threads",
        f"  reference-style loop : {RESULTS['reference']:8.1f} transformed img/s",
        f"  fastinv run_sweep    : {RESULTS['fastinv']:8.1f} transformed img/s (decode and table writes included)",
        f"  ratio fastinv/ref    : {RESULTS['fastinv'] / RESULTS['reference']:8.2f}x",
        f"  outside model forward: {100 * (1 - RESULTS['forward_share']):8.1f}% of fastinv's time",
    ]
    print("\n" + "\n".join(lines))
