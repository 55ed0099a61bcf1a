"""The review queue: one item at a time, labelled from the keyboard.

The page shows the prompt and the response, the item's risk and the stage of the
label asked for, and nothing of the automatic scores (nor, except to an
adjudicator, anyone else's label). Without JavaScript it is a plain form that
posts and redirects to the next item; with ``static/review.js`` the post is a
``fetch`` answered with the next item's HTML fragment (header
``X-Review-Fragment: 1``), so no full reload happens between items.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..core import RISKS, ConfigError, TianpingError
from ..report._view import group_name
from ..review import ReviewTask, draw_review, next_task, redecide, submit_label
from ..store import Store, User
from ._auth import require
from ._pages_common import lang_of, query, render, render_string, store_of
from ._pages_i18n import t
from ._pages_review_info import DEFAULT_CLAUSE, ReviewSummary, review_summary

log = logging.getLogger("tianping.server")
router = APIRouter()

Reviewer = Annotated[User, Depends(require("reviewer"))]
FRAGMENT_HEADER = "X-Review-Fragment"
QUICK_PICKS = 9


@dataclass(frozen=True)
class Pick:
    key: str
    risk: str
    name: str


def quick_picks(risk: str | None, lang: str) -> list[Pick]:
    """Risks for keys 1-9: the item's own risk, then its category's, then the rest."""
    ids = list(RISKS)
    first = [risk] if risk in RISKS else []
    category = [r for r in ids if risk and r[:2] == risk[:2] and r not in first]
    rest = [r for r in ids if r not in first and r not in category]
    chosen = (first + category + rest)[:QUICK_PICKS]
    return [Pick(str(i + 1), r, group_name(r, lang)) for i, r in enumerate(chosen)]


def _context(request: Request, user: User, task: ReviewTask | None, scope: str) -> dict[str, Any]:
    lang = lang_of(request)
    summary: ReviewSummary | None = None
    target = task.assessment_id if task is not None else scope
    if target:
        summary = review_summary(store_of(request), target, user, clause=None)
    return {
        "task": task,
        "scope": scope,
        "summary": summary,
        "picks": quick_picks(task.risk if task else None, lang),
        "risks": [(r, group_name(r, lang)) for r in RISKS],
        "item_risk": group_name(task.risk, lang) if task and task.risk else "",
        "self_url": "/review" + query(assessment=scope),
        "error": "",
        "form": {"qualified": "", "risk": "", "note": ""},
    }


def _redecide(store: Store, task: ReviewTask) -> None:
    """After a label, decide the assessment's human clauses again (as ``tianping review
    label`` does), so the stored verdict and the catalog follow the labels. A failure
    here must not lose the label: it is logged; ``tianping review status`` recomputes."""
    if store.get_assessment(task.assessment_id).result is None:
        return
    try:
        redecide(store, task.assessment_id)
    except TianpingError as exc:
        log.warning("could not re-decide %s after review: %s", task.assessment_id, exc)


@router.post("/assessments/{assessment_id}/review/draw")
def draw(
    request: Request,
    assessment_id: str,
    user: Annotated[User, Depends(require("assessor"))],
    clause: Annotated[str, Form(max_length=40)] = DEFAULT_CLAUSE,
    n: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """Draw the review sample of a clause (assessors and admins); ``n`` empty: the profile's."""
    store = store_of(request)
    full = store.resolve_assessment_id(assessment_id)
    if n.strip() and not n.strip().isdigit():
        raise ConfigError(f"The number of items to draw must be a whole number, not {n!r}.")
    draw_review(store, full, clause=clause, n=int(n) if n.strip() else None)
    return RedirectResponse(f"/assessments/{full}#review", 303)


@router.get("/review")
def review_page(
    request: Request,
    user: Reviewer,
    assessment: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    scope = store_of(request).resolve_assessment_id(assessment) if assessment else ""
    task = next_task(store_of(request), user, scope or None)
    context = _context(request, user, task, scope)
    return render(
        request, "review.html.j2", user, title=t("review_title", lang_of(request)), **context
    )


def _fragment(request: Request, user: User, status: int, **context: Any) -> Response:
    html = render_string(request, "_review_item.html.j2", user, **context)
    return HTMLResponse(
        html, status_code=status, headers={FRAGMENT_HEADER: "1", "Cache-Control": "no-store"}
    )


@router.post("/review/{task_id}")
def review_submit(
    request: Request,
    task_id: int,
    user: Reviewer,
    qualified: Annotated[str, Form(max_length=5)] = "",
    risk: Annotated[str, Form(max_length=200)] = "",
    note: Annotated[str, Form(max_length=4000)] = "",
    assessment: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    store = store_of(request)
    lang = lang_of(request)
    by_script = request.headers.get("x-requested-with") == "tianping-review"
    error = ""
    if qualified not in ("0", "1"):
        error = t("choose_label", lang)
    else:
        try:
            done = submit_label(
                store, task_id, user, qualified=qualified == "1", risk=risk or None, note=note
            )
        except TianpingError as exc:
            error = str(exc)
        else:
            _redecide(store, done)
    scope = store.resolve_assessment_id(assessment) if assessment else ""
    if error:
        # Show the same item again with what was typed and why it was refused.
        again = next_task(store, user, scope or None)
        context = _context(request, user, again, scope)
        context.update(error=error, form={"qualified": qualified, "risk": risk, "note": note})
        if by_script:
            return _fragment(request, user, 200, **context)
        return render(
            request, "review.html.j2", user, status=400, title=t("review_title", lang), **context
        )
    if by_script:
        task = next_task(store, user, scope or None)
        return _fragment(request, user, 200, **_context(request, user, task, scope))
    return RedirectResponse("/review" + query(assessment=scope), 303)
