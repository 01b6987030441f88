"""GPU check sections called by ``bench/gpu_check.sh``; each prints one JSON object on stdout.

python bench/gpu_check.py kernels      # compiled Triton kernels against their twins
python bench/gpu_check.py models       # model-only throughput, bf16, channels-last
python bench/gpu_check.py jpegs DIR N  # N random JPEG images in DIR for the sweep section
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch


def check_kernels() -> dict:
    """Max |kernel - twin| for every op and warp mode on a real GPU, at 224 px."""
    from fastinv.kernels import adjust_appearance, warp_affine
    from fastinv.kernels.appearance_ops import APPEARANCE_OPS

    from fastinv.transforms import affine_theta

    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (8, 3, 224, 224), dtype=torch.uint8, generator=generator).cuda()
    theta = torch.from_numpy(
        np.stack(
            [
                affine_theta((224, 224), angle=a, scale=s, translate=(3.5, -2.0))
                for a, s in [(0, 1), (27, 1.2), (90, 0.7), (-135, 1.0)]
            ]
        )
    )
    results = {}
    for interpolation in ("bilinear", "nearest"):
        for padding in ("zeros", "constant", "border", "reflection"):
            kw = dict(
                interpolation=interpolation, padding=padding, fill=0.5, out_dtype=torch.float32
            )
            kernel = warp_affine(images, theta, backend="triton", **kw)
            twin = warp_affine(images, theta, backend="torch", **kw)
            diff = (kernel - twin).abs()
            # nearest may pick the other pixel at float32 half-pixel ties: report the share too
            results[f"warp {interpolation} {padding}"] = {
                "max_abs": diff.max().item(),
                "share_above_1e-4": (diff > 1e-4).float().mean().item(),
            }
    magnitudes = {
        "brightness": [0.5, 1.5],
        "contrast": [0.3, 1.7],
        "saturation": [0.0, 2.0],
        "hue": [-0.3, 0.2],
        "posterize": [3.0, 6.0],
        "solarize": [0.3, 0.8],
    }
    for op in APPEARANCE_OPS:
        kernel = adjust_appearance(images, op, magnitudes[op], backend="triton")
        twin = adjust_appearance(images, op, magnitudes[op], backend="torch")
        results[f"appearance {op}"] = {"max_abs": (kernel - twin).abs().max().item()}
    identity = warp_affine(images, theta[:1], backend="triton", out_dtype=torch.uint8)
    results["identity bit-exact"] = bool(torch.equal(identity, images))
    compared = {k: v for k, v in results.items() if isinstance(v, dict)}
    results["worst_max_abs"] = max(v["max_abs"] for v in compared.values())
    # float32 coordinates on both sides, summed in different orders: 1e-4 on [0, 1] values
    results["ok"] = results["identity bit-exact"] and all(
        v["max_abs"] < 1e-4 for k, v in compared.items() if "nearest" not in k
    )
    return results


def check_models(batch: int = 256, steps: int = 10) -> dict:
    """Forward images/s of timm models (pretrained=False), bf16 autocast, channels-last, 224 px."""
    import timm

    results = {}
    for name in ("resnet18", "resnet50", "vit_base_patch16_224"):
        model = (
            timm.create_model(name, pretrained=False)
            .cuda()
            .eval()
            .to(memory_format=torch.channels_last)
        )
        x = torch.randn(batch, 3, 224, 224, device="cuda").to(memory_format=torch.channels_last)
        with torch.inference_mode(), torch.autocast("cuda", dtype=torch.bfloat16):
            for _ in range(3):
                model(x)
            torch.cuda.synchronize()
            start = time.perf_counter()
            for _ in range(steps):
                model(x)
            torch.cuda.synchronize()
        results[name] = {
            "images_per_s": batch * steps / (time.perf_counter() - start),
            "batch": batch,
        }
        del model
        torch.cuda.empty_cache()
    return results


def make_jpegs(folder: str, count: int) -> dict:
    """``count`` random 256x256 JPEGs in two class folders (an ImageFolder layout)."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for i in range(count):
        path = Path(folder) / f"class_{i % 2}" / f"img_{i:05d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        # Smooth random images (low-frequency noise, upscaled) compress like photos, not like noise.
        small = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
        Image.fromarray(small).resize((256, 256), Image.BILINEAR).save(path, quality=90)
    return {"folder": folder, "images": count}


def main(argv: list[str]) -> int:
    section = argv[0] if argv else ""
    if section == "kernels":
        result = check_kernels()
    elif section == "models":
        result = check_models()
    elif section == "jpegs":
        result = make_jpegs(argv[1], int(argv[2]))
    else:
        print(f"unknown section {section!r}; valid: kernels, models, jpegs", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0 if result.get("ok", True) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
