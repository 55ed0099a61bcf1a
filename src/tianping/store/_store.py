"""The store: suites, runs, responses and outcomes, on SQLite or PostgreSQL."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, delete, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from ..core import Response, RunError, Score, StoreError, UnknownNameError
from ._assessments import AssessmentMethods
from ._catalog import CatalogMethods
from ._db import create_db_engine
from ._records import ItemOutcome, RunRecord, SuiteRecord
from ._review import ReviewMethods
from ._tables import responses, run_items, runs, scores, suite_items, suites
from ._users import UserMethods

_CHUNK = 500  # keys per IN (...) query: well under every backend's parameter limit


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


class Store(AssessmentMethods, UserMethods, CatalogMethods, ReviewMethods):
    """Typed access to the database. Open with :meth:`open`; close when done."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._statements: tuple[Any, Any] | None = None

    @classmethod
    def open(cls, url: str | None = None, *, migrate: bool = True) -> Store:
        """Open (and if needed create or migrate) the database at ``url``."""
        return cls(create_db_engine(url, migrate=migrate))

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- dialect helpers -------------------------------------------------

    def _insert(self, table: Table) -> Any:
        # The SQLite and PostgreSQL Insert constructs share on_conflict_* but no
        # common type; Any keeps one code path for both.
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(table)
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)

    # -- suites ----------------------------------------------------------

    def has_suite(self, suite_hash: str) -> bool:
        with self.engine.connect() as conn:
            found = conn.execute(select(suites.c.hash).where(suites.c.hash == suite_hash))
            return found.first() is not None

    def save_suite(self, record: SuiteRecord, items: Iterable[tuple[str, str]]) -> None:
        """Store a suite and its items (``(item_id, item_json)`` in order), atomically."""
        with self._begin() as conn:
            exists = conn.execute(select(suites.c.hash).where(suites.c.hash == record.hash))
            if exists.first() is not None:
                return
            conn.execute(
                suites.insert(),
                {
                    "hash": record.hash,
                    "name": record.name,
                    "version": record.version,
                    "source": record.source,
                    "manifest": _dumps(record.manifest),
                    "n_items": record.n_items,
                    "created_at": time.time(),
                },
            )
            batch: list[dict[str, Any]] = []
            for position, (item_id, data) in enumerate(items):
                row = {"suite_hash": record.hash, "position": position}
                batch.append({**row, "item_id": item_id, "data": data})
                if len(batch) >= 2000:
                    conn.execute(suite_items.insert(), batch)
                    batch = []
            if batch:
                conn.execute(suite_items.insert(), batch)

    def get_suite(self, suite_hash: str) -> SuiteRecord:
        with self.engine.connect() as conn:
            row = conn.execute(select(suites).where(suites.c.hash == suite_hash)).mappings().first()
        if row is None:
            raise RunError(f"Suite {suite_hash} is not in the store.")
        return SuiteRecord(
            hash=row["hash"],
            name=row["name"],
            version=row["version"],
            source=row["source"],
            manifest=json.loads(row["manifest"]),
            n_items=row["n_items"],
        )

    def iter_suite_items(
        self,
        suite_hash: str,
        page: int = 1000,
        first_page: int | None = None,
        *,
        start: int = 0,
        stop: int | None = None,
    ) -> Iterator[list[tuple[int, str, str]]]:
        """Pages of ``(position, item_id, item_json)`` in order, without holding them all.

        A smaller ``first_page`` lets a caller start work on the first items sooner;
        ``start`` and ``stop`` bound the positions (one chunk of a distributed run).
        """
        last = start - 1
        size = first_page or page
        while True:
            where = [suite_items.c.suite_hash == suite_hash, suite_items.c.position > last]
            if stop is not None:
                where.append(suite_items.c.position < stop)
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(suite_items.c.position, suite_items.c.item_id, suite_items.c.data)
                    .where(*where)
                    .order_by(suite_items.c.position)
                    .limit(size)
                ).all()
            if not rows:
                return
            yield [(r[0], r[1], r[2]) for r in rows]
            last = rows[-1][0]
            size = page

    # -- runs ------------------------------------------------------------

    def create_run(self, record: RunRecord) -> None:
        with self._begin() as conn:
            conn.execute(
                runs.insert(),
                {
                    "id": record.id,
                    "status": record.status,
                    "model_spec": record.model_spec,
                    "suite_hash": record.suite_hash,
                    "suite_name": record.suite_name,
                    "n_items": record.n_items,
                    "manifest": _dumps(record.manifest),
                    "created_at": record.created_at,
                    "finished_at": None,
                    "requests_sent": 0,
                    "retries": 0,
                    "error": None,
                },
            )

    def update_run(self, run_id: str, **fields: Any) -> None:
        if "manifest" in fields:
            fields["manifest"] = _dumps(fields["manifest"])
        with self._begin() as conn:
            conn.execute(update(runs).where(runs.c.id == run_id).values(**fields))

    def run_status(self, run_id: str) -> str | None:
        """A run's status alone (cheap: workers poll it); None if there is no such run."""
        with self.engine.connect() as conn:
            status = conn.execute(select(runs.c.status).where(runs.c.id == run_id)).scalar()
        return None if status is None else str(status)

    def resolve_run_id(self, run_id: str) -> str:
        """The full id of a run given its id or a unique prefix of it."""
        with self.engine.connect() as conn:
            ids = (
                conn.execute(
                    select(runs.c.id).where(runs.c.id.startswith(run_id, autoescape=True)).limit(5)
                )
                .scalars()
                .all()
            )
            if run_id in ids:
                return str(run_id)
            if len(ids) == 1:
                return str(ids[0])
            if len(ids) > 1:
                raise RunError(f"Run id {run_id!r} is ambiguous: {', '.join(ids)}.")
            recent = (
                conn.execute(select(runs.c.id).order_by(runs.c.created_at.desc()).limit(20))
                .scalars()
                .all()
            )
        raise UnknownNameError("run", run_id, recent)

    def get_run(self, run_id: str) -> RunRecord:
        """A run with its counts; accepts a unique id prefix."""
        full = self.resolve_run_id(run_id)
        with self.engine.connect() as conn:
            row = conn.execute(select(runs).where(runs.c.id == full)).mappings().one()
            counts = self._counts(conn, [full]).get(full, {})
        return self._run_record(row, counts)

    def list_runs(self, limit: int = 50) -> list[RunRecord]:
        with self.engine.connect() as conn:
            rows = (
                conn.execute(select(runs).order_by(runs.c.created_at.desc()).limit(limit))
                .mappings()
                .all()
            )
            counts = self._counts(conn, [r["id"] for r in rows])
        return [self._run_record(r, counts.get(r["id"], {})) for r in rows]

    def run_counts(self, run_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        """Per run: items ``completed`` (of which ``cache_hits``) and ``failed`` so far."""
        with self.engine.connect() as conn:
            return self._counts(conn, run_ids)

    def _counts(self, conn: Connection, run_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        if not run_ids:
            return {}
        rows = conn.execute(
            select(run_items.c.run_id, run_items.c.status, run_items.c.cached, func.count())
            .where(run_items.c.run_id.in_(run_ids))
            .group_by(run_items.c.run_id, run_items.c.status, run_items.c.cached)
        ).all()
        out: dict[str, dict[str, int]] = {}
        for rid, status, cached, n in rows:
            c = out.setdefault(rid, {"completed": 0, "failed": 0, "cache_hits": 0})
            if status == "done":
                c["completed"] += n
                if cached:
                    c["cache_hits"] += n
            else:
                c["failed"] += n
        return out

    @staticmethod
    def _run_record(row: Any, counts: dict[str, int]) -> RunRecord:
        return RunRecord(
            id=row["id"],
            status=row["status"],
            model_spec=row["model_spec"],
            suite_hash=row["suite_hash"],
            suite_name=row["suite_name"],
            n_items=row["n_items"],
            manifest=json.loads(row["manifest"]),
            created_at=row["created_at"],
            finished_at=row["finished_at"],
            requests_sent=row["requests_sent"],
            retries=row["retries"],
            error=row["error"],
            completed=counts.get("completed", 0),
            failed=counts.get("failed", 0),
            cache_hits=counts.get("cache_hits", 0),
        )

    # -- responses and outcomes -----------------------------------------

    def cached_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` already have a stored answer."""
        found: set[str] = set()
        with self.engine.connect() as conn:
            for i in range(0, len(keys), _CHUNK):
                chunk = keys[i : i + _CHUNK]
                found.update(
                    conn.execute(select(responses.c.key).where(responses.c.key.in_(chunk)))
                    .scalars()
                    .all()
                )
        return found

    def done_item_ids(self, run_id: str, item_ids: Sequence[str]) -> set[str]:
        """Which of ``item_ids`` this run has already answered."""
        found: set[str] = set()
        with self.engine.connect() as conn:
            for i in range(0, len(item_ids), _CHUNK):
                chunk = item_ids[i : i + _CHUNK]
                found.update(
                    conn.execute(
                        select(run_items.c.item_id).where(
                            and_(
                                run_items.c.run_id == run_id,
                                run_items.c.status == "done",
                                run_items.c.item_id.in_(chunk),
                            )
                        )
                    )
                    .scalars()
                    .all()
                )
        return found

    def _outcome_statements(self) -> tuple[Any, Any]:
        # Built once: a fresh statement per batch costs a cache-key walk each time.
        if self._statements is None:
            ins = self._insert(run_items)
            updated = ("request_key", "status", "cached", "attempts", "error", "updated_at")
            self._statements = (
                self._insert(responses).on_conflict_do_nothing(index_elements=["key"]),
                ins.on_conflict_do_update(
                    index_elements=["run_id", "item_id"],
                    set_={c: getattr(ins.excluded, c) for c in updated},
                ),
            )
        return self._statements

    def write_outcomes(
        self,
        outcomes: Sequence[ItemOutcome],
        run_counters: dict[str, Any] | None = None,
        *,
        add_counters: bool = False,
    ) -> None:
        """Commit a batch of outcomes (and fresh answers) in one transaction.

        ``run_counters`` set the run's request counters, or with ``add_counters``
        add to them (several workers sharing one run each add their own).
        """
        now = time.time()
        fresh = [o.response for o in outcomes if o.response is not None]
        rows = [
            {
                "run_id": o.run_id,
                "item_id": o.item_id,
                "position": o.position,
                "request_key": o.request_key,
                "status": o.status,
                "cached": o.cached,
                "attempts": o.attempts,
                "error": o.error,
                "updated_at": now,
            }
            for o in outcomes
        ]
        insert_response, upsert_outcome = self._outcome_statements()
        with self._begin() as conn:
            if fresh:
                for r in fresh:
                    r.setdefault("created_at", now)
                conn.execute(insert_response, fresh)
            conn.execute(upsert_outcome, rows)
            if run_counters:
                run_id = outcomes[0].run_id
                values = (
                    {k: getattr(runs.c, k) + v for k, v in run_counters.items()}
                    if add_counters
                    else run_counters
                )
                conn.execute(update(runs).where(runs.c.id == run_id).values(**values))

    def iter_run_responses(self, run_id: str, page: int = 1000) -> Iterator[Response]:
        """Every item outcome of a run joined with its answer, in item order, page by page."""
        full = self.resolve_run_id(run_id)
        last = -1
        cols = [
            run_items.c.position,
            run_items.c.item_id,
            run_items.c.status,
            run_items.c.cached,
            run_items.c.attempts,
            run_items.c.error,
            run_items.c.request_key,
            responses.c.text,
            responses.c.finish_reason,
            responses.c.refused_by_service,
            responses.c.vendor_code,
            responses.c.prompt_tokens,
            responses.c.completion_tokens,
            responses.c.latency_ms,
            responses.c.reported_model,
            responses.c.system_fingerprint,
        ]
        while True:
            with self.engine.connect() as conn:
                rows = (
                    conn.execute(
                        select(*cols)
                        .select_from(
                            run_items.outerjoin(
                                responses, responses.c.key == run_items.c.request_key
                            )
                        )
                        .where(run_items.c.run_id == full, run_items.c.position > last)
                        .order_by(run_items.c.position)
                        .limit(page)
                    )
                    .mappings()
                    .all()
                )
            if not rows:
                return
            for r in rows:
                data = {k: v for k, v in r.items() if v is not None}
                yield Response(run_id=full, **data)
            last = rows[-1]["position"]

    # -- scores ----------------------------------------------------------

    def write_scores(self, batch: Sequence[Score]) -> None:
        """Store scores, replacing any earlier score by the same scorer for the same item."""
        if not batch:
            return
        now = time.time()
        with self._begin() as conn:
            for run_id, scorer in {(s.run_id, s.scorer) for s in batch}:
                ids = [s.item_id for s in batch if s.run_id == run_id and s.scorer == scorer]
                for i in range(0, len(ids), _CHUNK):
                    conn.execute(
                        delete(scores).where(
                            scores.c.run_id == run_id,
                            scores.c.scorer == scorer,
                            scores.c.item_id.in_(ids[i : i + _CHUNK]),
                        )
                    )
            conn.execute(
                scores.insert(),
                [{**s.model_dump(), "created_at": now} for s in batch],
            )

    def iter_scores(self, run_id: str, scorer: str | None = None) -> Iterator[Score]:
        """A run's scores, by item then scorer."""
        full = self.resolve_run_id(run_id)
        query = select(
            scores.c.run_id,
            scores.c.item_id,
            scores.c.scorer,
            scores.c.scorer_version,
            scores.c.value,
            scores.c.label,
            scores.c.explanation,
        ).where(scores.c.run_id == full)
        if scorer is not None:
            query = query.where(scores.c.scorer == scorer)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(scores.c.item_id, scores.c.scorer)).mappings()
            for row in rows:
                yield Score(**row)

    # -- transactions ----------------------------------------------------

    def _begin(self) -> _Tx:
        return _Tx(self.engine)


class _Tx:
    """``engine.begin()`` with database errors mapped to StoreError."""

    def __init__(self, engine: Engine) -> None:
        self._cm = engine.begin()

    def __enter__(self) -> Connection:
        try:
            return self._cm.__enter__()
        except SQLAlchemyError as exc:
            raise StoreError(f"Database error: {exc}") from exc

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            self._cm.__exit__(exc_type, exc, tb)
        except SQLAlchemyError as err:
            raise StoreError(f"Database error: {err}") from err
        if isinstance(exc, SQLAlchemyError):
            raise StoreError(f"Database error: {exc}") from exc
