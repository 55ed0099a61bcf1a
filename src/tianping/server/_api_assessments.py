"""``/assessments``: the list, one assessment, its verdicts, report files and attestation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel
from sqlalchemy import and_, or_, select

from ..standards import AssessmentResult, ClauseVerdict
from ..store import AssessmentRecord, User
from ..store._tables import assessments
from ._api_common import (
    ERRORS,
    Cursor,
    Limit,
    Page,
    Viewer,
    decode_cursor,
    page_of,
    sees_raw,
    sees_scores,
    store_of,
)
from ._auth import HTTPError

router = APIRouter(prefix="/assessments", tags=["assessments"], responses=ERRORS)

ATTESTATION = "attestation.dsse.json"
# Report files that quote responses verbatim next to their automatic scores (the examples
# of failing clauses): for assessors and admins (viewers must not read the answers,
# reviewers must not see the scores). The filing export carries figures only.
EVIDENCE_FILES = ("report.html", "report.pdf", "report.md", "report.json")
PUBLIC_FILES = ("self-assessment-zh.md", "self-assessment-zh.html", ATTESTATION)

Outcome = Literal["conforms", "does_not_conform", "inconclusive", "not_applicable"]
Status = Literal["running", "completed", "failed", "interrupted"]


class AssessmentSummary(BaseModel):
    id: str
    status: str
    model_spec: str
    profile: str
    profile_hash: str
    conclusion: str | None
    created_at: float
    finished_at: float | None
    run_id: str | None
    error: str | None


class ClauseSummary(BaseModel):
    """A clause's figures and both rules' outcomes (the evidence is under /verdicts)."""

    clause: str
    title_zh: str
    title_en: str
    kind: str
    n: int
    k: int
    estimate: float | None
    low: float | None
    high: float | None
    threshold: float | None
    direction: str | None
    literal: str
    confident: str
    n_needed: int | None
    reason: str


class FileInfo(BaseModel):
    name: str
    bytes: int
    url: str
    needs_role: str


class AssessmentDetail(AssessmentSummary):
    params: dict[str, Any]
    confidence: float | None
    interval: str | None
    literal_conclusion: str | None
    clauses: list[ClauseSummary]
    files: list[FileInfo]


class SubjectOut(BaseModel):
    name: str
    digest: dict[str, str]
    check: str


class VerificationOut(BaseModel):
    """Whether the stored attestation verifies with the signing key, and what it says."""

    valid: bool
    problems: list[str]
    keyid: str | None
    conclusion: str | None
    clauses_by_outcome: dict[str, int]
    subjects: list[SubjectOut]


def _summary(rec: AssessmentRecord) -> AssessmentSummary:
    return AssessmentSummary(
        id=rec.id,
        status=rec.status,
        model_spec=rec.model_spec,
        profile=rec.profile,
        profile_hash=rec.profile_hash,
        conclusion=rec.conclusion,
        created_at=rec.created_at,
        finished_at=rec.finished_at,
        run_id=rec.run_id,
        error=rec.error,
    )


def _result(rec: AssessmentRecord) -> AssessmentResult | None:
    return None if rec.result is None else AssessmentResult.model_validate(rec.result)


def _files(request: Request, rec: AssessmentRecord) -> list[FileInfo]:
    if not rec.out_dir:
        return []
    folder = Path(rec.out_dir)
    out = []
    for name in (*EVIDENCE_FILES, *PUBLIC_FILES):
        path = folder / name
        if path.is_file():
            url = request.url_for("api_assessment_file", assessment_id=rec.id, name=name)
            role = "assessor" if name in EVIDENCE_FILES else "viewer"
            out.append(
                FileInfo(name=name, bytes=path.stat().st_size, url=str(url), needs_role=role)
            )
    return out


def redact(verdict: ClauseVerdict, user: User | None) -> ClauseVerdict:
    """The verdict as ``user`` may see it: viewers get no answers to harmful prompts in
    the examples, reviewers no automatic labels or explanations."""
    raw, scores = sees_raw(user), sees_scores(user)
    if (raw and scores) or not verdict.examples:
        return verdict
    examples = []
    for x in verdict.examples:
        update: dict[str, object] = {}
        if not raw and x.risk:
            update["response"] = None
        if not scores:
            update.update(label=None, explanation="")
        examples.append(x.model_copy(update=update))
    return verdict.model_copy(update={"examples": tuple(examples)})


def _by_outcome(verdicts: object) -> dict[str, int]:
    """How many clauses the signed statement says have each (confident-rule) outcome."""
    counts: dict[str, int] = {}
    for v in verdicts if isinstance(verdicts, list) else []:
        outcome = v.get("confident") if isinstance(v, dict) else None
        if isinstance(outcome, str):
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts


@router.get("", response_model=Page[AssessmentSummary], summary="List assessments")
def list_assessments(
    request: Request,
    _user: Viewer,
    model: Annotated[str | None, Query(max_length=2000, description="Model spec.")] = None,
    profile: Annotated[str | None, Query(max_length=200)] = None,
    status: Status | None = None,
    conclusion: Outcome | None = None,
    since: Annotated[float | None, Query(description="Created at or after (Unix time).")] = None,
    until: Annotated[float | None, Query(description="Created before (Unix time).")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[AssessmentSummary]:
    """Newest first; filter by model spec, profile, status, conclusion and creation time."""
    key = decode_cursor(cursor, (float, str))
    c = assessments.c
    q = select(assessments).order_by(c.created_at.desc(), c.id.desc()).limit(limit + 1)
    for column, value in (
        (c.model_spec, model),
        (c.profile, profile),
        (c.status, status),
        (c.conclusion, conclusion),
    ):
        if value is not None:
            q = q.where(column == value)
    if since is not None:
        q = q.where(c.created_at >= since)
    if until is not None:
        q = q.where(c.created_at < until)
    if key is not None:
        q = q.where(or_(c.created_at < key[0], and_(c.created_at == key[0], c.id < key[1])))
    q = q.with_only_columns(*[col for col in assessments.c if col.name not in ("result",)])
    with store_of(request).engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    items = [AssessmentSummary(**{f: r[f] for f in AssessmentSummary.model_fields}) for r in rows]
    items, nxt = page_of(request, items, limit, lambda a: [a.created_at, a.id])
    return Page[AssessmentSummary](items=items, next=nxt)


def _get(request: Request, assessment_id: str) -> AssessmentRecord:
    return store_of(request).get_assessment(assessment_id)


@router.get("/{assessment_id}", response_model=AssessmentDetail, summary="One assessment")
def get_assessment(request: Request, assessment_id: str, _user: Viewer) -> AssessmentDetail:
    """The assessment's record, conclusion, each clause's figures and its files."""
    rec = _get(request, assessment_id)
    result = _result(rec)
    clauses = []
    for v in result.verdicts if result else ():
        s = v.summary()
        s.pop("clause")
        clauses.append(
            ClauseSummary(
                clause=v.clause, title_zh=v.title.zh, title_en=v.title.en, reason=v.reason, **s
            )
        )
    return AssessmentDetail(
        **_summary(rec).model_dump(),
        params=rec.params,
        confidence=result.confidence if result else None,
        interval=result.interval if result else None,
        literal_conclusion=result.literal_conclusion if result else None,
        clauses=clauses,
        files=_files(request, rec),
    )


@router.get(
    "/{assessment_id}/verdicts",
    response_model=Page[ClauseVerdict],
    summary="An assessment's clause verdicts with evidence",
)
def get_verdicts(
    request: Request, assessment_id: str, user: Viewer, limit: Limit = 50, cursor: Cursor = None
) -> Page[ClauseVerdict]:
    """Every clause's verdict with its groups and examples, in profile order. Answers to
    harmful prompts in the examples are left out for viewers."""
    key = decode_cursor(cursor, (int,))
    result = _result(_get(request, assessment_id))
    start = key[0] if key else 0
    verdicts = list(result.verdicts) if result else []
    chunk = [redact(v, user) for v in verdicts[start : start + limit + 1]]
    positions = {id(v): i for i, v in enumerate(chunk, start)}
    items, nxt = page_of(request, chunk, limit, lambda v: [positions[id(v)] + 1])
    return Page[ClauseVerdict](items=items, next=nxt)


@router.get("/{assessment_id}/files", response_model=list[FileInfo], summary="Report files")
def list_files(request: Request, assessment_id: str, _user: Viewer) -> list[FileInfo]:
    """The report files and attestation written for the assessment, with download URLs."""
    return _files(request, _get(request, assessment_id))


@router.get(
    "/{assessment_id}/files/{name}",
    name="api_assessment_file",
    response_class=FileResponse,
    summary="Download a report file",
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def get_file(request: Request, assessment_id: str, name: str, user: Viewer) -> FileResponse:
    """One report file. The full reports quote responses with their scores, so they need
    the assessor role; the filing export and the attestation do not."""
    if name not in EVIDENCE_FILES and name not in PUBLIC_FILES:
        known = ", ".join((*EVIDENCE_FILES, *PUBLIC_FILES))
        raise HTTPError(404, "not found", f"No report file {name!r}; files are named {known}.")
    if name in EVIDENCE_FILES and not (sees_raw(user) and sees_scores(user)):
        raise HTTPError(
            403,
            "forbidden",
            "The full report quotes responses with their scores: it needs the assessor role.",
        )
    rec = _get(request, assessment_id)
    path = Path(rec.out_dir or "") / name
    if not rec.out_dir or not path.is_file():
        raise HTTPError(404, "not found", f"Assessment {rec.id} has no {name}.")
    media = "application/json" if name.endswith(".json") else None
    return FileResponse(path, filename=f"{rec.id}-{name}", media_type=media)


@router.get(
    "/{assessment_id}/attestation",
    response_class=FileResponse,
    summary="Download the attestation",
    responses={200: {"content": {"application/json": {}}}},
)
def get_attestation(request: Request, assessment_id: str, user: Viewer) -> FileResponse:
    """The signed DSSE envelope (in-toto statement) over the reports and model identity."""
    return get_file(request, assessment_id, ATTESTATION, user)


@router.get(
    "/{assessment_id}/attestation/verify",
    response_model=VerificationOut,
    summary="Verify the attestation",
)
def verify_attestation(request: Request, assessment_id: str, _user: Viewer) -> VerificationOut:
    """Check the attestation's signature with this server's signing key, its statement,
    the report files beside it, and that it is about this assessment."""
    from ..attest import PUBLIC_KEY_NAME, AttestationError, verify_envelope

    rec = _get(request, assessment_id)
    path = Path(rec.out_dir or "") / ATTESTATION
    if not rec.out_dir or not path.is_file():
        raise HTTPError(404, "not found", f"Assessment {rec.id} has no attestation.")
    key_dir = rec.params.get("key_dir")
    key = Path(key_dir) / PUBLIC_KEY_NAME if isinstance(key_dir, str) else None
    try:
        checked = verify_envelope(path, key)
    except AttestationError as exc:
        return VerificationOut(
            valid=False,
            problems=[str(exc)],
            keyid=None,
            conclusion=None,
            clauses_by_outcome={},
            subjects=[],
        )
    problems = list(checked.problems)
    about = checked.predicate.get("assessment_id")
    if checked.statement is not None and about != rec.id:
        problems.append(f"the attestation is about assessment {about!r}, not {rec.id}")
    return VerificationOut(
        valid=checked.valid and not problems,
        problems=problems,
        keyid=checked.keyid,
        conclusion=checked.conclusion,
        clauses_by_outcome=_by_outcome(checked.predicate.get("verdicts")),
        subjects=[
            SubjectOut(name=s.name, digest=s.digest, check=s.check) for s in checked.subjects
        ],
    )
