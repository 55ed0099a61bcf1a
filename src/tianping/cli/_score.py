"""``tianping score`` and ``tianping responses import``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ._common import DbOption, JsonOption, console, open_store, print_json

responses_app = typer.Typer(
    rich_markup_mode=None, help="Responses gathered elsewhere.", no_args_is_help=True
)


def score(
    run_id: Annotated[str | None, typer.Argument(help="Run id or a unique prefix.")] = None,
    scorer: Annotated[
        list[str] | None,
        typer.Option(
            "--scorer",
            "-s",
            help="Scorer to apply to every item (repeatable). "
            "Default: each item's scorer or its suite's.",
        ),
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--scorer-option",
            "-o",
            help="SCORER.KEY=VALUE, e.g. -o judge.model=qwen:qwen-max -o judge.rubric=refusal "
            "(repeatable; values are read as YAML scalars).",
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
    from ..core import ConfigError, Score
    from ..engine._progress import interactive
    from ..scoring import score_run, scorer_names

    if list_scorers:
        console().print("\n".join(scorer_names()))
        return
    if run_id is None:
        raise ConfigError("Name the run to score: tianping score RUN_ID [--scorer NAME].")
    target: str = run_id
    bar = _ScoreBar(enabled=interactive() and not json_out)

    def on_score(s: Score) -> None:
        bar.tick()
        if json_out:
            print_json(
                {
                    "item_id": s.item_id,
                    "scorer": s.scorer,
                    "value": s.value,
                    "label": s.label,
                    "explanation": s.explanation,
                }
            )

    with open_store(db) as store:
        bar.total = store.get_run(target).n_items * max(1, len(scorer or ()))
        with bar:
            result = score_run(
                store, target, scorer or (), options=_options(option or []), on_score=on_score
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


def _options(pairs: list[str]) -> dict[str, dict[str, Any]]:
    """``["judge.model=x", "code.timeout=5"]`` -> ``{"judge": {"model": "x"}, "code": {...}}``."""
    import yaml

    from ..core import ConfigError

    out: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        scorer, dot, name = key.partition(".")
        if not sep or not dot or not scorer or not name:
            raise ConfigError(f"Scorer option {pair!r} is not SCORER.KEY=VALUE.")
        try:
            value = yaml.safe_load(raw) if raw else ""
        except yaml.YAMLError:
            value = raw
        out.setdefault(scorer, {})[name] = value
    return out


def calibrate(
    run_id: Annotated[str, typer.Argument(help="Run id or a unique prefix.")],
    scorer: Annotated[
        str, typer.Option("--scorer", "-s", help="Scorer whose stored labels are compared.")
    ],
    labels: Annotated[
        str, typer.Option("--labels", "-l", help='JSONL: {"item_id": ..., "label": ...} per line.')
    ],
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Agreement of a scorer's stored labels with human labels: accuracy, Cohen's kappa."""
    from ..scoring import calibrate as compare

    with open_store(db) as store:
        result = compare(store, run_id, scorer, labels)
    if json_out:
        print_json(result.to_json())
        return
    out = console()
    out.print(
        f"{scorer}: {result.n} items compared ({result.skipped} without a label), "
        f"accuracy {result.accuracy:.1%}, Cohen's kappa {result.kappa:.3f}"
    )
    for human, row in result.confusion.items():
        out.print(f"  human {human}: " + ", ".join(f"{a} {c}" for a, c in row.items()))


class _ScoreBar:
    """A Rich progress bar for scoring, shown on a terminal only."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.total = 0
        self._bar: Any = None

    def __enter__(self) -> _ScoreBar:
        if self.enabled:
            from rich.progress import Progress

            from ._common import console as make_console

            self._bar = Progress(console=make_console(stderr=True), transient=True)
            self._bar.__enter__()
            self._task = self._bar.add_task("scoring", total=self.total or None)
        return self

    def tick(self) -> None:
        if self._bar is not None:
            self._bar.advance(self._task)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


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
