"""Opening the store: creating the schema, migrations, revision checks, bad URLs."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text

from tianping.core import StoreError
from tianping.store import SCHEMA_HEAD, Store, _migrate, current_revision, default_db_url

TABLES = {"suites", "suite_items", "runs", "responses", "run_items", "scores", "alembic_version"}


def _revision(store: Store) -> str | None:
    with store.engine.connect() as conn:
        return current_revision(conn)


def test_open_creates_sqlite_file_and_schema(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "t.db"
    assert not path.parent.exists()
    with Store.open(f"sqlite:///{path}") as store:
        assert path.is_file()
        assert store.dialect == "sqlite"
        assert _revision(store) == SCHEMA_HEAD
        with store.engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) >= TABLES
            mode = conn.execute(text("PRAGMA journal_mode")).scalar()
            assert str(mode).lower() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_open_creates_schema(store_url: str) -> None:
    with Store.open(store_url) as store:
        assert _revision(store) == SCHEMA_HEAD
        with store.engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) >= TABLES
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        assert [v[0] for v in versions] == [SCHEMA_HEAD]


def test_reopen_does_not_migrate_again(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Whatever builds the schema (Alembic's upgrade, or a fast create-and-stamp for an
    # empty database), it runs on the first open only.
    calls: list[str] = []
    for name in ("upgrade", "create_fresh"):
        real = getattr(_migrate, name, None)
        if real is None:
            continue

        def spy(*args: object, _real: object = real, _name: str = name, **kw: object) -> None:
            calls.append(_name)
            _real(*args, **kw)  # type: ignore[operator]

        monkeypatch.setattr(_migrate, name, spy)
    Store.open(store_url).close()
    assert len(calls) == 1, calls
    Store.open(store_url).close()
    Store.open(store_url, migrate=False).close()
    assert len(calls) == 1, f"an up-to-date database was migrated again: {calls}"


def test_fresh_schema_matches_the_migrations(tmp_path: Path) -> None:
    """However an empty database gets its schema, it equals what the migrations build."""
    from sqlalchemy import create_engine

    def describe(engine: object) -> dict[str, object]:
        with engine.connect() as conn:  # type: ignore[attr-defined]
            insp = inspect(conn)
            out: dict[str, object] = {}
            for table in sorted(insp.get_table_names()):
                cols = [(c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(table)]
                pk = sorted(insp.get_pk_constraint(table)["constrained_columns"])
                fks = sorted(
                    (tuple(f["constrained_columns"]), f["referred_table"])
                    for f in insp.get_foreign_keys(table)
                )
                idx = sorted((i["name"], tuple(i["column_names"])) for i in insp.get_indexes(table))
                out[table] = (cols, pk, fks, idx)
            out["version"] = conn.execute(text("SELECT version_num FROM alembic_version")).all()
            return out

    with Store.open(f"sqlite:///{tmp_path}/opened.db") as store:
        opened = describe(store.engine)
    engine = create_engine(f"sqlite:///{tmp_path}/migrated.db")
    try:
        with engine.begin() as conn:
            _migrate.upgrade(conn)
        migrated = describe(engine)
    finally:
        engine.dispose()
    assert opened == migrated


def test_unknown_newer_revision_raises(store_url: str) -> None:
    with Store.open(store_url) as store, store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match=r"revision '9999', newer than this Tianping knows"):
        Store.open(store_url)
    with pytest.raises(StoreError, match="9999"):
        Store.open(store_url, migrate=False)


def test_empty_database_without_migrate_says_upgrade(store_url: str) -> None:
    with pytest.raises(StoreError, match="tianping db upgrade"):
        Store.open(store_url, migrate=False)
    # ... and nothing was created: a later open with migrate still works from scratch.
    with Store.open(store_url) as store:
        assert _revision(store) == SCHEMA_HEAD


@pytest.mark.parametrize("why", ["newer-revision", "needs-upgrade"])
def test_failed_open_releases_its_connection(
    store_url: str, why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database Tianping refuses to use is not left with an open, pooled connection."""
    from tianping.store import _db

    if why == "newer-revision":
        with Store.open(store_url) as store, store.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engines: list[Engine] = []
    real = _db.create_engine

    def tracking(*args: object, **kwargs: object) -> Engine:
        engine = real(*args, **kwargs)  # type: ignore[arg-type]
        engines.append(engine)
        return engine

    monkeypatch.setattr(_db, "create_engine", tracking)
    with pytest.raises(StoreError):
        Store.open(store_url, migrate=why == "newer-revision")
    (engine,) = engines
    try:
        assert engine.pool.checkedin() == 0, "the refused database's connection was left open"
    finally:
        engine.dispose()


@pytest.mark.parametrize("url", ["not a url", "://nothing"])
def test_bad_url_is_store_error(url: str) -> None:
    with pytest.raises(StoreError, match="Not a database URL"):
        Store.open(url)


def test_unknown_dialect_is_store_error() -> None:
    with pytest.raises(StoreError, match=r"No database driver for 'nosuchdb'"):
        Store.open("nosuchdb://user@host/db")


@pytest.mark.parametrize(
    ("url", "module"),
    [
        ("postgresql+psycopg2://tianping:s3cret@127.0.0.1/db", "psycopg2"),
        ("mysql://tianping:s3cret@127.0.0.1/db", "MySQLdb"),
    ],
)
def test_missing_driver_is_store_error_without_password(url: str, module: str) -> None:
    try:
        __import__(module)
    except ImportError:
        pass
    else:
        pytest.skip(f"{module} is installed here")
    with pytest.raises(StoreError) as info:
        Store.open(url)
    message = str(info.value)
    assert module in message
    assert "s3cret" not in message, f"the password leaks into the error: {message}"


def test_unreachable_postgres_is_store_error_without_password() -> None:
    with pytest.raises(StoreError, match="Cannot open the database") as info:
        Store.open("postgresql://tianping:s3cret@127.0.0.1:1/db")
    assert "s3cret" not in str(info.value)
    assert "postgresql+psycopg://tianping:***@127.0.0.1:1/db" in str(info.value)


def test_sqlite_folder_that_cannot_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="Cannot create the folder"):
        Store.open(f"sqlite:///{blocker}/sub/t.db")


def test_default_db_url_honours_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TIANPING_DB", f"sqlite:///{tmp_path}/env.db")
    assert default_db_url() == f"sqlite:///{tmp_path}/env.db"
    with Store.open() as store:
        assert store.url == f"sqlite:///{tmp_path}/env.db"
    assert (tmp_path / "env.db").is_file()
    monkeypatch.delenv("TIANPING_DB")
    assert default_db_url().startswith("sqlite:///")
    assert default_db_url().endswith("tianping.db")


def test_url_hides_password() -> None:
    from sqlalchemy import create_engine

    engine = create_engine("postgresql+psycopg://u:s3cret@127.0.0.1/db")
    try:
        assert "s3cret" not in Store(engine).url
    finally:
        engine.dispose()
