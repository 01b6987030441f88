"""Candidate transformations of factor discovery: (transform, magnitude index) pairs.

``"autoaugment"`` alone means the study's 63 candidates (AutoAugment's policy pairs plus the rescale
grid); any other preset or list of registry names means every index of each grid, or the indices
given. The random signs of signed candidates are fixed by the seed, class and transform, so a
resumed or repeated run draws the same ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fastinv.transforms import Transform, resolve_transforms

from .autoaugment import POLICY_PAIRS, PRESET, invariance_transforms


@dataclass(frozen=True)
class Candidate:
    transform: Transform
    index: int
    magnitude: float

    @property
    def name(self) -> str:
        return f"{self.transform.name}@{self.index}"

    @property
    def signed(self) -> bool:
        return bool(getattr(self.transform, "signed", False))

    @property
    def invariance(self) -> tuple[str, ...]:
        return invariance_transforms(self.transform.name, self.magnitude)


def parse_indices(spec: str | Sequence[int] | None) -> tuple[int, ...] | None:
    """``None``/``"policy"``/``"all"`` -> None (the default set); ``"3,6,9"`` -> (3, 6, 9)."""
    if spec is None or (isinstance(spec, str) and spec.strip() in ("", "policy", "all")):
        return None
    values = spec.split(",") if isinstance(spec, str) else spec
    try:
        return tuple(int(v) for v in values)
    except ValueError:
        raise ValueError(
            f"magnitude indices {spec!r} must be whole numbers like '3,6,9' or 'all'"
        ) from None


def resolve_candidates(
    spec: str | Sequence[str] = PRESET, indices: Sequence[int] | None = None
) -> list[Candidate]:
    """The candidates of ``spec`` (a preset, names, or a comma-separated list of them)."""
    transforms = resolve_transforms(spec)
    policy = indices is None and isinstance(spec, str) and spec.strip() == PRESET
    out = []
    for transform in transforms:
        grid = transform.grid("paper")
        chosen = POLICY_PAIRS.get(transform.name, ()) if policy else (indices or range(len(grid)))
        for index in chosen:
            if not 0 <= index < len(grid):
                raise ValueError(
                    f"magnitude index {index} out of range 0..{len(grid) - 1} for '{transform.name}'"
                )
            out.append(Candidate(transform, int(index), float(grid[index])))
    if not out:
        raise ValueError(f"no candidates selected by {spec!r} with indices {indices}")
    return out


def candidate_signs(
    count: int, seed: int, class_name: str, transform: str, columns: int
) -> np.ndarray:
    """[count, columns] of -1/+1, fixed by (seed, class, transform), as AutoAugment's per-image sign."""
    digest = hashlib.sha256(repr((seed, class_name, transform, "sign")).encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    return rng.choice(np.array([-1, 1]), size=(count, columns))
