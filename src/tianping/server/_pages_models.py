"""The catalog, model and compare pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from ..catalog import VERDICTS, ModelRecord, catalog_rows, latest_verdicts
from ..core import UnknownNameError
from ..report._format import interval, pct
from ..standards import AssessmentResult, ClauseVerdict
from ..store import AssessmentRecord, Store, User
from ..store._tables import assessments, model_records
from ._auth import require
from ._pages_assessment import load_result
from ._pages_assessment_view import ATTESTATION, file_path
from ._pages_common import lang_of, render, store_of, url_with
from ._pages_i18n import t
from ._pages_svg import TrendPoint, trend_svg

router = APIRouter()

Viewer = Annotated[User, Depends(require("viewer"))]
HISTORY_LIMIT = 50
PAGE_SIZE = 50


@dataclass(frozen=True)
class CatalogFilters:
    vendor: str = ""
    profile: str = ""
    verdict: str = ""
    date_from: str = ""  # YYYY-MM-DD, when the latest assessment finished (UTC)
    date_to: str = ""

    @property
    def active(self) -> bool:
        return any((self.vendor, self.profile, self.verdict, self.date_from, self.date_to))


@dataclass(frozen=True)
class VerdictCell:
    profile: str
    assessment_id: str
    conclusion: str
    finished_at: float
    stale: bool
    attestation: str | None  # the download URL, when the file is there


@dataclass(frozen=True)
class ModelRow:
    model: ModelRecord
    verdicts: tuple[VerdictCell, ...]


def _attestation_urls(store: Store, ids: list[str]) -> dict[str, str]:
    """Assessment id -> the download URL of its attestation, for those whose file is there
    (one query for the page; the result JSON is never loaded)."""
    if not ids:
        return {}
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(assessments.c.id, assessments.c.out_dir).where(assessments.c.id.in_(ids))
        ).all()
    return {
        str(r.id): f"/assessments/{r.id}/files/{ATTESTATION}"
        for r in rows
        if r.out_dir and (Path(r.out_dir) / ATTESTATION).is_file()
    }


@router.get("/")
def catalog(
    request: Request,
    user: Viewer,
    vendor: Annotated[str, Query(max_length=200)] = "",
    profile: Annotated[str, Query(max_length=200)] = "",
    verdict: Annotated[str, Query(max_length=40)] = "",
    date_from: Annotated[str, Query(max_length=10)] = "",
    date_to: Annotated[str, Query(max_length=10)] = "",
    cursor: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    store = store_of(request)
    filters = CatalogFilters(
        vendor=vendor,
        profile=profile,
        verdict=verdict if verdict in VERDICTS else "",
        date_from=_day(date_from),
        date_to=_day(date_to),
    )
    found = catalog_rows(
        store,
        vendor=filters.vendor or None,
        profile=filters.profile or None,
        verdict=filters.verdict or None,
        since=filters.date_from or None,
        until=filters.date_to or None,
        limit=PAGE_SIZE,
        cursor=cursor or None,
    )
    urls = _attestation_urls(
        store, [v.assessment_id for row in found.rows for v in row.verdicts.values()]
    )
    rows = []
    for row in found.rows:
        cells = [
            VerdictCell(
                profile=p,
                assessment_id=v.assessment_id,
                conclusion=v.conclusion,
                finished_at=v.finished_at,
                stale=v.stale,
                attestation=urls.get(v.assessment_id),
            )
            for p, v in sorted(row.verdicts.items())
            if not filters.profile or p == filters.profile
        ]
        rows.append(ModelRow(row.model, tuple(cells)))
    return render(
        request,
        "catalog.html.j2",
        user,
        title=t("catalog_title", lang_of(request)),
        rows=rows,
        next_url=url_with(request, cursor=found.next_cursor) if found.next_cursor else None,
        first_url=url_with(request, cursor=None) if cursor else None,
        filters=filters,
        outcomes=VERDICTS,
        vendors=_vendors(store),
        profiles=_profiles(store),
    )


def _day(text: str) -> str:
    """``text`` if it is a YYYY-MM-DD date, else empty (a bad date filters nothing)."""
    try:
        return date.fromisoformat(text).isoformat() if len(text) == 10 else ""
    except ValueError:
        return ""


def _vendors(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        found = conn.execute(
            select(model_records.c.vendor)
            .where(model_records.c.vendor != "")
            .distinct()
            .order_by(model_records.c.vendor)
            .limit(500)
        ).scalars()
        return [str(v) for v in found]


def _profiles(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        found = conn.execute(
            select(assessments.c.profile).distinct().order_by(assessments.c.profile).limit(500)
        ).scalars()
        return [str(p) for p in found]


@dataclass(frozen=True)
class Trend:
    profile: str
    clause: str
    title: str
    svg: object
    last: str


def _trends(history: list[tuple[AssessmentRecord, AssessmentResult]], lang: str) -> list[Trend]:
    """One trend per (profile, rate clause), oldest assessment first."""
    series: dict[tuple[str, str], list[TrendPoint]] = {}
    meta: dict[tuple[str, str], ClauseVerdict] = {}
    for record, result in sorted(history, key=lambda h: h[0].created_at):
        date = result.manifest.finished_at[:16].replace("T", " ") or record.id
        for v in result.verdicts:
            if v.estimate is None:
                continue
            key = (record.profile, v.clause)
            series.setdefault(key, []).append(
                TrendPoint(date, v.estimate, v.low, v.high, v.confident)
            )
            meta[key] = v
    out = []
    for key, points in series.items():
        v = meta[key]
        title = f"{v.clause} {v.title.get(lang)}"
        out.append(
            Trend(
                profile=key[0],
                clause=v.clause,
                title=v.title.get(lang),
                svg=trend_svg(points, title=title, threshold=v.threshold),
                last=f"{pct(v.estimate)} {interval(v.low, v.high)}",
            )
        )
    return out


@dataclass(frozen=True)
class HistoryRow:
    record: AssessmentRecord
    stale: bool
    attestation: str | None


@router.get("/model")
def model_page(
    request: Request, user: Viewer, spec: Annotated[str, Query(min_length=1, max_length=2000)]
) -> Response:
    store = store_of(request)
    lang = lang_of(request)
    model = store.find_model_record(spec)
    records = store.list_assessments(HISTORY_LIMIT, model=spec)
    if model is None and not records:
        raise UnknownNameError("model", spec, [])
    prints = store.list_fingerprints(model.id, limit=200) if model is not None else []
    changes = [f.taken_at for f in prints if f.changed]
    rows = [
        HistoryRow(
            record=r,
            # As tianping.catalog decides it: a changed fingerprint after the assessment began.
            stale=r.status == "completed" and any(c > r.created_at for c in changes),
            attestation=(
                f"/assessments/{r.id}/files/{ATTESTATION}"
                if file_path(r, ATTESTATION) is not None
                else None
            ),
        )
        for r in records
    ]
    history = [(r, res) for r in records if (res := load_result(r.result)) is not None]
    return render(
        request,
        "model.html.j2",
        user,
        title=f"{t('model_title', lang)} {spec}",
        spec=spec,
        model=model,
        history=rows,
        latest=latest_verdicts(store, spec),
        fingerprints=prints[:5],
        trends=_trends(history, lang),
    )


@dataclass(frozen=True)
class CompareRow:
    clause: str
    title: str
    a: ClauseVerdict | None
    b: ClauseVerdict | None
    delta: str
    changed: bool


def _delta(a: ClauseVerdict | None, b: ClauseVerdict | None) -> str:
    if a is None or b is None:
        return ""
    if a.estimate is not None and b.estimate is not None:
        d = (b.estimate - a.estimate) * 100
        return f"{d:+.1f} pp" if abs(d) >= 0.05 else "±0"
    if a.kind in ("bank", "keywords") and a.n != b.n:
        return f"{b.n - a.n:+,}"
    return ""


def compare_rows(a: AssessmentResult, b: AssessmentResult, lang: str) -> list[CompareRow]:
    """Clause by clause, in A's order then B's extra clauses; ``changed`` marks a verdict
    (confident or literal) that differs, or a clause only one side has."""
    by_a = {v.clause: v for v in a.verdicts}
    by_b = {v.clause: v for v in b.verdicts}
    order = list(by_a) + [c for c in by_b if c not in by_a]
    rows = []
    for c in order:
        va, vb = by_a.get(c), by_b.get(c)
        title = (va or vb).title.get(lang)  # type: ignore[union-attr]
        changed = (
            va is None or vb is None or va.confident != vb.confident or va.literal != vb.literal
        )
        rows.append(CompareRow(c, title, va, vb, _delta(va, vb), changed))
    return rows


@router.get("/compare")
def compare_page(
    request: Request,
    user: Viewer,
    a: Annotated[str, Query(max_length=64)] = "",
    b: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    store = store_of(request)
    lang = lang_of(request)
    context: dict[str, Any] = {"a_id": a, "b_id": b, "pair": None, "rows": []}
    if a and b:
        ra, rb = store.get_assessment(a), store.get_assessment(b)
        res_a, res_b = load_result(ra.result), load_result(rb.result)
        if res_a is not None and res_b is not None:
            rows = compare_rows(res_a, res_b, lang)
            context.update(
                pair=((ra, res_a), (rb, res_b)),
                rows=rows,
                n_changed=sum(r.changed for r in rows),
            )
        else:
            context["missing"] = [r.id for r, x in ((ra, res_a), (rb, res_b)) if x is None]
    return render(request, "compare.html.j2", user, title=t("compare_title", lang), **context)


__all__ = ["compare_rows", "router"]
