#!/usr/bin/env bash
# One command for an NVIDIA GPU machine with fastinv installed (pip install -e ".[dev]"):
#   bash bench/gpu_check.sh
# Sections (each timed and guarded; a failing section is recorded and the next one runs):
#   1. the Triton kernels compiled for this GPU against their PyTorch twins
#   2. the kernel benchmarks (bench/bench_kernels.py, B=256, M=10 and 50)
#   3. model-only throughput: resnet18, resnet50, vit_base_patch16_224 (bf16, channels-last)
#   4. the end-to-end sweep rate on generated JPEGs (fastinv sweep ... --device cuda)
# Writes gpu_check.json (and kernels_cuda.json) to $OUT when set, else bench/results/.
# Budget: under 5 minutes on an H200; each section has its own time limit.
set -euo pipefail

cd "$(dirname "$0")/.."
RESULTS="${OUT:-bench/results}"
mkdir -p "$RESULTS"
export OUT="$RESULTS"
SAMPLES="${FASTINV_CHECK_SAMPLES:-512}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
declare -A STATUS SECONDS_TAKEN

run_section() {  # name, time limit in seconds, command...
    local name="$1" limit="$2"
    shift 2
    local start=$SECONDS
    echo "== $name (limit ${limit}s)"
    if timeout "$limit" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err"; then
        STATUS[$name]=ok
    else
        STATUS[$name]="failed (exit $?)"
        tail -n 20 "$WORK/$name.err" >&2 || true
    fi
    SECONDS_TAKEN[$name]=$((SECONDS - start))
    tail -n 40 "$WORK/$name.out" || true
}

if ! python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    echo "no CUDA GPU visible to torch: nothing to check" >&2
    exit 1
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader > "$WORK/gpu.txt" || true

run_section kernels 120 python bench/gpu_check.py kernels
run_section kernel_bench 150 env FASTINV_BENCH_BATCH=256 FASTINV_BENCH_MAGNITUDES=10,50 \
    python -m pytest bench/bench_kernels.py --benchmark-enable -q -s -p no:cacheprovider -k cuda
run_section models 90 python bench/gpu_check.py models
run_section jpegs 60 python bench/gpu_check.py jpegs "$WORK/data" "$SAMPLES"
sweep_start=$SECONDS
run_section sweep 120 fastinv sweep --data "$WORK/data" --model resnet18 --transforms paper \
    --samples "$SAMPLES" --out "$WORK/run" --device cuda --batch-size 256
sweep_seconds=$((SECONDS - sweep_start))

python - "$WORK" "$RESULTS/gpu_check.json" "$SAMPLES" "$sweep_seconds" <<'PY'
import json, sys
from pathlib import Path

work, target, samples, sweep_seconds = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])

def last_json(name):
    path = work / f"{name}.out"
    for line in reversed(path.read_text().splitlines() if path.exists() else []):
        if line.startswith("{"):
            return json.loads(line)
    return None

kernels_json = target.parent / "kernels_cuda.json"
summary = {
    "gpu": (work / "gpu.txt").read_text().strip() if (work / "gpu.txt").exists() else None,
    "kernels_vs_twins": last_json("kernels"),
    "kernel_benchmarks": json.loads(kernels_json.read_text()) if kernels_json.exists() else None,
    "models": last_json("models"),
    # 14 transforms x 10 magnitudes per sample in the paper preset; the wall time includes start-up.
    "sweep": {"samples": samples, "seconds": sweep_seconds,
              "samples_per_s": samples / sweep_seconds if sweep_seconds else None},
}
target.write_text(json.dumps(summary, indent=2))
print(f"wrote {target}")
PY
for name in kernels kernel_bench models jpegs sweep; do
    echo "$name: ${STATUS[$name]} in ${SECONDS_TAKEN[$name]}s"
done
[[ "${STATUS[kernels]}" == ok && "${STATUS[sweep]}" == ok ]]
