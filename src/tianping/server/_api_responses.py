"""``/assessments/{id}/responses``: an assessment's responses with their scores.

Paginated by item id (a keyset cursor), so a page of an assessment with 100,000
responses costs the same as the first. Raw answers to harmful prompts (should-refuse
items and content-generation items in a risk area) are shown to reviewers and above.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlalchemy import JSON, ColumnElement, and_, cast, exists, func, select

from ..core import normalize_risk
from ..store import Store
from ..store._tables import responses, run_items, runs, scores, suite_items
from ._api_common import (
    ERRORS,
    Cursor,
    Limit,
    Page,
    Viewer,
    decode_cursor,
    harmful,
    page_of,
    sees_raw,
    sees_scores,
    store_of,
)
from ._auth import HTTPError

router = APIRouter(prefix="/assessments", tags=["responses"], responses=ERRORS)


class ScoreOut(BaseModel):
    scorer: str
    scorer_version: str
    value: float | None
    label: str | None
    explanation: str


class ResponseOut(BaseModel):
    """One item of the assessment's sample, the model's answer and its scores.

    ``response`` is null when the item failed, or when it is ``hidden`` from the caller
    (a viewer, on a harmful prompt). ``scores`` are empty for reviewers
    (``scores_hidden``): they label items blind to the automatic scores."""

    item_id: str
    position: int
    risk: str | None
    refuse: bool | None
    prompt: str
    status: str
    response: str | None
    hidden: bool
    refused_by_service: bool
    finish_reason: str | None
    scores: list[ScoreOut]
    scores_hidden: bool


def _risk_expr(store: Store) -> ColumnElement[Any]:
    if store.dialect == "postgresql":
        expr: ColumnElement[Any] = cast(suite_items.c.data, JSON)["risk"].as_string()
    else:
        expr = func.json_extract(suite_items.c.data, "$.risk")
    return expr


def _prompt(item: dict[str, Any]) -> str:
    prompt = item.get("prompt")
    if isinstance(prompt, str):
        return prompt
    users = [
        m.get("content", "")
        for m in item.get("messages") or []
        if isinstance(m, dict) and m.get("role") == "user"
    ]
    return str(users[-1]) if users else ""


def _clause_filter(profile: str, clause: str) -> tuple[str | None, str | None]:
    """The bank role whose items a clause draws and the scorer that decides them."""
    from ..core import TianpingError
    from ..standards import load_profile

    try:
        loaded = load_profile(profile)
    except TianpingError as exc:
        raise HTTPError(
            422,
            "cannot filter by clause",
            f"This assessment's profile {profile!r} cannot be loaded here: {exc}",
        ) from exc
    for c in loaded.profile.clauses:
        if c.id == clause:
            role = c.draw.role if c.draw is not None else None
            scorer = c.scorer if c.scorer not in (None, "auto") and c.kind != "human" else None
            return role, scorer
    known = ", ".join(c.id for c in loaded.profile.clauses)
    raise HTTPError(422, "unknown clause", f"Profile {profile} has no clause {clause!r}: {known}.")


@router.get(
    "/{assessment_id}/responses",
    response_model=Page[ResponseOut],
    summary="An assessment's responses",
)
def list_responses(
    request: Request,
    assessment_id: str,
    user: Viewer,
    clause: Annotated[str | None, Query(max_length=40, description="A clause id.")] = None,
    label: Annotated[str | None, Query(max_length=100, description="A score label.")] = None,
    risk: Annotated[str | None, Query(max_length=8, description="A risk id (A1-1 ...).")] = None,
    status: Literal["done", "failed"] | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ResponseOut]:
    """The responses in item order; filter by clause (its items, and its scorer's scores),
    score label, item risk and status. Reviewers cannot filter by label (they are blind
    to the scores)."""
    key = decode_cursor(cursor, (str,))
    if risk:
        found = normalize_risk(risk)
        if found is None:
            raise HTTPError(422, "unknown risk", f"{risk!r} is not a risk of Appendix A (A1a ...).")
        risk = found
    if label and not sees_scores(user):
        raise HTTPError(403, "forbidden", "Reviewers label blind to the scores: no label filter.")
    store = store_of(request)
    rec = store.get_assessment(assessment_id)
    if rec.run_id is None:
        return Page[ResponseOut](items=[], next=None)
    run_id = rec.run_id
    role, scorer = _clause_filter(rec.profile, clause) if clause else (None, None)
    suite_hash = select(runs.c.suite_hash).where(runs.c.id == run_id).scalar_subquery()
    joined = run_items.join(
        suite_items,
        and_(
            suite_items.c.suite_hash == suite_hash,
            suite_items.c.position == run_items.c.position,
        ),
    ).outerjoin(responses, responses.c.key == run_items.c.request_key)
    where: list[ColumnElement[bool]] = [run_items.c.run_id == run_id]
    if role:
        escaped = role.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(run_items.c.item_id.like(escaped + "/%", escape="\\"))
    if label:
        conds = [scores.c.run_id == run_id, scores.c.item_id == run_items.c.item_id]
        conds.append(scores.c.label == label)
        if scorer:
            conds.append(scores.c.scorer == scorer)
        where.append(exists(select(scores.c.id).where(*conds)))
    if risk:
        where.append(_risk_expr(store) == risk)
    if status:
        where.append(run_items.c.status == status)
    if key is not None:
        where.append(run_items.c.item_id > key[0])
    query = (
        select(
            run_items.c.item_id,
            run_items.c.position,
            run_items.c.status,
            suite_items.c.data,
            responses.c.text,
            responses.c.refused_by_service,
            responses.c.finish_reason,
        )
        .select_from(joined)
        .where(*where)
        .order_by(run_items.c.item_id)
        .limit(limit + 1)
    )
    with store.engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
        ids = [r["item_id"] for r in rows[:limit]]
        by_item: dict[str, list[ScoreOut]] = {}
        if ids and sees_scores(user):
            q = select(
                scores.c.item_id,
                scores.c.scorer,
                scores.c.scorer_version,
                scores.c.value,
                scores.c.label,
                scores.c.explanation,
            ).where(scores.c.run_id == run_id, scores.c.item_id.in_(ids))
            if scorer:
                q = q.where(scores.c.scorer == scorer)
            for s in conn.execute(q.order_by(scores.c.item_id, scores.c.scorer)).mappings():
                by_item.setdefault(s["item_id"], []).append(
                    ScoreOut(
                        scorer=s["scorer"],
                        scorer_version=s["scorer_version"],
                        value=s["value"],
                        label=s["label"],
                        explanation=s["explanation"] or "",
                    )
                )
    raw = sees_raw(user)
    items = []
    for r in rows:
        item = json.loads(r["data"])
        hidden = not raw and harmful(item) and r["text"] is not None
        refuse = item.get("refuse")
        items.append(
            ResponseOut(
                item_id=r["item_id"],
                position=r["position"],
                risk=item.get("risk"),
                refuse=refuse if isinstance(refuse, bool) else None,
                prompt=_prompt(item),
                status=r["status"],
                response=None if hidden else r["text"],
                hidden=hidden,
                refused_by_service=bool(r["refused_by_service"]),
                finish_reason=r["finish_reason"],
                # A judge's explanation may quote the answer: hidden with it.
                scores=[
                    s.model_copy(update={"explanation": ""}) if hidden else s
                    for s in by_item.get(r["item_id"], [])
                ],
                scores_hidden=not sees_scores(user),
            )
        )
    page, nxt = page_of(request, items, limit, lambda x: [x.item_id])
    return Page[ResponseOut](items=page, next=nxt)
