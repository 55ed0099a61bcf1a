"""Human review (clause 9.3 a)): draw items for people, hand them out, take their labels.

Each drawn item goes to two reviewers, blind to each other and to the automatic
scores; disagreements go to an adjudicator. The labels decide the clause, with the
reviewers' agreement (Cohen's kappa), the automatic scorers' agreement with them, and
— while only part of the items is labelled — a prediction-powered estimate that
corrects the automatic rate with the labels (:func:`ppi_mean`).
"""

from ._errors import ReviewError
from ._evidence import HumanEvidence
from ._ppi import PPIEstimate, ppi_mean
from ._redecide import redecide
from ._status import ReviewStatus, export_rows, human_evidence, review_status
from ._tasks import (
    EarlierLabel,
    ReviewTask,
    draw_review,
    human_labels,
    next_task,
    submit_label,
)

__all__ = [
    "EarlierLabel",
    "HumanEvidence",
    "PPIEstimate",
    "ReviewError",
    "ReviewStatus",
    "ReviewTask",
    "draw_review",
    "export_rows",
    "human_evidence",
    "human_labels",
    "next_task",
    "ppi_mean",
    "redecide",
    "review_status",
    "submit_label",
]
