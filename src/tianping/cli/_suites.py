"""``tianping suites list|validate``."""

from __future__ import annotations

from typing import Annotated

import typer

from ._common import JsonOption, console, print_json

app = typer.Typer(rich_markup_mode=None, help="Test suites (banks of items).", no_args_is_help=True)


@app.command("list")
def list_suites(json_out: JsonOption = False) -> None:
    """The built-in suites."""
    from ..suites import builtin_suites

    found = builtin_suites()
    if json_out:
        print_json({name: str(path) for name, path in found.items()})
        return
    out = console()
    for name, path in found.items():
        out.print(f"{name}  [dim]{path}[/]")


@app.command("validate")
def validate(
    path: Annotated[str, typer.Argument(help="Manifest (.yaml), item file (.jsonl) or name.")],
    json_out: JsonOption = False,
) -> None:
    """Check a suite; print every problem with its file and line."""
    from ..suites import load_suite, validate_suite

    problems = validate_suite(path)
    if json_out:
        if problems:
            print_json(
                {
                    "valid": False,
                    "problems": [
                        {"path": p.path, "line": p.line, "message": p.message} for p in problems
                    ],
                }
            )
        else:
            s = load_suite(path)
            print_json(
                {
                    "valid": True,
                    "name": s.name,
                    "version": s.version,
                    "items": s.n_items,
                    "hash": s.hash,
                }
            )
    elif problems:
        err = console(stderr=True)
        for p in problems:
            err.print(f"[red]{p}[/]", markup=True, soft_wrap=True)
        err.print(f"{len(problems)} problem(s); nothing was run.")
    else:
        s = load_suite(path)
        console().print(f"[green]valid[/] {s.name} {s.version}: {s.n_items} items, {s.hash}")
    if problems:
        raise typer.Exit(3)
