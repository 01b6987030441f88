"""``fastinv transforms``: the registry with units, identities, ranges and grids."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", default="paper", help="preset or comma-separated names to list")
    parser.add_argument(
        "--magnitudes", default="paper", help="'paper' or a count N to show dense grids"
    )


def format_registry(preset: str = "paper", magnitudes: str = "paper") -> str:
    from .registry import PRESETS, resolve_transforms

    spec: str | int = int(magnitudes) if magnitudes.isdigit() else magnitudes
    lines = [f"presets: {', '.join(f'{k} ({len(v)})' for k, v in PRESETS.items())}", ""]
    header = f"{'name':<20} {'family':<10} {'parameter':<9} {'unit':<20} {'identity':>8}  {'valid range':<16} grid"
    lines += [header, "-" * len(header)]
    for t in resolve_transforms(preset):
        grid = ", ".join(f"{v:.4g}" for v in t.grid(spec))
        valid = f"[{t.valid_range[0]:g}, {t.valid_range[1]:g}]"
        lines.append(
            f"{t.name:<20} {t.family:<10} {t.parameter:<9} {t.unit:<20} {t.identity:>8g}  {valid:<16} {grid}"
        )
    lines += [
        "",
        "references: " + "; ".join(sorted({f"{t.reference}" for t in resolve_transforms(preset)})),
    ]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    print(format_registry(args.preset, args.magnitudes))
    return 0
