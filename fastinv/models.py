"""Models as embedding functions: the penultimate, globally pooled feature (METHOD.md section 2).

A model spec is ``[label=]arch[@checkpoint]`` or ``[label=]path/to/checkpoint``:

* ``resnet18`` -- a timm architecture (random init unless ``pretrained``);
* ``tv:resnet18`` -- a torchvision architecture;
* ``resnet18@ckpt.pth`` -- an architecture with weights from a local file;
* ``run/checkpoint.pt`` -- a fastinv training checkpoint, which records its architecture.

Checkpoint format written by ``fastinv train``: a dict with ``arch`` (timm name), ``num_classes``,
``model_kwargs`` and ``state_dict``. Plain state dicts and ``{"state_dict": ...}`` / ``{"model": ...}``
wrappers are accepted too, with DDP's ``module.`` and torch.compile's ``_orig_mod.`` prefixes removed.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

log = logging.getLogger(__name__)

CHECKPOINT_SUFFIXES = (".pt", ".pth", ".pth.tar", ".ckpt", ".bin", ".safetensors")
TORCHVISION_PREFIXES = ("tv:", "torchvision:")


@dataclass(frozen=True)
class ModelSpec:
    label: str
    arch: str | None
    checkpoint: Path | None

    @classmethod
    def parse(cls, spec: str) -> ModelSpec:
        label, _, body = spec.rpartition("=") if "=" in spec else ("", "", spec)
        arch, _, checkpoint = body.partition("@")
        if not checkpoint and (arch.endswith(CHECKPOINT_SUFFIXES) or Path(arch).is_file()):
            arch, checkpoint = "", arch
        if not (arch or checkpoint):
            raise ValueError(f"empty model spec {spec!r}; expected [label=]arch[@checkpoint]")
        default_label = arch or Path(checkpoint).stem
        return cls(
            label or default_label,
            arch or None,
            Path(checkpoint).expanduser() if checkpoint else None,
        )

    def __str__(self) -> str:
        body = "@".join(x for x in (self.arch or "", str(self.checkpoint or "")) if x)
        return f"{self.label}={body}"


class Embedder(nn.Module):
    """Wraps a classifier so ``forward`` returns its pre-logits embedding [N, D].

    ``kind`` is ``"timm"`` (pre-logits head of a timm model) or anything else for a module whose
    output already is the embedding (torchvision with its last layer removed, user modules).
    """

    def __init__(self, model: nn.Module, kind: str):
        super().__init__()
        self.model, self.kind = model, kind

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if self.kind == "timm":
            return self.model.forward_head(self.model.forward_features(images), pre_logits=True)
        return self.model(images).flatten(1)


def fold_batchnorm(embedder: Embedder) -> nn.Module:
    """The embedder with batch norms folded into the preceding convolutions, for inference.

    Folding removes one pass over every activation map (about 1.5x faster on CPU for ResNets
    together with channels-last); it changes results only by float rounding. Models that torch.fx
    cannot trace are returned unchanged.
    """
    from torch.fx.experimental.optimization import fuse

    try:
        return fuse(embedder.eval())
    except Exception as error:  # fx tracing fails on data-dependent control flow; not fatal
        log.debug("batch-norm folding skipped for %s: %s", type(embedder.model).__name__, error)
        return embedder


def _strip_prefixes(state_dict: dict) -> dict:
    return {re.sub(r"^(module\.|_orig_mod\.)+", "", k): v for k, v in state_dict.items()}


def read_checkpoint(path: Path) -> dict:
    """Checkpoint as ``{"state_dict": ..., "arch": ..., ...}`` whatever the wrapper."""
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {str(path)!r} does not exist")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return {"state_dict": _strip_prefixes(load_file(str(path)))}
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        # Training checkpoints may hold RNG states and config objects that the safe loader
        # refuses; the file is the user's own, so the full unpickler is acceptable here.
        payload = torch.load(path, map_location="cpu", weights_only=False)
    if not isinstance(payload, dict):
        raise ValueError(
            f"checkpoint {str(path)!r} holds a {type(payload).__name__}, not a state dict"
        )
    for key in ("state_dict", "model", "model_state_dict"):
        if isinstance(payload.get(key), dict):
            return {**payload, "state_dict": _strip_prefixes(payload[key])}
    return {"state_dict": _strip_prefixes(payload)}


def _classifier_classes(state_dict: dict) -> int | None:
    """Number of classes read off the last 2-D weight whose name looks like a classifier head."""
    heads = [
        k for k, v in state_dict.items() if v.ndim == 2 and re.search(r"(fc|head|classifier)", k)
    ]
    return int(state_dict[heads[-1]].shape[0]) if heads else None


def _create_timm(
    arch: str, pretrained: bool, num_classes: int | None, model_kwargs: dict
) -> nn.Module:
    import timm

    if not timm.is_model(arch):
        close = timm.list_models(f"*{arch}*")[:15]
        hint = f"; similar: {', '.join(close)}" if close else "; see timm.list_models()"
        raise ValueError(
            f"unknown model {arch!r} (not a timm architecture, prefix 'tv:' for torchvision){hint}"
        )
    kwargs = dict(model_kwargs)
    if num_classes is not None:
        kwargs["num_classes"] = num_classes
    return timm.create_model(arch, pretrained=pretrained, **kwargs)


def _create_torchvision(arch: str, pretrained: bool, num_classes: int | None) -> nn.Module:
    import torchvision

    name = arch.split(":", 1)[1]
    if name not in torchvision.models.list_models():
        raise ValueError(
            f"unknown torchvision model {name!r}; valid: {', '.join(torchvision.models.list_models())}"
        )
    kwargs = {} if num_classes is None or pretrained else {"num_classes": num_classes}
    model = torchvision.models.get_model(name, weights="DEFAULT" if pretrained else None, **kwargs)
    # Replace the last linear layer with Identity so the output is the pooled embedding.
    for attribute in ("fc", "heads", "head", "classifier"):
        layer = getattr(model, attribute, None)
        if isinstance(layer, nn.Linear):
            setattr(model, attribute, nn.Identity())
            return model
        if isinstance(layer, nn.Sequential) and isinstance(layer[-1], nn.Linear):
            layer[-1] = nn.Identity()
            return model
    raise NotImplementedError(
        f"no known classifier head on torchvision model {name!r}; use its timm version"
    )


def load_embedder(spec: ModelSpec | str, *, pretrained: bool = False, seed: int = 0) -> Embedder:
    """Build the model of ``spec`` in eval mode, seeded so random inits are reproducible."""
    spec = ModelSpec.parse(spec) if isinstance(spec, str) else spec
    checkpoint = read_checkpoint(spec.checkpoint) if spec.checkpoint else None
    arch = spec.arch or (checkpoint or {}).get("arch")
    if arch is None:
        raise ValueError(
            f"checkpoint {str(spec.checkpoint)!r} does not record its architecture; "
            f"give it as ARCH@{spec.checkpoint}"
        )
    num_classes = None
    if checkpoint is not None:
        num_classes = checkpoint.get("num_classes") or _classifier_classes(checkpoint["state_dict"])

    torch.manual_seed(seed)
    is_torchvision = arch.startswith(TORCHVISION_PREFIXES)
    if is_torchvision:
        model = _create_torchvision(arch, pretrained and checkpoint is None, num_classes)
    else:
        model = _create_timm(
            arch,
            pretrained and checkpoint is None,
            num_classes,
            (checkpoint or {}).get("model_kwargs") or {},
        )

    if checkpoint is not None:
        state = checkpoint["state_dict"]
        if is_torchvision:  # the head was replaced by Identity; its weights are not needed
            own = set(model.state_dict())
            state = {k: v for k, v in state.items() if k in own}
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as error:
            detail = str(error).split("\n", 1)[-1].strip()[:600]
            raise ValueError(
                f"checkpoint {str(spec.checkpoint)!r} does not fit architecture {arch!r}: {detail}"
            ) from None
        log.info("loaded %s weights from %s", arch, spec.checkpoint)
    return Embedder(model, "torchvision" if is_torchvision else "timm").eval()
