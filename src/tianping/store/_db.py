"""Opening the store: URL resolution, SQLite tuning, schema check."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from ..core import StoreError
from ._migrate import ensure_schema


def default_db_url() -> str:
    """``TIANPING_DB`` if set, else ``tianping.db`` in :func:`tianping._home.data_home`."""
    env = os.environ.get("TIANPING_DB")
    if env:
        return env
    from .._home import data_home

    return f"sqlite:///{data_home() / 'tianping.db'}"


def _normalise(url: str) -> str:
    # Plain postgresql:// means psycopg2 to SQLAlchemy; we ship psycopg 3.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets readers (a second `tianping runs show`) work while a run writes;
    # synchronous=NORMAL is durable across a process kill (not a power cut).
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def create_db_engine(url: str | None = None, *, migrate: bool = True) -> Engine:
    """An engine for ``url`` (default :func:`default_db_url`) with the schema in place."""
    raw = _normalise(url or default_db_url())
    try:
        parsed = make_url(raw)
    except (ArgumentError, ValueError) as exc:
        masked = re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", raw)
        raise StoreError(f"Not a database URL: {masked!r} ({exc}).") from exc
    safe = parsed.render_as_string(hide_password=True)
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite and parsed.database and parsed.database != ":memory:":
        try:
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"Cannot create the folder for {parsed.database}: {exc}") from exc
    try:
        engine = create_engine(parsed, pool_pre_ping=not is_sqlite)
    except NoSuchModuleError as exc:
        raise StoreError(
            f"No database driver for {parsed.drivername!r}. For PostgreSQL install "
            "`tianping[postgres]` (psycopg 3) and use postgresql://user:pass@host/db."
        ) from exc
    except (ImportError, ArgumentError) as exc:
        hint = ""
        if parsed.get_backend_name() == "postgresql":
            hint = " For PostgreSQL use postgresql://... (psycopg 3, `tianping[postgres]`)."
        raise StoreError(f"No database driver for {safe}: {exc}.{hint}") from exc
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        with engine.begin() as conn:
            ensure_schema(conn, migrate=migrate)
    except StoreError:
        engine.dispose()
        raise
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StoreError(f"Cannot open the database {safe}: {type(exc).__name__}: {exc}") from exc
    return engine
