"""The assessment page (clauses, charts, responses) and its downloads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, Response

from ..attest import PUBLIC_KEY_NAME, default_key_dir
from ..core import UnknownNameError
from ..report import render
from ..standards import AssessmentResult
from ..store import User
from ._auth import HTTPError, require
from ._pages_assessment_view import (
    ATTESTATION,
    MEDIA_TYPES,
    RENDERABLE,
    check_attestation,
    clause_filters,
    downloads,
    file_path,
    redact,
    reports_predate_review,
    result_view,
    risk_options,
    sees_scores,
    sees_texts,
)
from ._pages_common import lang_of, store_of
from ._pages_common import render as render_page
from ._pages_i18n import t
from ._pages_responses import response_page, score_labels
from ._pages_review_info import review_summary

router = APIRouter()

Viewer = Annotated[User, Depends(require("viewer"))]


def load_result(data: dict[str, object] | None) -> AssessmentResult | None:
    return None if data is None else AssessmentResult.model_validate(data)


@router.get("/assessments/{assessment_id}")
def assessment_page(
    request: Request,
    assessment_id: str,
    user: Viewer,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    clause: Annotated[str, Query(max_length=40)] = "",
    label: Annotated[str, Query(max_length=100)] = "",
    risk: Annotated[str, Query(max_length=8)] = "",
) -> Response:
    store = store_of(request)
    lang = lang_of(request)
    record = store.get_assessment(assessment_id)
    result = load_result(record.result)
    context: dict[str, Any] = {
        "record": record,
        "result": result,
        "downloads": downloads(record, user),
        "attestation": check_attestation(record),
        "outdated": reports_predate_review(store, record),
        "show_texts": sees_texts(user),
        "show_scores": sees_scores(user),
        "view": None,
        "responses": None,
        "filters": {"clause": clause, "label": label, "risk": risk},
        "clause_options": [],
        "label_options": [],
        "risk_options": risk_options(lang),
        "review": None,
    }
    if result is not None:
        human = [v.clause for v in result.verdicts if v.kind == "human"]
        if human:
            context["review"] = review_summary(store, record.id, user, clause=human[0])
        filters = clause_filters(record, result)
        chosen = filters.get(clause)
        context["view"] = result_view(result, lang)
        context["clause_options"] = [
            (c, next(v.title.get(lang) for v in result.verdicts if v.clause == c)) for c in filters
        ]
        if record.run_id:
            context["label_options"] = score_labels(store, record.run_id)
            context["responses"] = response_page(
                store,
                record.run_id,
                page=page,
                clause=chosen,
                label=label or None,
                risk=risk or None,
                show_text=sees_texts(user),
                show_scores=sees_scores(user),
            )
    title = f"{t('assessment', lang)} {record.id}"
    return render_page(request, "assessment.html.j2", user, title=title, **context)


@router.get("/assessments/{assessment_id}/files/{name}")
def assessment_file(request: Request, assessment_id: str, name: str, user: Viewer) -> Response:
    """A report file or the attestation; a viewer gets reports without response texts."""
    store = store_of(request)
    record = store.get_assessment(assessment_id)
    # The file's own name: ``tianping verify`` matches an attestation's subjects by name.
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if name == ATTESTATION:
        path = file_path(record, name)
        if path is None:
            raise HTTPError(404, "not found", f"Assessment {record.id} has no attestation.")
        return FileResponse(path, media_type="application/json", headers=headers)
    result = load_result(record.result)
    if not sees_texts(user):
        if name not in RENDERABLE or result is None:
            raise HTTPError(
                403,
                "forbidden",
                "Viewers may download the attestation and the "
                "HTML, JSON and Markdown reports without response texts.",
            )
        fmt = RENDERABLE[name]
        data = render(redact(result), fmt, lang_of(request))
        return Response(data, media_type=MEDIA_TYPES[fmt], headers=headers)
    path = file_path(record, name)
    if path is not None:
        fmt = name.rsplit(".", 1)[-1]
        return FileResponse(path, media_type=MEDIA_TYPES.get(fmt, "text/plain"), headers=headers)
    if name in RENDERABLE and result is not None:
        fmt = RENDERABLE[name]
        return Response(
            render(result, fmt, lang_of(request)), media_type=MEDIA_TYPES[fmt], headers=headers
        )
    raise UnknownNameError("report file", name, [d.name for d in downloads(record, user)])


@router.get("/keys/" + PUBLIC_KEY_NAME)
def public_key(_user: Viewer) -> Response:
    """This server's signing public key, to verify its attestations offline."""
    path = default_key_dir() / PUBLIC_KEY_NAME
    if not path.is_file():
        raise HTTPError(404, "not found", "This server has no signing key.")
    headers = {"Content-Disposition": f'attachment; filename="{PUBLIC_KEY_NAME}"'}
    return FileResponse(path, media_type="text/plain", headers=headers)
