"""Assessments: one model against one profile, from sampling to signed verdicts."""

from ._assess import AssessmentOutcome, AssessOptions, assess, default_out_dir
from ._sample import draw_items, eligible

__all__ = [
    "AssessOptions",
    "AssessmentOutcome",
    "assess",
    "default_out_dir",
    "draw_items",
    "eligible",
]
