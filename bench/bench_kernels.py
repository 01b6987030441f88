"""Kernel benchmarks: fastinv's batched warp against its peers, B images x M rotation magnitudes.

Run (prints pytest-benchmark's table, then a ratio table; writes bench/results/kernels_<device>.json
or $OUT/kernels_<device>.json):

    python -m pytest bench/bench_kernels.py --benchmark-enable -q -s

Sizes: FASTINV_BENCH_BATCH (default 256 on CUDA, 32 on CPU so a CPU run takes minutes, not an
hour; set 256 for the full-size figures), FASTINV_BENCH_SIZE (224), FASTINV_BENCH_MAGNITUDES
("10,50"). Every peer produces the same thing: B x M warped float images (OpenCV: uint8).
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from fastinv.kernels import warp_affine

from fastinv.transforms import get_transform
from fastinv.transforms.geometry import theta_to_normalized

CUDA = torch.cuda.is_available()
BATCH = int(os.environ.get("FASTINV_BENCH_BATCH", 256 if CUDA else 32))
SIZE = int(os.environ.get("FASTINV_BENCH_SIZE", 224))
MAGNITUDE_COUNTS = [int(m) for m in os.environ.get("FASTINV_BENCH_MAGNITUDES", "10,50").split(",")]
HBM_BYTES_PER_S = float(os.environ.get("FASTINV_BENCH_PEAK_BW", 4.8e12))  # H200
RESULTS: dict[str, dict] = {}
needs_cuda = pytest.mark.skipif(not CUDA, reason="CUDA benchmarks need an NVIDIA GPU")


def _angles(count: int) -> np.ndarray:
    return np.linspace(-180.0, 180.0, count)


def _record(benchmark, device: str, peer: str, count: int, out_bytes_per_image: int | None = None):
    seconds = benchmark.stats.stats.median
    key = f"{device} M={count}"
    row = {"peer": peer, "images_per_s": BATCH * count / seconds, "seconds": seconds}
    if out_bytes_per_image is not None:
        moved = (
            BATCH * 3 * SIZE * SIZE + BATCH * count * out_bytes_per_image
        )  # read once, write all
        row["bandwidth_fraction"] = moved / seconds / HBM_BYTES_PER_S
    RESULTS.setdefault(key, {})[peer] = row


def _run(benchmark, fn, rounds: int):
    benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=1)


@pytest.fixture(scope="module")
def cpu_images():
    generator = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (BATCH, 3, SIZE, SIZE), dtype=torch.uint8, generator=generator)


def _thetas(count: int) -> torch.Tensor:
    return get_transform("rotate").theta(_angles(count), (SIZE, SIZE))


# ---------------------------------------------------------------- CPU
@pytest.mark.parametrize("count", MAGNITUDE_COUNTS)
def test_cpu_fastinv(benchmark, cpu_images, count):
    theta = _thetas(count)
    _run(benchmark, lambda: warp_affine(cpu_images, theta, backend="torch"), rounds=2)
    _record(benchmark, "cpu", "fastinv twin (uint8 -> float32)", count)


@pytest.mark.parametrize("count", MAGNITUDE_COUNTS)
def test_cpu_torchvision_affine_loop(benchmark, cpu_images, count):
    from torchvision.transforms.v2 import functional as TF

    def run():
        return [
            TF.affine(
                cpu_images,
                angle=float(a),
                translate=[0, 0],
                scale=1.0,
                shear=[0.0, 0.0],
                interpolation=TF.InterpolationMode.BILINEAR,
            )
            for a in _angles(count)
        ]

    _run(benchmark, run, rounds=2)
    _record(benchmark, "cpu", "torchvision v2 affine, loop over M (uint8)", count)


@pytest.mark.parametrize("count", MAGNITUDE_COUNTS)
def test_cpu_grid_sample(benchmark, cpu_images, count):
    theta = _thetas(count).numpy()
    normalized = torch.from_numpy(theta_to_normalized(theta, (SIZE, SIZE), (SIZE, SIZE))).float()

    def run():
        images = cpu_images.float().div_(255)
        out = []
        for m in range(count):
            grid = F.affine_grid(
                normalized[m].expand(BATCH, 2, 3), [BATCH, 3, SIZE, SIZE], align_corners=False
            )
            out.append(F.grid_sample(images, grid, align_corners=False))
        return out

    _run(benchmark, run, rounds=2)
    _record(benchmark, "cpu", "affine_grid + grid_sample (float32)", count)


@pytest.mark.parametrize("count", MAGNITUDE_COUNTS)
def test_cpu_kornia(benchmark, cpu_images, count):
    kornia = pytest.importorskip("kornia")
    forward = torch.linalg.inv(
        torch.cat([_thetas(count), torch.tensor([[[0.0, 0, 1]]]).expand(count, 1, 3)], 1)
    )
    forward = forward[:, :2].float()

    def run():
        images = cpu_images.float().div_(255)
        return [
            kornia.geometry.transform.warp_affine(
                images, forward[m].expand(BATCH, 2, 3), (SIZE, SIZE), align_corners=False
            )
            for m in range(count)
        ]

    _run(benchmark, run, rounds=2)
    _record(benchmark, "cpu", "kornia warp_affine (float32)", count)


@pytest.mark.parametrize("count", MAGNITUDE_COUNTS)
def test_cpu_opencv(benchmark, cpu_images, count):
    cv2 = pytest.importorskip("cv2")
    hwc = [np.ascontiguousarray(img.permute(1, 2, 0).numpy()) for img in cpu_images]
    theta = _thetas(count).numpy()
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP

    def run():
        return [
            cv2.warpAffine(img, theta[m], (SIZE, SIZE), flags=flags)
            for img in hwc
            for m in range(count)
        ]

    _run(benchmark, run, rounds=2)
    _record(benchmark, "cpu", "cv2.warpAffine (uint8 -> uint8)", count)


# ---------------------------------------------------------------- CUDA
@pytest.fixture(scope="module")
def cuda_images(cpu_images):
    return cpu_images.cuda() if CUDA else None


def _synced(fn):
    def run():
        out = fn()
        torch.cuda.synchronize()
        return out

    return run


@needs_cuda
@pytest.mark.parametrize("count", MAGNITUDE_COUNTS)
def test_cuda_triton(benchmark, cuda_images, count):
    theta = _thetas(count).cuda()
    kw = dict(
        out_dtype=torch.float16,
        channels_last=True,
        mean=(0.485, 0.456, 0.406),
        std=(0.229, 0.224, 0.225),
    )
    _run(
        benchmark,
        _synced(lambda: warp_affine(cuda_images, theta, backend="triton", **kw)),
        rounds=20,
    )
    _record(
        benchmark,
        "cuda",
        "fastinv Triton (uint8 -> fp16 NHWC, normalised)",
        count,
        3 * SIZE * SIZE * 2,
    )


@needs_cuda
@pytest.mark.parametrize("count", MAGNITUDE_COUNTS)
def test_cuda_compiled_grid_sample(benchmark, cuda_images, count):
    normalized = torch.from_numpy(
        theta_to_normalized(_thetas(count).numpy(), (SIZE, SIZE), (SIZE, SIZE))
    )
    normalized = normalized.float().cuda()

    @torch.compile
    def warp(images, matrices):
        images = (
            images.half()
            .div(255)
            .unsqueeze(1)
            .expand(-1, count, -1, -1, -1)
            .reshape(-1, 3, SIZE, SIZE)
        )
        matrices = matrices.half().expand(BATCH, -1, -1, -1).reshape(-1, 2, 3)
        grid = F.affine_grid(matrices, [BATCH * count, 3, SIZE, SIZE], align_corners=False)
        return F.grid_sample(images, grid, align_corners=False)

    _run(benchmark, _synced(lambda: warp(cuda_images, normalized)), rounds=10)
    _record(
        benchmark,
        "cuda",
        "torch.compile grid_sample(affine_grid) (fp16)",
        count,
        3 * SIZE * SIZE * 2,
    )


@needs_cuda
@pytest.mark.parametrize("count", MAGNITUDE_COUNTS)
def test_cuda_kornia(benchmark, cuda_images, count):
    kornia = pytest.importorskip("kornia")
    forward = torch.linalg.inv(
        torch.cat([_thetas(count), torch.tensor([[[0.0, 0, 1]]]).expand(count, 1, 3)], 1)
    )
    forward = forward[:, :2].float().cuda()

    def run():
        images = cuda_images.float().div_(255)
        return [
            kornia.geometry.transform.warp_affine(
                images, forward[m].expand(BATCH, 2, 3), (SIZE, SIZE), align_corners=False
            )
            for m in range(count)
        ]

    _run(benchmark, _synced(run), rounds=5)
    _record(benchmark, "cuda", "kornia warp_affine (float32)", count, 3 * SIZE * SIZE * 4)


@needs_cuda
@pytest.mark.parametrize("count", MAGNITUDE_COUNTS)
def test_cuda_dali(benchmark, cuda_images, count):
    dali = pytest.importorskip("nvidia.dali")
    from nvidia.dali import fn

    theta = _thetas(count).float().numpy()
    matrices = [theta[m] for _ in range(BATCH) for m in range(count)]  # B*M samples, image-major
    hwc = cuda_images.permute(0, 2, 3, 1).contiguous()
    samples = [hwc[b] for b in range(BATCH) for _ in range(count)]

    @dali.pipeline_def(batch_size=BATCH * count, num_threads=4, device_id=0, prefetch_queue_depth=1)
    def pipeline():
        images = fn.external_source(source=lambda: samples, device="gpu", layout="HWC", batch=True)
        matrix = fn.external_source(source=lambda: matrices, batch=True)
        return fn.warp_affine(
            images,
            matrix=matrix,
            size=[SIZE, SIZE],
            inverse_map=True,
            fill_value=0,
            interp_type=dali.types.INTERP_LINEAR,
            dtype=dali.types.FLOAT16,
        )

    pipe = pipeline()
    pipe.build()
    _run(benchmark, _synced(pipe.run), rounds=5)
    _record(
        benchmark, "cuda", "DALI fn.warp_affine (uint8 HWC -> fp16)", count, 3 * SIZE * SIZE * 2
    )


# ---------------------------------------------------------------- report
@pytest.fixture(scope="module", autouse=True)
def ratio_table(request):
    yield
    if not RESULTS:
        return
    lines = [
        f"\nfastinv kernel benchmarks: B={BATCH}, {SIZE}x{SIZE}, torch {torch.__version__}, "
        f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"
        + (f", {torch.cuda.get_device_name()}" if CUDA else "")
    ]
    for key, rows in RESULTS.items():
        fastinv = next((r for p, r in rows.items() if p.startswith("fastinv")), None)
        lines.append(f"{key}:")
        for peer, row in sorted(rows.items(), key=lambda item: -item[1]["images_per_s"]):
            ratio = (
                f"{fastinv['images_per_s'] / row['images_per_s']:6.2f}x" if fastinv else "   n/a"
            )
            bandwidth = (
                f"  {100 * row['bandwidth_fraction']:5.1f}% of peak BW"
                if "bandwidth_fraction" in row
                else ""
            )
            lines.append(
                f"  {peer:<52} {row['images_per_s']:>12,.0f} img/s   fastinv / this = {ratio}{bandwidth}"
            )
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n".join(lines))
    out_dir = Path(os.environ.get("OUT") or Path(__file__).parent / "results")
    out_dir.mkdir(parents=True, exist_ok=True)
    device = "cuda" if CUDA else "cpu"
    summary = {
        "batch": BATCH,
        "size": SIZE,
        "torch": torch.__version__,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name() if CUDA else None,
        "results": RESULTS,
    }
    (out_dir / f"kernels_{device}.json").write_text(json.dumps(summary, indent=2))
