"""``tianping models presets``."""

from __future__ import annotations

import os

import typer

from ._common import JsonOption, console, print_json

app = typer.Typer(rich_markup_mode=None, help="Models, presets and adapters.", no_args_is_help=True)


@app.command("presets")
def presets(json_out: JsonOption = False) -> None:
    """The vendors Tianping knows, with the key variable each needs."""
    from ..adapters import load_presets

    found = load_presets()
    if json_out:
        print_json(
            {
                name: {
                    **p.model_dump(mode="json", exclude={"errors", "params"}),
                    "key_set": bool(p.key_env and os.environ.get(p.key_env)),
                }
                for name, p in found.items()
            }
        )
        return
    from rich.table import Table

    table = Table()
    for header in ("prefix", "vendor", "base URL", "key variable", "set?", "example"):
        table.add_column(header, no_wrap=header in ("prefix", "key variable"))
    for name, p in found.items():
        key = p.key_env or "-"
        if not p.key_required:
            key += " (optional)"
        is_set = "yes" if p.key_env and os.environ.get(p.key_env) else "-"
        example = f"{name}:{p.example_models[0]}" if p.example_models else f"{name}:MODEL"
        table.add_row(name, p.title, p.base_url, key, is_set, example)
    out = console()
    out.print(table)
    out.print(
        "Also: openai-compat:MODEL@http://host:port/v1 (any server), "
        "mock:echo|refuse-all|comply-all|fixed?text=... (demos and tests)."
    )
