"""Invariance sweeps: configuration, engine and command line."""

from .config import SweepConfig
from .engine import SCORE_COLUMNS, run_sweep

__all__ = ["SCORE_COLUMNS", "SweepConfig", "run_sweep"]
