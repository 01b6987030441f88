"""Factor discovery throughput: fastinv against a loop written the way the reference code works.

The reference (similarity_search_experiments) takes each batch of 32 same-class images, splits it
into pairs, embeds both halves, then for each candidate applies the PIL operation to each second
image one at a time, converts back to a tensor and runs a forward pass per candidate. fastinv
decodes and embeds each image once and applies all magnitudes of a transform to all pairs in one
batched kernel call before large forward passes.

Same images (one built-in class, decoded once for both), same model, same 63 candidates.

    python -m pytest bench/bench_factors.py --benchmark-enable -s

Environment: FASTINV_BENCH_MODEL (resnet10t), FASTINV_BENCH_SIZE (64), FASTINV_BENCH_PAIRS (16).
"""

from __future__ import annotations

import os
import random

import pytest
import torch
from PIL import Image, ImageEnhance, ImageOps
from torchvision.transforms import functional as TF

from fastinv.data import decode_images, list_images
from fastinv.datasets import DatasetConfig, generate
from fastinv.factors.candidates import resolve_candidates
from fastinv.factors.deltas import PairEmbedder, class_deltas, cosine
from fastinv.models import load_embedder

MODEL = os.environ.get("FASTINV_BENCH_MODEL", "resnet10t")
SIZE = int(os.environ.get("FASTINV_BENCH_SIZE", "64"))
PAIRS = int(os.environ.get("FASTINV_BENCH_PAIRS", "16"))
RESULTS: dict[str, float] = {}
GREY = (128, 128, 128)


def _affine(image, data, resample=Image.BILINEAR):
    return image.transform(image.size, Image.AFFINE, data, resample, fillcolor=GREY)


def _pil_op(name: str, m: float, sign: int):
    """The PIL operation of one AutoAugment candidate, as the reference applied it."""
    s = sign * m
    ops = {
        "ShearX": lambda im: _affine(im, (1, s, 0, 0, 1, 0), Image.BICUBIC),
        "ShearY": lambda im: _affine(im, (1, 0, 0, s, 1, 0), Image.BICUBIC),
        "TranslateX": lambda im: _affine(im, (1, 0, s * im.size[0], 0, 1, 0)),
        "TranslateY": lambda im: _affine(im, (1, 0, 0, 0, 1, s * im.size[1])),
        "Rotate": lambda im: im.rotate(m, fillcolor=GREY),
        "rescale": lambda im: TF.affine(im, 0.0, [0, 0], m, 0.0),
        "Color": lambda im: ImageEnhance.Color(im).enhance(1 + s),
        "Contrast": lambda im: ImageEnhance.Contrast(im).enhance(1 + s),
        "Brightness": lambda im: ImageEnhance.Brightness(im).enhance(1 + s),
        "Sharpness": lambda im: ImageEnhance.Sharpness(im).enhance(1 + s),
        "Posterize": lambda im: ImageOps.posterize(im, int(m)),
        "Solarize": lambda im: ImageOps.solarize(im, m),
        "AutoContrast": ImageOps.autocontrast,
        "Equalize": ImageOps.equalize,
        "Invert": ImageOps.invert,
    }
    return ops[name]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    torch.manual_seed(0)
    root = generate(
        tmp_path_factory.mktemp("bench") / "data",
        DatasetConfig(image_size=SIZE, train_per_class=1, val_per_class=2 * PAIRS),
    )
    records = [r for r in list_images(root / "val")[0] if r.label == 0][: 2 * PAIRS]
    images, _, _ = decode_images(
        records, len(records), image_size=SIZE, resize_size=SIZE, workers=1
    )
    embedder = load_embedder(MODEL)
    return images, embedder, resolve_candidates("autoaugment")


def reference_loop(images, embedder, candidates, mean, std):
    x1, x2 = images[:PAIRS], images[PAIRS:]
    normalise = lambda batch: (batch - mean) / std
    with torch.no_grad():
        z1 = embedder(normalise(x1.float() / 255))
        z2 = embedder(normalise(x2.float() / 255))
        cos0 = cosine(z1, z2)
        deltas = []
        for c in candidates:
            pil = [Image.fromarray(x.permute(1, 2, 0).numpy()) for x in x2]
            moved = torch.stack(
                [
                    TF.to_tensor(_pil_op(c.transform.name, c.magnitude, random.choice([-1, 1]))(p))
                    for p in pil
                ]
            )
            deltas.append(cosine(z1, embedder(normalise(moved))) - cos0)
    return torch.stack(deltas)


def fastinv_loop(images, embedder, candidates):
    measure = PairEmbedder(embedder, torch.device("cpu"), 256, "auto")
    embeddings = measure.embed(images)
    return class_deltas(
        measure, embeddings[:PAIRS], embeddings[PAIRS:], images[PAIRS:], candidates, "c0", 0, None
    )


def test_reference_style_loop(benchmark, setup):
    images, embedder, candidates = setup
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    embedder = embedder.eval()
    benchmark.pedantic(
        reference_loop, args=(images, embedder, candidates, mean, std), rounds=2, iterations=1
    )
    RESULTS["reference"] = benchmark.stats.stats.median


def test_fastinv(benchmark, setup):
    images, embedder, candidates = setup
    benchmark.pedantic(
        fastinv_loop, args=(images, embedder.eval(), candidates), rounds=2, iterations=1
    )
    RESULTS["fastinv"] = benchmark.stats.stats.median
    if "reference" in RESULTS:
        count = PAIRS * len(candidates)
        print(
            f"\n{MODEL} {SIZE}px, {PAIRS} pairs x {len(candidates)} candidates on {torch.get_num_threads()} "
            f"threads: reference-style {count / RESULTS['reference']:.0f} pairs*candidates/s, fastinv "
            f"{count / RESULTS['fastinv']:.0f}/s, ratio {RESULTS['reference'] / RESULTS['fastinv']:.2f}x"
        )
