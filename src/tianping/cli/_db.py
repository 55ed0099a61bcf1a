"""``tianping db upgrade|info``."""

from __future__ import annotations

import typer

from ._common import DbOption, console

app = typer.Typer(rich_markup_mode=None, help="The database.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(db: DbOption = None) -> None:
    """Create the database or migrate it to this version's schema."""
    from ..store import SCHEMA_HEAD, Store

    with Store.open(db, migrate=True) as store:
        console().print(f"{store.url}: schema {SCHEMA_HEAD}")


@app.command("info")
def info(db: DbOption = None) -> None:
    """Where the database is and its schema revision."""
    from ..store import Store, current_revision

    with Store.open(db, migrate=False) as store, store.engine.connect() as conn:
        console().print(f"{store.url}: schema {current_revision(conn)}")
