"""Training under controlled augmentation configurations (METHOD.md section 4), DDP-ready."""

from .checkpoint import CHECKPOINT_NAME
from .config import TrainConfig
from .loop import Trainer, train

__all__ = ["CHECKPOINT_NAME", "TrainConfig", "Trainer", "train"]
