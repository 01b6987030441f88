"""Every backend x configuration on CPU: shapes, dtypes, ranges, labels, agreement, epochs, shards.

DALI runs CPU-only pipelines (device_id=None); FFCV reads a .beton written by ``convert``.
"""

import numpy as np
import pytest
import torch
from fastinv.pipelines import AUGMENTATIONS, IMAGENET_MEAN, IMAGENET_STD, make_loader
from pipeline_images import HAVE_FFCV, dominant_channel, needs_dali, needs_ffcv, write_folder

SIZE = 32
BACKENDS = [
    "torchvision",
    pytest.param("dali", marks=needs_dali),
    pytest.param("ffcv", marks=needs_ffcv),
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("images")
    write_folder(root)  # 3 classes x 4 JPEGs of 56..80 px
    return root


@pytest.fixture(scope="module")
def beton(folder, tmp_path_factory):
    if not HAVE_FFCV:
        pytest.skip("ffcv not installed")
    from fastinv.pipelines.ffcv_backend import convert

    path = tmp_path_factory.mktemp("ffcv") / "images.beton"
    convert(folder, path, mode="raw", workers=2)  # raw: the very pixels PIL decoded
    return path


def loader_for(backend, folder, beton_path, **options):
    source = beton_path if backend == "ffcv" else folder
    options = {
        "batch_size": 5,
        "image_size": SIZE,
        "num_workers": 0 if backend == "torchvision" else 2,
        **options,
    }
    return make_loader(source, backend=backend, **options)


def collect(loader):
    batches = list(loader)
    return (
        torch.cat([b[0] for b in batches]),
        torch.cat([b[1] for b in batches]),
        [len(b[1]) for b in batches],
    )


@pytest.mark.parametrize("augment", list(AUGMENTATIONS))
@pytest.mark.parametrize("backend", BACKENDS)
def test_backend_configuration(backend, augment, folder, request):
    beton_path = request.getfixturevalue("beton") if backend == "ffcv" else None
    loader = loader_for(backend, folder, beton_path, augment=augment, seed=3)
    images, labels, sizes = collect(loader)

    assert len(loader) == 3 and sizes == [5, 5, 2] and loader.num_samples == 12
    assert images.shape == (12, 3, SIZE, SIZE) and images.dtype == torch.uint8
    assert labels.dtype == torch.int64 and sorted(labels.tolist()) == [0] * 4 + [1] * 4 + [2] * 4
    np.testing.assert_array_equal(
        dominant_channel(images), labels.numpy()
    )  # labels match the files
    assert images.float().std() > 5  # textured content, not a constant fill

    if backend == "torchvision":
        return
    # Same seed -> same order and same boxes as torchvision: images nearly equal. Decoders are
    # all libjpeg-turbo (identical here); the antialiased resizes differ (PIL's triangle filter,
    # DALI's linear, OpenCV's INTER_AREA in FFCV) by rounding, <= 2 levels in the interior.
    # Translated boxes meet the zero fill inside the image, where the filters differ most
    # (a sharp 0-to-220 step, seen 14 levels apart): there the bound is a tenth of that step.
    reference, reference_labels, _ = collect(
        loader_for("torchvision", folder, None, augment=augment, seed=3)
    )
    np.testing.assert_array_equal(labels.numpy(), reference_labels.numpy())
    difference = (images.int() - reference.int()).abs().float()
    assert difference.mean() < 0.5
    assert torch.quantile(difference.flatten(), 0.999) <= (
        22 if AUGMENTATIONS[augment].translate else 2
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_epochs_reshuffle_deterministically(backend, folder, request):
    beton_path = request.getfixturevalue("beton") if backend == "ffcv" else None
    loader = loader_for(backend, folder, beton_path, augment="HC", seed=1)
    first_images, first_labels, _ = collect(loader)  # epoch 0, then advances
    second_images, second_labels, _ = collect(loader)  # epoch 1
    assert not torch.equal(first_labels, second_labels)
    assert sorted(first_labels.tolist()) == sorted(second_labels.tolist())
    loader.set_epoch(0)
    again_images, again_labels, _ = collect(loader)
    assert torch.equal(again_labels, first_labels) and torch.equal(again_images, first_images)


@pytest.mark.parametrize("backend", BACKENDS)
def test_validation_shards_are_disjoint_and_complete(backend, folder, request):
    beton_path = request.getfixturevalue("beton") if backend == "ffcv" else None
    whole, whole_labels, _ = collect(loader_for(backend, folder, beton_path, train=False))
    np.testing.assert_array_equal(whole_labels.numpy(), np.repeat([0, 1, 2], 4))  # folder order
    shards = [
        loader_for(backend, folder, beton_path, train=False, rank=r, world_size=2) for r in range(2)
    ]
    parts = [collect(s) for s in shards]
    assert [s.num_samples for s in shards] == [6, 6]
    joined = torch.cat([p[0] for p in parts])
    # Each image is distinct (texture phase), so matching sorted sums means the same multiset.
    key = lambda batch: sorted(batch.reshape(len(batch), -1).long().sum(1).tolist())
    assert key(joined) == key(whole)
    assert torch.equal(parts[0][0], whole[0::2]) and torch.equal(parts[1][0], whole[1::2])


@pytest.mark.parametrize("backend", BACKENDS)
def test_normalised_output(backend, folder, request):
    beton_path = request.getfixturevalue("beton") if backend == "ffcv" else None
    raw, labels, _ = collect(loader_for(backend, folder, beton_path, augment="C", seed=2))
    normalised, labels_n, _ = collect(
        loader_for(backend, folder, beton_path, augment="C", seed=2, normalize=True)
    )
    assert normalised.dtype == torch.float32 and torch.equal(labels, labels_n)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1) * 255
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1) * 255
    # float32 rounding only (DALI normalises inside its pipeline, the others after).
    torch.testing.assert_close(normalised * std + mean, raw.float(), atol=1e-3, rtol=0)


def test_drop_last_and_bad_arguments(folder):
    loader = make_loader(folder, batch_size=5, image_size=SIZE, num_workers=0, drop_last=True)
    assert len(loader) == 2 and [len(b[1]) for b in loader] == [5, 5]
    with pytest.raises(ValueError, match="unknown backend 'tf'.*torchvision, dali, ffcv"):
        make_loader(folder, backend="tf")
    with pytest.raises(ValueError, match="unknown augmentation 'HCC'"):
        make_loader(folder, augment="HCC")
    with pytest.raises(ValueError, match="image_size 300 must lie in 1..resize_size"):
        make_loader(folder, image_size=300, resize_size=256)


def test_torchvision_worker_processes_match_in_process(folder):
    """The torchvision DataLoader with worker processes gives the same batches as in-process."""
    inline = collect(
        make_loader(folder, augment="HC", batch_size=4, image_size=SIZE, num_workers=0)
    )
    workers = collect(
        make_loader(folder, augment="HC", batch_size=4, image_size=SIZE, num_workers=2)
    )
    assert torch.equal(inline[0], workers[0]) and torch.equal(inline[1], workers[1])
