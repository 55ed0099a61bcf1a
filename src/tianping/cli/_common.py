"""Shared CLI pieces: options, output, error handling."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from ..store import Store

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="TIANPING_DB",
        help="Database URL (SQLAlchemy). Default: a SQLite file in the user's data directory.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def open_store(db: str | None) -> Store:
    from ..store import Store

    return Store.open(db)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=None, default=str) + "\n")


def console(stderr: bool = False) -> Any:
    """A Rich console; piped output gets a wide page so tables are never cut short."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else 200
    return Console(stderr=stderr, highlight=False, width=width)
