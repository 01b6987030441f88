"""``fastinv demo``: the main study on the built-in dataset, end to end, in minutes on a CPU."""

from .study import DemoConfig, run_demo

__all__ = ["DemoConfig", "run_demo"]
