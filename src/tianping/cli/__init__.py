"""The ``tianping`` command line.

Exit codes: 0 done; 1 a run finished with failed items (resume to retry them);
2 bad option, model spec, profile or configuration; 3 invalid suite; 4 model
endpoint error that stopped the run; 5 database error; 6 run or assessment
cannot start, finish or resume; 7 attestation invalid, or a signing key
missing, unreadable or already present; 130 interrupted (resume to continue).
"""

from __future__ import annotations

import gc
import sys

import typer

from . import (
    _assess,
    _attest,
    _catalog,
    _db,
    _keywords,
    _models,
    _profiles,
    _review,
    _run,
    _runs,
    _score,
    _serve,
    _suites,
    _users,
)

app = typer.Typer(
    name="tianping",
    help="Tianping (天平): assess LLMs against a standard, clause by clause.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.command("assess")(_assess.assess)
app.command("report")(_assess.report)
app.command("run")(_run.run)
app.command("score")(_score.score)
app.command("calibrate")(_score.calibrate)
app.add_typer(_score.responses_app, name="responses")
app.add_typer(_runs.app, name="runs")
app.add_typer(_assess.app, name="assessments")
app.add_typer(_profiles.app, name="profiles")
app.add_typer(_models.app, name="models")
_models.app.command("fingerprint")(_catalog.fingerprint)
app.add_typer(_catalog.app, name="catalog")
app.add_typer(_suites.app, name="suites")
app.add_typer(_keywords.app, name="keywords")
app.add_typer(_db.app, name="db")
app.add_typer(_review.app, name="review")
app.command("serve")(_serve.serve)
app.add_typer(_users.users_app, name="users")
app.add_typer(_users.tokens_app, name="tokens")
app.add_typer(_attest.keys_app, name="keys")
app.command("verify")(_attest.verify)


def _version(value: bool) -> None:
    if value:
        from .._version import __version__

        typer.echo(f"tianping {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Tianping (天平): assess LLMs against a standard, clause by clause."""


def main() -> None:
    """Console entry point: run the app, turning Tianping errors into clean messages."""
    from ..core._errors import TianpingError  # no pydantic: keeps --help fast

    try:
        app()
    except TianpingError as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    finally:
        # Everything is written and closed by now. Freezing the heap spares the
        # interpreter's final collection of the ~10^5 objects pydantic and
        # SQLAlchemy create: about 0.13 s of every command's exit on a slow core.
        gc.freeze()


__all__ = ["app", "main"]
