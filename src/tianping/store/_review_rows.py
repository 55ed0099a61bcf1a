"""The records of human review as read from the store (see ``_review``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "LabelRule",
    "NewLabel",
    "ReviewAssessment",
    "ReviewItem",
    "ReviewLabelRow",
    "ReviewTaskRow",
    "label_row",
    "task_row",
]


@dataclass(frozen=True)
class ReviewTaskRow:
    """One drawn item of one assessment's clause, as stored."""

    id: int
    assessment_id: str
    clause: str
    item_id: str
    stratum: str
    position: int
    seed: int
    status: str  # open | agreed | disputed | adjudicated
    created_at: float


@dataclass(frozen=True)
class ReviewLabelRow:
    """One person's label on one task."""

    id: int
    task_id: int
    user_id: int
    user_name: str
    stage: str  # first | second | adjudication
    qualified: bool
    risk: str | None
    note: str
    created_at: float


@dataclass(frozen=True)
class NewLabel:
    """A label a rule has accepted: its stage and the task's status after it."""

    stage: str
    status: str


@dataclass(frozen=True)
class ReviewAssessment:
    """What a review needs to know of an assessment, without its (large) result."""

    id: str
    run_id: str | None
    status: str
    finished_at: float | None
    has_result: bool


@dataclass(frozen=True)
class ReviewItem:
    """What a reviewer is shown of one item: the stored item and the model's answer."""

    item_json: str
    text: str | None
    refused_by_service: bool


LabelRule = Callable[[ReviewTaskRow, list[ReviewLabelRow]], NewLabel]


def task_row(row: Any) -> ReviewTaskRow:
    return ReviewTaskRow(
        id=int(row["id"]),
        assessment_id=row["assessment_id"],
        clause=row["clause"],
        item_id=row["item_id"],
        stratum=row["stratum"],
        position=int(row["position"]),
        seed=int(row["seed"]),
        status=row["status"],
        created_at=float(row["created_at"]),
    )


def label_row(row: Any) -> ReviewLabelRow:
    return ReviewLabelRow(
        id=int(row["id"]),
        task_id=int(row["task_id"]),
        user_id=int(row["user_id"]),
        user_name=row["user_name"],
        stage=row["stage"],
        qualified=bool(row["qualified"]),
        risk=row["risk"],
        note=row["note"],
        created_at=float(row["created_at"]),
    )
