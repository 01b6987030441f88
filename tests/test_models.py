"""Model specs, embeddings and checkpoints."""

from pathlib import Path

import pytest
import torch

from fastinv.models import ModelSpec, fold_batchnorm, load_embedder


def test_spec_parsing():
    assert ModelSpec.parse("resnet18") == ModelSpec("resnet18", "resnet18", None)
    assert ModelSpec.parse("a=resnet18@w.pth") == ModelSpec("a", "resnet18", Path("w.pth"))
    assert ModelSpec.parse("runs/x/checkpoint.pt") == ModelSpec(
        "checkpoint", None, Path("runs/x/checkpoint.pt")
    )
    assert ModelSpec.parse("tv:resnet18").arch == "tv:resnet18"


@pytest.mark.parametrize("arch, dim", [("resnet18", 512), ("tv:resnet18", 512), ("test_vit", 64)])
def test_embedding_is_the_pre_logits_feature(arch, dim):
    embedder = load_embedder(arch)
    with torch.no_grad():
        z = embedder(torch.rand(2, 3, 64, 64) if "vit" not in arch else torch.rand(2, 3, 160, 160))
    assert z.shape == (2, dim)
    if arch == "resnet18":  # timm's pre-logits of a ResNet is the global average pool
        model = embedder.model
        with torch.no_grad():
            x = torch.rand(2, 3, 64, 64)
            pooled = model.forward_features(x).mean(dim=(2, 3))
            torch.testing.assert_close(embedder(x), pooled)


def test_random_init_is_seeded():
    a, b = load_embedder("test_byobnet", seed=3), load_embedder("test_byobnet", seed=3)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)


def test_folded_batchnorm_gives_the_same_embedding():
    embedder = load_embedder("resnet18")
    # Random-init batch norms are identities; give them statistics so folding really changes weights.
    for module in embedder.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    folded = fold_batchnorm(embedder)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    x = torch.rand(3, 3, 64, 64)
    with torch.no_grad():
        expected, got = embedder(x), folded(x)
    # Folding reorders float32 products: relative error of a few 1e-6 on O(1) features.
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)


def test_missing_checkpoint_and_unknown_names(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_embedder(f"resnet18@{tmp_path / 'nope.pth'}")
    with pytest.raises(ValueError, match="unknown torchvision model 'resnet_x'"):
        load_embedder("tv:resnet_x")
    torch.save({"state_dict": {}}, tmp_path / "bare.pt")
    with pytest.raises(ValueError, match="does not record its architecture"):
        load_embedder(str(tmp_path / "bare.pt"))
