"""Bring a database to the schema this version of Tianping expects (Alembic)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, inspect, text

from ..core import StoreError

# The newest migration in migrations/versions. Checked without importing
# Alembic, which costs ~0.4 s of start-up on every command otherwise.
HEAD = "0003"
_KNOWN = ("0001", "0002", "0003")


def current_revision(conn: Connection) -> str | None:
    """The schema revision recorded in the database, or None for an empty one."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(conn: Connection, target: str = "head") -> None:
    """Run Alembic migrations on ``conn`` up to ``target``."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, target)


def create_fresh(conn: Connection) -> None:
    """Create the current schema in an empty database and stamp it at HEAD.

    The same result as running every migration (a test compares the two), without
    importing Alembic: a user's first command stays fast.
    """
    from ._tables import metadata

    metadata.create_all(conn)
    conn.execute(
        text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    )
    conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": HEAD})


def ensure_schema(conn: Connection, *, migrate: bool) -> None:
    """Check the schema revision; create an empty database or upgrade an older one."""
    rev = current_revision(conn)
    if rev == HEAD:
        return
    if rev is None and migrate and not inspect(conn).get_table_names():
        create_fresh(conn)
        return
    if rev is not None and rev not in _KNOWN:
        raise StoreError(
            f"The database has schema revision {rev!r}, newer than this Tianping knows "
            f"({HEAD!r}). Upgrade Tianping to use it."
        )
    if not migrate:
        raise StoreError(
            f"The database schema is at {rev or 'nothing'}, not {HEAD}: run `tianping db upgrade`."
        )
    upgrade(conn)
