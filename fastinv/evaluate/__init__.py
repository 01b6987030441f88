"""Evaluation of trained checkpoints: accuracy, per-class accuracy and the test-time zoom sweep."""

from .evaluator import EvalConfig, evaluate, load_model
from .zoom import DEFAULT_ZOOMS, draw_areas, zoom_batch

__all__ = ["DEFAULT_ZOOMS", "EvalConfig", "draw_areas", "evaluate", "load_model", "zoom_batch"]
