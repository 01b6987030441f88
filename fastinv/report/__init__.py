"""Reports drawn from stored tables only: figures and one self-contained HTML page."""

from .figures import invariance_boxplot, save_overview, save_transform_figures
from .html import build_report, headline_table

__all__ = [
    "build_report",
    "headline_table",
    "invariance_boxplot",
    "save_overview",
    "save_transform_figures",
]
