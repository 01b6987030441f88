"""The transform registry: the single source of truth for names, units, grids and identities.

Sweeps, factor discovery and augmentation look transforms up here by name or preset. The study's
13 transforms (``paper.py``) are registered on import; other modules add theirs with
:func:`register` (e.g. the AutoAugment candidates of ``fastinv.factors``).
"""

from __future__ import annotations

from collections.abc import Sequence

from .paper import PAPER_TRANSFORMS
from .transform import APPEARANCE, GEOMETRIC, Transform

__all__ = [
    "APPEARANCE",
    "GEOMETRIC",
    "PRESETS",
    "REGISTRY",
    "Transform",
    "get_transform",
    "register",
    "resolve_transforms",
]

REGISTRY: dict[str, Transform] = {t.name: t for t in PAPER_TRANSFORMS}

PRESETS: dict[str, tuple[str, ...]] = {
    "paper": tuple(REGISTRY),
    "geometric": tuple(n for n, t in REGISTRY.items() if t.family == GEOMETRIC),
    "appearance": tuple(n for n, t in REGISTRY.items() if t.family == APPEARANCE),
}


def register(transform: Transform, presets: Sequence[str] = ()) -> Transform:
    """Add a transform (and optionally list it in presets); refuses to replace an existing name."""
    if transform.name in REGISTRY:
        raise ValueError(f"transform {transform.name!r} is already registered")
    REGISTRY[transform.name] = transform
    for preset in presets:
        PRESETS[preset] = PRESETS.get(preset, ()) + (transform.name,)
    return transform


def get_transform(name: str) -> Transform:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown transform {name!r}; valid: {', '.join(REGISTRY)}") from None


def resolve_transforms(spec: str | Sequence[str]) -> list[Transform]:
    """Transforms from a preset name, a comma-separated list, or a list of names and presets."""
    names = spec.split(",") if isinstance(spec, str) else list(spec)
    out: list[Transform] = []
    for name in (n.strip() for n in names):
        if not name:
            continue
        members = PRESETS.get(name, (name,))
        if name not in PRESETS and name not in REGISTRY:
            raise ValueError(
                f"unknown transform or preset {name!r}; presets: {', '.join(PRESETS)}; "
                f"transforms: {', '.join(REGISTRY)}"
            )
        out.extend(get_transform(m) for m in members if get_transform(m) not in out)
    if not out:
        raise ValueError(f"no transforms selected by {spec!r}")
    return out
