"""Ahead-of-time compilation of every Triton kernel for chosen GPU architectures, with no GPU.

``python -m fastinv.kernels._aot 80 90`` compiles each kernel in ``specs()`` to a cubin for sm_80
and sm_90 and prints one JSON line per compilation. The tests run it in a subprocess without
``TRITON_INTERPRET``: under the interpreter ``@triton.jit`` yields interpreted functions, which
``triton.compile`` cannot lower. The specs cover every value of every constexpr switch at least
once (op codes, paddings, interpolations, dtypes, channel counts), so a branch that would not
build on a GPU fails here.
"""

from __future__ import annotations

import json
import sys
import time

import triton
from triton.backends.compiler import GPUTarget

from .appearance_ops import APPEARANCE_OPS
from .appearance_triton import BLOCK as APPEARANCE_BLOCK
from .appearance_triton import STATS_BLOCK, adjust_appearance_kernel, image_stats_kernel
from .warp_triton import BLOCK as WARP_BLOCK
from .warp_triton import PADDING_CODES, warp_affine_kernel

_POINTER = {"uint8": "*u8", "float32": "*fp32", "float16": "*fp16", "bfloat16": "*bf16"}
# Shapes as i32, strides as i64: the launch passes strides past 2^31 as i64, so that path builds.
_STRIDES = ("i64",) * 8


def _signature(fn, types, constexprs):
    names = fn.arg_names
    runtime = [n for n in names if n not in constexprs]
    if len(runtime) != len(types):
        raise ValueError(f"{fn.__name__}: {len(types)} types for {len(runtime)} runtime arguments")
    signature = dict(zip(runtime, types, strict=True))
    signature.update({n: "constexpr" for n in constexprs})
    return {n: signature[n] for n in names}


def _dtype_flags(in_dtype: str, out_dtype: str) -> dict:
    """The constexprs every kernel takes from its input and output dtypes (uint8 output is not
    normalised)."""
    return {
        "IN_UINT8": in_dtype == "uint8",
        "OUT_UINT8": out_dtype == "uint8",
        "NORMALISE": out_dtype != "uint8",
    }


def _warp_spec(in_dtype, out_dtype, channels, bilinear, padding):
    constexprs = {
        "C": channels,
        "BILINEAR": bilinear,
        "PADDING": PADDING_CODES[padding],
        **_dtype_flags(in_dtype, out_dtype),
        "BLOCK": WARP_BLOCK,
    }
    # src, theta, fill, mean, std, out; H, W, out_h, out_w, M, theta_batch_stride; strides
    types = (_POINTER[in_dtype], *["*fp32"] * 4, _POINTER[out_dtype], *["i32"] * 6) + _STRIDES
    name = f"warp {in_dtype}->{out_dtype} C={channels} {'bilinear' if bilinear else 'nearest'} {padding}"
    return name, warp_affine_kernel, _signature(warp_affine_kernel, types, constexprs), constexprs


def _appearance_spec(op, in_dtype, out_dtype, channels):
    spec = APPEARANCE_OPS[op]
    constexprs = {
        "C": channels,
        "OP": spec.code,
        "NEEDS_STATS": spec.needs_stats,
        **_dtype_flags(in_dtype, out_dtype),
        "BLOCK": APPEARANCE_BLOCK,
    }
    # src, magnitudes, stats, mean, std, out; H, W, M, magnitude and stats strides; strides
    types = (_POINTER[in_dtype], *["*fp32"] * 4, _POINTER[out_dtype], *["i32"] * 5) + _STRIDES
    name = f"appearance {op} {in_dtype}->{out_dtype} C={channels}"
    fn = adjust_appearance_kernel
    return name, fn, _signature(fn, types, constexprs), constexprs


def _stats_spec(in_dtype, channels):
    constexprs = {"C": channels, "IN_UINT8": in_dtype == "uint8", "BLOCK": STATS_BLOCK}
    types = (_POINTER[in_dtype], "*fp32", "i32", "i32", "i64", "i64", "i64", "i64", "i32")
    name = f"image stats {in_dtype} C={channels}"
    return name, image_stats_kernel, _signature(image_stats_kernel, types, constexprs), constexprs


def specs():
    """(name, kernel, signature, constexprs) for every compiled variant."""
    out = [
        _warp_spec("uint8", "float16", 3, True, "zeros"),
        _warp_spec("uint8", "bfloat16", 3, True, "constant"),
        _warp_spec("uint8", "float32", 3, True, "border"),
        _warp_spec("float32", "uint8", 1, True, "reflection"),
        _warp_spec("uint8", "uint8", 3, False, "zeros"),
        _warp_spec("float16", "float32", 3, False, "reflection"),
    ]
    dtypes = [("uint8", "float16"), ("float32", "bfloat16"), ("uint8", "uint8")]
    for i, op in enumerate(name for name, spec in APPEARANCE_OPS.items() if spec.triton):
        in_dtype, out_dtype = dtypes[i % len(dtypes)]
        out.append(_appearance_spec(op, in_dtype, out_dtype, 3))
    out.append(_appearance_spec("hue", "uint8", "float32", 1))
    out.append(_stats_spec("uint8", 3))
    out.append(_stats_spec("float32", 1))
    return out


def compile_all(archs=(80, 90)):
    """Compile every spec for every architecture; yields one result dict per compilation."""
    for arch in archs:
        for name, fn, signature, constexprs in specs():
            start = time.perf_counter()
            source = triton.compiler.ASTSource(fn=fn, signature=signature, constexprs=constexprs)
            compiled = triton.compile(source, target=GPUTarget("cuda", arch, 32))
            yield {
                "name": name,
                "arch": arch,
                "seconds": round(time.perf_counter() - start, 3),
                "cubin_bytes": len(compiled.asm["cubin"]),
                "kernel": compiled.metadata.name,
            }


def main(argv=None):
    archs = [int(a) for a in (argv if argv is not None else sys.argv[1:])] or [80, 90]
    for result in compile_all(archs):
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
