"""One page of an assessment's responses with their scores, filtered and paginated in SQL.

An assessment may hold 100,000 responses: nothing here loads more than one page of
rows (50) and their scores. Filters: a clause (the items of its bank role, and the
scores of its scorer), a score label, and the item's risk (read from the stored
item with the database's JSON function).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, ColumnElement, Connection, and_, cast, func, select

from ..store import Store
from ..store._tables import responses, run_items, runs, scores, suite_items

PAGE_SIZE = 50
PREVIEW_CHARS = 280


@dataclass(frozen=True)
class ClauseFilter:
    """What a clause selects: items whose id starts with ``role/``, scored by ``scorer``."""

    clause: str
    role: str | None
    scorer: str | None


@dataclass(frozen=True)
class ScoreCell:
    scorer: str
    label: str | None
    value: float | None
    explanation: str


@dataclass(frozen=True)
class ResponseRow:
    item_id: str
    position: int
    risk: str
    prompt: str
    response: str | None  # None: no answer (failed) or hidden from this user
    status: str
    refused_by_service: bool
    scores: tuple[ScoreCell, ...] = ()


@dataclass(frozen=True)
class ResponsePage:
    rows: tuple[ResponseRow, ...]
    total: int
    page: int
    pages: int


def _risk_expr(store: Store) -> ColumnElement[Any]:
    expr: ColumnElement[Any]
    if store.dialect == "postgresql":
        expr = cast(suite_items.c.data, JSON)["risk"].as_string()
    else:
        expr = func.json_extract(suite_items.c.data, "$.risk")
    return expr


def _prompt_of(data: str) -> tuple[str, str]:
    """The prompt (or the last user message) and the risk of a stored item's JSON."""
    try:
        item = json.loads(data)
    except ValueError:
        return "", ""
    prompt = item.get("prompt")
    if not isinstance(prompt, str):
        msgs = item.get("messages") or []
        users = [m.get("content", "") for m in msgs if isinstance(m, dict) and m.get("role")]
        prompt = str(users[-1]) if users else ""
    risk = item.get("risk")
    return prompt, risk if isinstance(risk, str) else ""


def _score_filter(run_id: str, scorer: str | None, label: str | None) -> ColumnElement[bool]:
    """Items with a score (by ``scorer``, with ``label``): an IN over the run's scores,
    which the database builds once, rather than a look-up per item."""
    conds = [scores.c.run_id == run_id]
    if scorer:
        conds.append(scores.c.scorer == scorer)
    if label:
        conds.append(scores.c.label == label)
    return run_items.c.item_id.in_(select(scores.c.item_id).where(*conds))


def _risk_filter(store: Store, suite_hash: str | None, risk: str) -> ColumnElement[bool]:
    """Items labelled ``risk``: the cheap substring test first, so that the JSON is
    parsed only for the rows that can match."""
    wanted = select(suite_items.c.position).where(
        suite_items.c.suite_hash == suite_hash,
        func.instr(suite_items.c.data, risk) > 0
        if store.dialect == "sqlite"
        else suite_items.c.data.contains(risk, autoescape=True),
        _risk_expr(store) == risk,
    )
    return run_items.c.position.in_(wanted)


def _role_range(role: str) -> ColumnElement[bool]:
    """Item ids that start with ``role/``, as a range the primary key index serves
    (``0`` is the character after ``/``)."""
    return and_(run_items.c.item_id >= role + "/", run_items.c.item_id < role + "0")


