"""Assessments: one model against one profile, from sampling to signed verdicts."""

from ._assess import (
    AssessmentOutcome,
    AssessmentsStopped,
    AssessOptions,
    assess,
    assess_models,
    default_out_dir,
)
from ._sample import draw_items, eligible

__all__ = [
    "AssessOptions",
    "AssessmentOutcome",
    "AssessmentsStopped",
    "assess",
    "assess_models",
    "default_out_dir",
    "draw_items",
    "eligible",
]
