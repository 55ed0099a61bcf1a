"""Alembic environment: runs migrations on the connection Tianping hands it."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from tianping.store._tables import metadata

config = context.config
connection: Connection | None = config.attributes.get("connection")


def _run(conn: Connection) -> None:
    context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:  # invoked by the alembic command line with sqlalchemy.url set
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set sqlalchemy.url or run `tianping db upgrade`")
    with create_engine(url).connect() as conn:
        _run(conn)
