"""``tianping score`` and ``tianping responses import``."""

from __future__ import annotations

from typing import Annotated

import typer

from ._common import DbOption, JsonOption, console, open_store, print_json

responses_app = typer.Typer(
    rich_markup_mode=None, help="Responses gathered elsewhere.", no_args_is_help=True
)


def score(
    run_id: Annotated[str, typer.Argument(help="Run id or a unique prefix.")],
    scorer: Annotated[
        list[str] | None,
        typer.Option(
            "--scorer",
            "-s",
            help="Scorer to apply to every item (repeatable). "
            "Default: each item's scorer or its suite's.",
        ),
    ] = None,
    list_scorers: Annotated[
        bool, typer.Option("--list", help="List the scorers and exit.")
    ] = False,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Grade a stored run's responses (no model is called); scores are stored beside them.

    With --json, prints one object per score: item_id, scorer, value, label, explanation.
    """
    from ..scoring import score_run, scorer_names

    if list_scorers:
        console().print("\n".join(scorer_names()))
        return
    with open_store(db) as store:
        result = score_run(
            store,
            run_id,
            scorer or (),
            on_score=(
                lambda s: print_json(
                    {
                        "item_id": s.item_id,
                        "scorer": s.scorer,
                        "value": s.value,
                        "label": s.label,
                        "explanation": s.explanation,
                    }
                )
            )
            if json_out
            else None,
        )
    if json_out:
        return
    from rich.table import Table

    table = Table()
    for header in ("scorer", "version", "scored", "graded", "mean", "labels"):
        table.add_column(header)
    for s in result.scorers.values():
        labels = ", ".join(f"{k} {v}" for k, v in s.labels.most_common(6))
        mean = "-" if s.mean is None else f"{s.mean:.4f}"
        table.add_row(s.scorer, s.version, str(s.n), str(s.graded), mean, labels)
    out = console()
    out.print(f"run [bold]{result.run_id}[/]")
    out.print(table)
    if result.unscored:
        out.print(f"{result.unscored} item(s) had no scorer (name one with --scorer).")


@responses_app.command("import")
def import_(
    path: Annotated[str, typer.Argument(help="JSONL: id, prompt or messages, response, labels.")],
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="What produced the responses (a label).")
    ] = None,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Store responses gathered elsewhere as a run, ready for `tianping score`."""
    from ..engine import import_responses

    with open_store(db) as store:
        result = import_responses(path, store=store, model=model)
    if json_out:
        print_json(result.to_json())
        return
    console().print(
        f"imported run [bold]{result.run_id}[/]: {result.items} items, "
        f"{result.completed} with a response. Grade it with: tianping score {result.run_id} "
        "--scorer NAME"
    )
