"""Training checkpoints: the contract other commands read, written atomically every epoch.

A checkpoint is ``torch.save`` of a dict with:

* ``arch`` (timm name), ``num_classes``, ``model_kwargs``: rebuild with
  ``timm.create_model(arch, num_classes=num_classes, pretrained=False, **model_kwargs)``;
* ``state_dict``: the model's weights (no DDP ``module.`` or ``torch.compile`` prefix);
* ``classes``: class names in label order; ``mean`` / ``std``: the input normalisation;
* ``epoch`` (last finished, 0-based), ``optimizer``, ``scheduler``, ``rng``, ``config``, ``metrics``:
  what ``--resume`` needs to continue exactly.
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

import numpy as np
import torch

CHECKPOINT_NAME = "checkpoint.pt"


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The plain model inside DDP and torch.compile wrappers."""
    while True:
        inner = getattr(model, "module", None) or getattr(model, "_orig_mod", None)
        if inner is None:
            return model
        model = inner


def clean_state_dict(model: torch.nn.Module) -> dict:
    state = unwrap(model).state_dict()
    return {re.sub(r"^(module\.|_orig_mod\.)+", "", k): v.detach().cpu() for k, v in state.items()}


def rng_state() -> dict:
    state = {
        "torch": torch.get_rng_state(),
        "numpy": np.random.get_state(),
        "python": random.getstate(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_atomic(payload: dict, path: Path) -> None:
    """Write to a temporary file in the same folder, then rename: a crash leaves the old file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    torch.save(payload, temporary)
    os.replace(temporary, path)


def load(path: Path) -> dict:
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {str(path)!r} does not exist")
    # Checkpoints hold RNG states (numpy arrays, tuples); they are the user's own files.
    return torch.load(path, map_location="cpu", weights_only=False)
