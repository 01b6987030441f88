"""Shared fixture: a small built-in dataset with known factors."""

import pytest

from fastinv.datasets import DatasetConfig, generate


@pytest.fixture(scope="session")
def factor_dataset(tmp_path_factory):
    return generate(
        tmp_path_factory.mktemp("factorshapes") / "data",
        DatasetConfig(image_size=32, train_per_class=1, val_per_class=16),
    )
