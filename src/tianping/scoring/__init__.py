"""Scorers: from stored responses to scores, one module per family, one registry."""

from ._base import Graded, Scorer
from ._code import pass_at_k
from ._registry import get_scorer, register_scorer, scorer_names
from ._runner import ScoreResult, ScorerSummary, score_run

__all__ = [
    "Graded",
    "ScoreResult",
    "Scorer",
    "ScorerSummary",
    "get_scorer",
    "pass_at_k",
    "register_scorer",
    "score_run",
    "scorer_names",
]
