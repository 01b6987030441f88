"""A 2-process DDP run on CPU (gloo) under torchrun: it trains and its ranks hold the same weights."""

import json
import os
import subprocess
import sys

from fastinv.datasets import DatasetConfig, generate


def test_torchrun_two_processes_gloo(tmp_path):
    data = generate(
        tmp_path / "data",
        DatasetConfig(image_size=32, train_per_class=32, val_per_class=8, num_classes=4, seed=2),
    )
    out = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "fastinv.cli",
        "-q",
        "train",
        "--data",
        str(data),
        "--out",
        str(out),
        "--arch",
        "resnet10t",
        "--model-kwargs",
        '{"channels": [16, 32, 64, 128]}',
        "--image-size",
        "32",
        "--epochs",
        "3",
        "--batch-size",
        "16",
        "--optimizer",
        "adamw",
        "--lr",
        "0.01",
        "--workers",
        "0",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]

    summary = json.loads((out / "summary.json").read_text())
    assert summary["world_size"] == 2
    first, second = summary["parameter_checksums"]
    assert first == second  # DDP averages gradients: both ranks apply identical updates
    rows = json.loads((out / "metrics.json").read_text())
    # Each epoch covers the 128 training images once across both ranks (4 steps of 16 per rank).
    assert [r["train_images"] for r in rows] == [128, 128, 128]
    assert rows[-1]["train_loss"] < rows[0]["train_loss"]
    assert rows[-1]["val_images"] == 32  # disjoint validation shards, nothing padded
