"""Scorers: from stored responses to scores, one module per family, one registry."""

from ._agreement import Agreement, agreement, calibrate
from ._base import Graded, Scorer
from ._code import pass_at_k
from ._judge import PairVerdict, judge_pair
from ._registry import get_scorer, register_scorer, scorer_names
from ._runner import ScoreResult, ScorerSummary, score_run

__all__ = [
    "Agreement",
    "Graded",
    "PairVerdict",
    "ScoreResult",
    "Scorer",
    "ScorerSummary",
    "agreement",
    "calibrate",
    "get_scorer",
    "judge_pair",
    "pass_at_k",
    "register_scorer",
    "score_run",
    "scorer_names",
]
