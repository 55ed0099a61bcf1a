"""``tianping runs list|show``."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated

import typer

from ._common import DbOption, JsonOption, console, open_store, print_json

app = typer.Typer(rich_markup_mode=None, help="Stored runs.", no_args_is_help=True)


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


@app.command("list")
def list_runs(
    limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 50,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """List runs, newest first."""
    with open_store(db) as store:
        records = store.list_runs(limit)
    if json_out:
        print_json([{k: v for k, v in asdict(r).items() if k != "manifest"} for r in records])
        return
    from rich.table import Table

    table = Table()
    for header in ("run", "status", "model", "suite", "done", "failed", "cached", "started (UTC)"):
        table.add_column(header, no_wrap=header in ("run", "started (UTC)"))
    for r in records:
        table.add_row(
            r.id,
            r.status,
            r.model_spec,
            r.suite_name,
            f"{r.completed}/{r.n_items}",
            str(r.failed),
            str(r.cache_hits),
            _when(r.created_at),
        )
    console().print(table if records else "No runs yet.")


@app.command("show")
def show(
    run_id: Annotated[str, typer.Argument(help="Run id or a unique prefix.")],
    responses: Annotated[
        int, typer.Option(help="Also print the first N responses (with --json: all).")
    ] = 0,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Show one run: counts, manifest, and optionally its responses."""
    with open_store(db) as store:
        record = store.get_run(run_id)
        if json_out:
            data = asdict(record)
            if responses:
                data["responses"] = [
                    r.model_dump(mode="json") for r in store.iter_run_responses(record.id)
                ]
            print_json(data)
            return
        out = console()
        out.print(f"[bold]run {record.id}[/]  {record.status}")
        out.print(f"model      {record.model_spec}")
        out.print(f"suite      {record.suite_name} ({record.suite_hash})")
        out.print(
            f"items      {record.completed}/{record.n_items} done, {record.failed} failed, "
            f"{record.cache_hits} from cache"
        )
        out.print(f"requests   {record.requests_sent} sent, {record.retries} retries")
        out.print(f"started    {_when(record.created_at)}   finished {_when(record.finished_at)}")
        if record.error:
            out.print(f"[red]error      {record.error}[/]")
        ident = record.manifest.get("reported_identity")
        if ident:
            out.print(f"identity   {', '.join(ident)}")
        sent = record.manifest.get("params", {}).get("sent")
        out.print(f"params     {sent}")
        if responses:
            for n, row in enumerate(store.iter_run_responses(record.id)):
                if n >= responses:
                    break
                text = (row.text or row.error or "").replace("\n", " ")
                out.print(f"  [dim]{row.item_id}[/] {row.status}: {text[:120]}")