def response_page(
    store: Store,
    run_id: str,
    *,
    page: int = 1,
    clause: ClauseFilter | None = None,
    label: str | None = None,
    risk: str | None = None,
    show_text: bool = True,
    show_scores: bool = True,
    size: int = PAGE_SIZE,
) -> ResponsePage:
    """Rows ``(page - 1) * size`` onwards of the run's items in id order, with their scores.

    The filters and the page are found on ``run_items`` alone (in the order of its
    primary key); only the page's rows are then joined with their items, answers and
    scores.
    """
    where: list[ColumnElement[bool]] = [run_items.c.run_id == run_id]
    scorer = clause.scorer if clause is not None else None
    if clause is not None and clause.role:
        where.append(_role_range(clause.role))
    elif clause is not None and clause.scorer:
        where.append(_score_filter(run_id, clause.scorer, None))
    if label:
        where.append(_score_filter(run_id, scorer, label))
    with store.engine.connect() as conn:
        if risk:
            suite_hash = conn.execute(
                select(runs.c.suite_hash).where(runs.c.id == run_id)
            ).scalar_one_or_none()
            where.append(_risk_filter(store, suite_hash, risk))
        total, found = _find(conn, where, page, size)
        pages = max(1, -(-total // size))
        page = min(max(page, 1), pages)
        ids = [r.item_id for r in found]
        details = _details(
            conn, run_id, [r.position for r in found], [r.request_key for r in found]
        )
        by_item = _scores(conn, run_id, ids, scorer, show_text) if ids and show_scores else {}
    out = []
    for r in found:
        data, text, blocked = details.get(r.position, ("{}", None, False))
        prompt, item_risk = _prompt_of(data)
        out.append(
            ResponseRow(
                item_id=r.item_id,
                position=r.position,
                risk=item_risk,
                prompt=prompt,
                response=text if show_text and r.status == "done" else None,
                status=r.status,
                refused_by_service=blocked,
                scores=tuple(by_item.get(r.item_id, ())),
            )
        )
    return ResponsePage(rows=tuple(out), total=total, page=page, pages=pages)


def _find(
    conn: Connection, where: list[ColumnElement[bool]], page: int, size: int
) -> tuple[int, list[Any]]:
    """The number of rows under ``where``, and page ``page`` of them (clamped to the last)."""
    total = int(
        conn.execute(select(func.count()).select_from(run_items).where(*where)).scalar_one()
    )
    pages = max(1, -(-total // size))
    page = min(max(page, 1), pages)
    cols = (run_items.c.item_id, run_items.c.position, run_items.c.status, run_items.c.request_key)
    q = select(*cols).where(*where).order_by(run_items.c.item_id).limit(size)
    return total, list(conn.execute(q.offset((page - 1) * size)).all())


def _details(
    conn: Connection, run_id: str, positions: list[int], keys: list[str]
) -> dict[int, tuple[str, str | None, bool]]:
    """Position -> (item JSON, answer text, refused by the service) for one page of rows."""
    if not positions:
        return {}
    suite_hash = select(runs.c.suite_hash).where(runs.c.id == run_id).scalar_subquery()
    items = dict(
        conn.execute(
            select(suite_items.c.position, suite_items.c.data).where(
                suite_items.c.suite_hash == suite_hash, suite_items.c.position.in_(positions)
            )
        ).all()
    )
    answers = {
        r.key: (r.text, bool(r.refused_by_service))
        for r in conn.execute(
            select(responses.c.key, responses.c.text, responses.c.refused_by_service).where(
                responses.c.key.in_(keys)
            )
        )
    }
    out = {}
    for position, key in zip(positions, keys, strict=True):
        text, blocked = answers.get(key, (None, False))
        out[position] = (items.get(position, "{}"), text, blocked)
    return out


def _scores(
    conn: Connection, run_id: str, ids: list[str], scorer: str | None, show_text: bool
) -> dict[str, list[ScoreCell]]:
    found = conn.execute(
        select(
            scores.c.item_id, scores.c.scorer, scores.c.label, scores.c.value, scores.c.explanation
        )
        .where(scores.c.run_id == run_id, scores.c.item_id.in_(ids))
        .order_by(scores.c.item_id, scores.c.scorer)
    ).mappings()
    by_item: dict[str, list[ScoreCell]] = {}
    for s in found:
        if scorer and s["scorer"] != scorer:
            continue
        # An explanation may quote the response: none for those who may not read it.
        why = (s["explanation"] or "") if show_text else ""
        by_item.setdefault(s["item_id"], []).append(
            ScoreCell(s["scorer"], s["label"], s["value"], why)
        )
    return by_item


_LABELS_TTL_S = 300.0
_labels: dict[tuple[str, str], tuple[float, tuple[str, ...]]] = {}


def score_labels(store: Store, run_id: str) -> tuple[str, ...]:
    """The distinct score labels of a run, for the label filter (at most 200).

    Reading them means reading every score of the run (a tenth of a second at 100,000
    responses), so they are remembered for a few minutes per run.
    """
    key = (store.url, run_id)
    now = time.monotonic()
    cached = _labels.get(key)
    if cached is not None and now - cached[0] < _LABELS_TTL_S:
        return cached[1]
    with store.engine.connect() as conn:
        found = conn.execute(
            select(scores.c.label)
            .where(scores.c.run_id == run_id, scores.c.label.is_not(None))
            .distinct()
            .order_by(scores.c.label)
            .limit(200)
        ).scalars()
        labels = tuple(str(x) for x in found)
    if len(_labels) > 256:
        _labels.clear()
    _labels[key] = (now, labels)
    return labels
