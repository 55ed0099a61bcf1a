"""Human review (clause 9.3) over the API: where a clause's review stands, the caller's
next item, and their label. The logic, and its rules, live in :mod:`tianping.review`."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ..core import ConfigError, TianpingError
from ..review import (
    ReviewError,
    ReviewTask,
    next_task,
    redecide,
    review_status,
    submit_label,
)
from ..store import Store
from ._api_common import ERRORS, Reviewer, RowId, Viewer, store_of
from ._auth import HTTPError

router = APIRouter(tags=["reviews"], responses=ERRORS)
log = logging.getLogger("tianping.server")

ClauseParam = Annotated[str, Query(min_length=1, max_length=40, description="A human clause.")]


class EarlierLabelOut(BaseModel):
    stage: str
    qualified: bool
    risk: str | None
    note: str


class ReviewTaskOut(BaseModel):
    """An item as its reviewer sees it: never the automatic scores, nor other people's
    labels (except the two in dispute, for the adjudicator)."""

    id: int
    assessment_id: str
    clause: str
    item_id: str
    position: int
    stratum: str
    stage: str
    prompt: str
    messages: list[dict[str, str]]
    response: str | None
    refused_by_service: bool
    risk: str | None
    lang: str | None
    earlier: list[EarlierLabelOut]
    labelled: bool


class NextTask(BaseModel):
    task: ReviewTaskOut | None = Field(description="Null when nothing is left for you.")


class LabelIn(BaseModel):
    qualified: bool
    risk: Annotated[
        str | None, Field(max_length=8, description="The item's risk id (Appendix A), if any.")
    ] = None
    note: Annotated[str, Field(max_length=2000)] = ""


class ReviewStatusOut(BaseModel):
    """Counts, agreement (Cohen's kappa), the automatic scorers' agreement with people,
    the prediction-powered estimate while only part is labelled, and the verdict."""

    assessment_id: str
    clause: str
    seed: int | None
    tasks: int
    counts: dict[str, int]
    population: int
    exact_population: bool
    labelled: int
    qualified: int
    reviewer_agreement: dict[str, Any] | None
    auto_agreement: dict[str, Any]
    ppi: dict[str, Any] | None
    reviewers: dict[str, int]
    verdict: dict[str, Any]


def _redecide(store: Store, assessment_id: str) -> None:
    """Decide the assessment's human clauses again after a label (as the review page and
    ``tianping review label`` do), so its stored verdict and the catalog follow the
    labels. A failure must not lose the label: it is logged, and a later label or
    ``tianping review status`` decides again."""
    if store.get_assessment(assessment_id).result is None:
        return
    try:
        redecide(store, assessment_id)
    except TianpingError as exc:
        log.warning("could not re-decide %s after a label: %s", assessment_id, exc)


def _out(task: ReviewTask) -> ReviewTaskOut:
    return ReviewTaskOut.model_validate(task.to_json())


@router.get(
    "/assessments/{assessment_id}/review",
    response_model=ReviewStatusOut,
    summary="Where a clause's human review stands",
)
def get_review_status(
    request: Request, assessment_id: str, _user: Viewer, clause: ClauseParam = "9.3-manual"
) -> ReviewStatusOut:
    """The clause's verdict as its labels decide it now, with the evidence behind it."""
    status = review_status(store_of(request), assessment_id, clause)
    return ReviewStatusOut.model_validate(status.to_json())


@router.get("/reviews/next", response_model=NextTask, summary="Your next item to label")
def get_next_task(
    request: Request,
    user: Reviewer,
    assessment: Annotated[
        str | None, Query(max_length=40, description="Only this assessment's items.")
    ] = None,
) -> NextTask:
    """Disputed items first (for an adjudicator), then items with one label, then the
    rest. Never an item you have labelled."""
    task = next_task(store_of(request), user, assessment)
    return NextTask(task=None if task is None else _out(task))


@router.post(
    "/reviews/{task_id}/labels",
    response_model=ReviewTaskOut,
    status_code=201,
    summary="Label an item",
    responses={409: {"description": "The review rules do not allow this label."}},
)
async def post_label(
    request: Request, task_id: RowId, body: LabelIn, user: Reviewer
) -> ReviewTaskOut:
    """Qualified or not, the item's risk and a note. The stage (first, second,
    adjudication) follows from the labels before; an item's two labels come from two
    different people, and a dispute is settled by an admin or assessor."""

    def label() -> ReviewTask:
        store = store_of(request)
        try:
            store.get_review_task(task_id)
        except ConfigError as exc:  # an unknown task: 404, not a broken rule
            raise HTTPError(404, "not found", str(exc)) from exc
        done = submit_label(
            store, task_id, user, qualified=body.qualified, risk=body.risk, note=body.note
        )
        _redecide(store, done.assessment_id)
        return done

    try:
        task = await run_in_threadpool(label)
    except ReviewError as exc:
        raise HTTPError(409, "cannot label", str(exc)) from exc
    return _out(task)
