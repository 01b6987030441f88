"""Every Triton kernel compiles ahead of time for sm_80 and sm_90 (no GPU needed).

The compilation runs in a subprocess without TRITON_INTERPRET: under the interpreter the kernels
are interpreted functions that ``triton.compile`` cannot lower.
"""

import json
import os
import subprocess
import sys

from fastinv.kernels.appearance_ops import APPEARANCE_OPS
from fastinv.kernels.warp_triton import PADDING_CODES


def test_every_kernel_compiles_for_sm80_and_sm90(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    env["TRITON_CACHE_DIR"] = str(tmp_path)  # a fresh cache: compile for real, never reuse
    run = subprocess.run(
        [sys.executable, "-m", "fastinv.kernels._aot", "80", "90"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    results = [json.loads(line) for line in run.stdout.splitlines()]
    by_arch = {arch: [r for r in results if r["arch"] == arch] for arch in (80, 90)}
    assert len(by_arch[80]) == len(by_arch[90]) == len(results) // 2 > 10
    assert all(r["cubin_bytes"] > 1000 for r in results)
    names = " ".join(r["name"] for r in results)
    triton_ops = [name for name, op in APPEARANCE_OPS.items() if op.triton]
    for word in [*triton_ops, *PADDING_CODES, "bilinear", "nearest", "image stats", "C=1"]:
        assert word in names, f"no compiled variant covers {word!r}"
    kernels = {r["kernel"] for r in results}
    assert kernels == {"warp_affine_kernel", "adjust_appearance_kernel", "image_stats_kernel"}
