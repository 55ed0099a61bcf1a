"""``/models``: the catalog, each model with its latest verdict per profile and staleness."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlalchemy import select

from ..catalog import CatalogRow, Fingerprint, ModelRecord, catalog_rows, latest_verdicts
from ..store._catalog import model_record
from ..store._tables import model_records
from ._api_common import ERRORS, Cursor, Limit, Page, RowId, Viewer, store_of
from ._auth import HTTPError

router = APIRouter(prefix="/models", tags=["models"], responses=ERRORS)

Verdict = Literal["conforms", "does_not_conform", "inconclusive", "not_applicable"]


class LatestVerdictOut(BaseModel):
    """A model's latest completed assessment against one profile. ``stale``: a fingerprint
    taken since shows the model behind the spec changed, so a re-assessment is due."""

    assessment_id: str
    conclusion: str
    finished_at: float
    stale: bool


class FingerprintOut(BaseModel):
    id: int
    taken_at: float
    probe_set: str
    digest: str
    reported_models: list[str]
    changed: bool


class ModelOut(BaseModel):
    id: int
    spec: str
    vendor: str
    name: str
    version: str
    release_date: str | None
    filing_number: str | None
    filing_status: str | None
    endpoint: str | None
    notes: str
    created_at: float
    updated_at: float
    verdicts: dict[str, LatestVerdictOut]
    stale: bool
    fingerprint: FingerprintOut | None


class ModelDetail(ModelOut):
    fingerprints: list[FingerprintOut]


def _fingerprint(fp: Fingerprint | None) -> FingerprintOut | None:
    if fp is None:
        return None
    return FingerprintOut(
        id=fp.id,
        taken_at=fp.taken_at,
        probe_set=fp.probe_set,
        digest=fp.digest,
        reported_models=list(fp.reported_models),
        changed=fp.changed,
    )


def _model(row: CatalogRow) -> ModelOut:
    verdicts = {p: LatestVerdictOut(**v.to_json()) for p, v in row.verdicts.items()}
    return ModelOut(
        **row.model.to_json(),
        verdicts=verdicts,
        stale=any(v.stale for v in verdicts.values()),
        fingerprint=_fingerprint(row.fingerprint),
    )


@router.get("", response_model=Page[ModelOut], summary="The model catalog")
def list_models(
    request: Request,
    _user: Viewer,
    vendor: Annotated[str | None, Query(max_length=200)] = None,
    profile: Annotated[str | None, Query(max_length=200)] = None,
    verdict: Verdict | None = None,
    since: Annotated[date | None, Query(description="Assessed on or after (YYYY-MM-DD).")] = None,
    until: Annotated[date | None, Query(description="Assessed on or before (YYYY-MM-DD).")] = None,
    stale: bool | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ModelOut]:
    """Models by vendor, name and version, with their latest verdict per profile. The
    filters select models whose latest verdict for one profile meets all of them."""
    page = catalog_rows(
        store_of(request),
        vendor=vendor,
        profile=profile,
        verdict=verdict,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor or None,
        stale=stale,
    )
    nxt = None
    if page.next_cursor is not None:
        nxt = str(request.url.include_query_params(cursor=page.next_cursor))
    return Page[ModelOut](items=[_model(r) for r in page.rows], next=nxt)


@router.get("/{model_id}", response_model=ModelDetail, summary="One model")
def get_model(request: Request, model_id: RowId, _user: Viewer) -> ModelDetail:
    """A model's record, latest verdicts and its last 20 fingerprints (newest first).
    Its assessments: ``/assessments?model=SPEC``."""
    store = store_of(request)
    with store.engine.connect() as conn:
        row = (
            conn.execute(select(model_records).where(model_records.c.id == model_id))
            .mappings()
            .first()
        )
    if row is None:
        raise HTTPError(404, "not found", f"No model {model_id} in the catalog.")
    record: ModelRecord = model_record(row)
    prints = store.list_fingerprints(record.id, limit=20)
    out = _model(
        CatalogRow(record, latest_verdicts(store, record.spec), prints[0] if prints else None)
    )
    return ModelDetail(
        **out.model_dump(),
        fingerprints=[f for f in map(_fingerprint, prints) if f is not None],
    )
