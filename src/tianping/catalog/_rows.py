"""The catalog as buyers browse it: models with their latest verdict per profile, paged."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, not_, select, tuple_

from ..core import ConfigError, UnknownNameError
from ..store._catalog import Fingerprint, ModelRecord, fingerprint_record, model_record
from ..store._tables import fingerprints, model_records
from ._verdicts import VERDICTS, LatestVerdict, latest_assessments, verdicts_of

if TYPE_CHECKING:
    from ..store import Store

MAX_LIMIT = 500
TimeBound = float | date | datetime | str
"""Seconds since the epoch, a date (a whole day, UTC), a datetime (naive = UTC) or ISO text."""


@dataclass(frozen=True)
class CatalogRow:
    """One model: its record, its latest verdict per profile, its latest fingerprint."""

    model: ModelRecord
    verdicts: dict[str, LatestVerdict]
    fingerprint: Fingerprint | None

    def to_json(self) -> dict[str, Any]:
        fp = self.fingerprint
        return {
            **self.model.to_json(),
            "verdicts": {p: v.to_json() for p, v in self.verdicts.items()},
            "fingerprint": None
            if fp is None
            else {
                "id": fp.id,
                "taken_at": fp.taken_at,
                "digest": fp.digest,
                "reported_models": list(fp.reported_models),
                "changed": fp.changed,
            },
        }


@dataclass(frozen=True)
class CatalogPage:
    """A page of the catalog; pass ``next_cursor`` back for the next (None: last page)."""

    rows: list[CatalogRow]
    next_cursor: str | None

    def to_json(self) -> dict[str, Any]:
        return {"models": [r.to_json() for r in self.rows], "next_cursor": self.next_cursor}


def catalog_rows(
    store: Store,
    vendor: str | None = None,
    profile: str | None = None,
    verdict: str | None = None,
    since: TimeBound | None = None,
    until: TimeBound | None = None,
    limit: int = 50,
    cursor: str | None = None,
    *,
    stale: bool | None = None,
) -> CatalogPage:
    """Models in the catalog ordered by vendor, name, version, filtered and paged in SQL.

    ``vendor`` matches case-insensitively. ``profile``, ``verdict``, ``since``,
    ``until`` and ``stale`` select models whose latest verdict for one profile
    meets all of them (``verdict`` alone: for any profile); ``since``/``until``
    bound when that assessment finished (a date bound covers the whole day, UTC).
    Without them every model is listed, assessed or not.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise ConfigError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}.")
    if verdict is not None and verdict not in VERDICTS:
        raise UnknownNameError("verdict", verdict, VERDICTS)
    mr = model_records
    order = (mr.c.vendor, mr.c.name, mr.c.version, mr.c.id)
    q = select(mr).order_by(*order).limit(limit + 1)
    if vendor:
        q = q.where(func.lower(mr.c.vendor) == vendor.strip().lower())
    latest = latest_assessments(with_stale=stale is not None)
    conds: list[Any] = []
    if profile:
        conds.append(latest.c.profile == profile)
    if verdict:
        conds.append(latest.c.conclusion == verdict)
    if since is not None:
        conds.append(latest.c.finished_at >= _epoch(since, "since", end=False)[0])
    if until is not None:
        bound, whole_day = _epoch(until, "until", end=True)
        conds.append(latest.c.finished_at < bound if whole_day else latest.c.finished_at <= bound)
    if stale is not None:
        conds.append(latest.c.stale if stale else not_(latest.c.stale))
    if conds:
        q = q.where(mr.c.spec.in_(select(latest.c.model_spec).where(*conds)))
    if cursor:
        q = q.where(tuple_(*order) > tuple_(*_decode_cursor(cursor)))
    with store.engine.connect() as conn:
        found = [model_record(r) for r in conn.execute(q).mappings().all()]
    page, more = found[:limit], len(found) > limit
    verdicts = verdicts_of(store, [m.spec for m in page])
    prints = _latest_fingerprints(store, [m.id for m in page])
    rows = [CatalogRow(m, verdicts.get(m.spec, {}), prints.get(m.id)) for m in page]
    last = page[-1] if page else None
    next_cursor = _encode_cursor(last) if more and last is not None else None
    return CatalogPage(rows, next_cursor)


def _latest_fingerprints(store: Store, model_ids: list[int]) -> dict[int, Fingerprint]:
    if not model_ids:
        return {}
    f = fingerprints
    ranked = (
        select(
            f,
            func.row_number()
            .over(partition_by=f.c.model_id, order_by=(f.c.taken_at.desc(), f.c.id.desc()))
            .label("rank"),
        )
        .where(f.c.model_id.in_(model_ids))
        .subquery()
    )
    q = select(ranked).where(ranked.c.rank == 1)
    with store.engine.connect() as conn:
        return {int(r["model_id"]): fingerprint_record(r) for r in conn.execute(q).mappings()}


def _encode_cursor(m: ModelRecord) -> str:
    raw = json.dumps([m.vendor, m.name, m.version, m.id], ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, str, str, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        vendor, name, version, ident = data
        if not all(isinstance(x, str) for x in (vendor, name, version)):
            raise ValueError("bad cursor")
        return vendor, name, version, int(ident)
    except (ValueError, TypeError, UnicodeError, binascii.Error):
        raise ConfigError(f"Invalid cursor {cursor[:40]!r}: pass back a next_cursor.") from None


def _epoch(value: TimeBound, what: str, *, end: bool) -> tuple[float, bool]:
    """Seconds since the epoch, and whether it came from a date (a whole day).

    A date means its start; with ``end``, the start of the next day (to compare with <).
    """
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            raise ConfigError(f"{what} {text!r} is not a date (YYYY-MM-DD) or ISO time.") from None
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.timestamp(), False
    if isinstance(value, date):
        day = value + timedelta(days=1) if end else value
        return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp(), True
    return float(value), False
