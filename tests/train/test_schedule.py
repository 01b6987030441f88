"""Learning-rate schedules and optimizer groups, against hand-computed values."""

import math

import pytest
import torch

from fastinv.train import TrainConfig
from fastinv.train.recipe import build_optimizer, lr_factor


def test_cosine_and_warmup():
    config = TrainConfig(epochs=10, schedule="cosine")
    assert lr_factor(config, 0.0) == 1.0
    assert lr_factor(config, 5.0) == pytest.approx(0.5)
    assert lr_factor(config, 2.5) == pytest.approx(0.5 * (1 + math.cos(math.pi / 4)))
    assert lr_factor(config, 10.0) == pytest.approx(0.0, abs=1e-12)
    warm = TrainConfig(epochs=10, schedule="cosine", warmup_epochs=2)
    assert lr_factor(warm, 0.0) == pytest.approx(0.1) and lr_factor(warm, 1.0) == pytest.approx(
        0.55
    )
    assert lr_factor(warm, 2.0) == pytest.approx(1.0) and lr_factor(warm, 6.0) == pytest.approx(0.5)


def test_step_schedule_as_in_the_study():
    # The reference recipe: x0.1 every 30 epochs.
    config = TrainConfig(epochs=90, schedule="step", step_epochs=30, gamma=0.1)
    assert [lr_factor(config, e) for e in (0, 29.9, 30, 59.9, 60, 89)] == pytest.approx(
        [1, 1, 0.1, 0.1, 0.01, 0.01]
    )
    assert lr_factor(TrainConfig(schedule="constant"), 3.3) == 1.0


def test_optimizers_exclude_norms_and_biases_from_decay():
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Linear(4, 2)
    )
    sgd = build_optimizer(
        TrainConfig(optimizer="sgd", lr=0.1, momentum=0.9, weight_decay=1e-4), model
    )
    assert isinstance(sgd, torch.optim.SGD) and sgd.defaults["momentum"] == 0.9
    decay, no_decay = sgd.param_groups
    assert decay["weight_decay"] == 1e-4 and no_decay["weight_decay"] == 0.0
    assert sorted(p.ndim for p in decay["params"]) == [2, 4]  # linear and conv weights
    assert len(no_decay["params"]) == 4  # conv bias, norm weight and bias, linear bias
    adamw = build_optimizer(TrainConfig(optimizer="adamw", lr=1e-3), model)
    assert isinstance(adamw, torch.optim.AdamW)
