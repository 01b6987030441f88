"""Embedding modules for the factors tests, and a small network trained without augmentation."""

import numpy as np
import torch
from fastinv.pipelines.loader import IMAGENET_MEAN, IMAGENET_STD
from PIL import Image
from torch import nn


class PooledPixels(nn.Module):
    """Embedding = the normalised image average-pooled to 8x8: similarity in pixel space."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return nn.functional.adaptive_avg_pool2d(images, 8).flatten(1)


class ShapeBlind(nn.Module):
    """A stand-in 'untrained' model: colour statistics only."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return torch.cat([images.mean((2, 3)), images.std((2, 3))], 1)


def _conv(inputs: int, outputs: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(inputs, outputs, 3, padding=1, bias=False), nn.BatchNorm2d(outputs), nn.ReLU()
    )


class SmallConvNet(nn.Module):
    """Six 3x3 conv layers and global average pooling; ``forward`` returns the pooled features
    (the embedding), ``classify`` the logits."""

    def __init__(self, num_classes: int):
        super().__init__()
        self.features = nn.Sequential(
            _conv(3, 32), _conv(32, 32), nn.MaxPool2d(2),
            _conv(32, 64), _conv(64, 64), nn.MaxPool2d(2),
            _conv(64, 128), _conv(128, 128), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )  # fmt: skip
        self.head = nn.Linear(128, num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.features(images)

    def classify(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))


def load_split(folder) -> tuple[torch.Tensor, torch.Tensor]:
    """Every image of an ImageNet-layout split, normalised as the engine does, and its labels."""
    images, labels = [], []
    for label, class_dir in enumerate(sorted(p for p in folder.iterdir() if p.is_dir())):
        for path in sorted(class_dir.glob("*.jpg")):
            images.append(np.asarray(Image.open(path).convert("RGB"), np.float32) / 255.0)
            labels.append(label)
    pixels = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (pixels - mean) / std, torch.tensor(labels)


def train_without_augmentation(
    images: torch.Tensor, labels: torch.Tensor, epochs: int, seed: int = 0
) -> SmallConvNet:
    """SGD with a one-cycle schedule on the images as they are (no augmentation of any kind)."""
    torch.manual_seed(seed)
    net = SmallConvNet(int(labels.max()) + 1)
    batch = 64
    steps = epochs * -(-len(images) // batch)
    optimiser = torch.optim.SGD(
        net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True
    )
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, 0.1, total_steps=steps)
    net.train()
    for _ in range(epochs):
        order = torch.randperm(len(images))
        for start in range(0, len(images), batch):
            index = order[start : start + batch]
            loss = nn.functional.cross_entropy(net.classify(images[index]), labels[index])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
    return net.eval()
