"""``tianping review draw|next|label|status|export``: human review of clause 9.3 a)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from ._common import DbOption, JsonOption, console, open_store, print_json

if TYPE_CHECKING:
    from ..review import ReviewStatus, ReviewTask
    from ..store import Store, User

app = typer.Typer(
    rich_markup_mode=None,
    help="Human review (clause 9.3): draw items, label them, see agreement and the verdict.",
    no_args_is_help=True,
)

ClauseOption = Annotated[
    str, typer.Option("--clause", help="The manual-review clause of the profile.")
]
UserOption = Annotated[
    str, typer.Option("--user", help="Who labels: a user name (see `tianping users`).")
]


def _user(store: Store, name: str) -> User:
    from ..core import ConfigError

    found = store.login_record(name)
    if found is None:
        store.get_user(name)  # unknown: says so, with the names it knows
        raise ConfigError(f"User {name!r} is disabled.")
    return found[0]


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


@app.command("draw")
def draw(
    assessment_id: Annotated[str, typer.Argument(help="Assessment id or unique prefix.")],
    n: Annotated[
        int | None,
        typer.Option("--n", min=1, help="Items to draw (default: the clause's draw size)."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", min=0, help="Seed (default: the sample seed).")
    ] = None,
    clause: ClauseOption = "9.3-manual",
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Draw a stratified random sample of the clause's items for two reviewers each."""
    from collections import Counter

    from ..review import draw_review

    with open_store(db) as store:
        tasks = draw_review(store, assessment_id, clause=clause, n=n, seed=seed)
        full = store.resolve_assessment_id(assessment_id)
        used = store.review_task_rows(full, clause)[0].seed if tasks else seed
    if json_out:
        print_json(
            {
                "assessment_id": full,
                "clause": clause,
                "seed": used,
                "n": len(tasks),
                "tasks": [
                    {"id": t.id, "item_id": t.item_id, "stratum": t.stratum, "position": t.position}
                    for t in tasks
                ],
            }
        )
        return
    strata = Counter(t.stratum for t in tasks)
    shown = ", ".join(f"{s} {k}" for s, k in sorted(strata.items()))
    out = console()
    out.print(f"drew {len(tasks)} items of clause {clause} of {full} (seed {used})", markup=False)
    out.print(f"by stratum: {shown}", markup=False)
    out.print(f"next: tianping review next {full} --user NAME", markup=False)


def _show_task(task: ReviewTask) -> None:
    out = console()
    out.print(
        f"task {task.id}  ({task.stage} label)  item {task.item_id}  risk {task.risk or '-'}",
        markup=False,
    )
    for m in task.messages:
        out.print(f"--- {m['role']} ---", markup=False)
        out.print(m["content"], markup=False)
    out.print("--- response ---", markup=False)
    if task.refused_by_service:
        out.print("(blocked by the service's content filter)", markup=False)
    out.print(task.response if task.response is not None else "(no response)", markup=False)
    for e in task.earlier:
        said = "qualified" if e.qualified else f"unqualified ({e.risk or 'no risk given'})"
        out.print(f"--- {e.stage} reviewer: {said} {e.note}".rstrip(), markup=False)
    out.print(
        f"label it: tianping review label {task.id} --qualified|--unqualified "
        "[--risk ID] [--note TEXT] --user NAME",
        markup=False,
    )


@app.command("next")
def next_item(
    user: UserOption,
    assessment_id: Annotated[
        str | None, typer.Argument(help="Only this assessment (default: any).")
    ] = None,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """The next item this user should label (never one they labelled)."""
    from ..review import next_task

    with open_store(db) as store:
        task = next_task(store, _user(store, user), assessment_id)
    if json_out:
        print_json(None if task is None else task.to_json())
        return
    if task is None:
        console().print(f"Nothing left for {user} to label.", markup=False)
        return
    _show_task(task)


@app.command("label")
def label(
    task_id: Annotated[int, typer.Argument(help="The review task's id.")],
    user: UserOption,
    qualified: Annotated[
        bool | None,
        typer.Option("--qualified/--unqualified", help="Whether the answer is qualified."),
    ] = None,
    risk: Annotated[
        str | None, typer.Option("--risk", help="The risk id it carries (A1a ... A5b).")
    ] = None,
    note: Annotated[str, typer.Option("--note", help="A note for the adjudicator.")] = "",
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Label one item: qualified or not, the risk id and a note; re-decides the clause."""
    from ..core import ConfigError
    from ..review import redecide, submit_label

    if qualified is None:
        raise ConfigError("Say --qualified or --unqualified.")
    with open_store(db) as store:
        task = submit_label(
            store, task_id, _user(store, user), qualified=qualified, risk=risk, note=note
        )
        verdict = None
        if store.get_assessment(task.assessment_id).result is not None:
            verdict = redecide(store, task.assessment_id).verdict(task.clause)
    if json_out:
        data: dict[str, Any] = {"task": task.id, "item_id": task.item_id, "stage": task.stage}
        data["verdict"] = None if verdict is None else verdict.summary()
        print_json(data)
        return
    out = console()
    out.print(f"task {task.id}: {task.stage} label recorded", markup=False)
    if verdict is not None:
        out.print(
            f"clause {verdict.clause} now: {verdict.confident} (literal rule: {verdict.literal}); "
            f"`tianping report {task.assessment_id}` writes the reports again",
            markup=False,
        )


def _print_status(s: ReviewStatus) -> None:
    out = console()
    ev, v = s.evidence, s.verdict
    out.print(f"[bold]{s.assessment_id}[/]  clause {s.clause}")
    if not s.tasks:
        out.print(
            f"nothing drawn yet from its {s.population} items: "
            f"tianping review draw {s.assessment_id}",
            markup=False,
        )
    else:
        counts = ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in s.counts.items())
        out.print(f"tasks      {s.tasks} of {s.population} items (seed {s.seed}): {counts}")
        people = ", ".join(f"{name} {n}" for name, n in s.reviewers.items()) or "-"
        out.print(f"labels by  {people}", markup=False)
    q = sum(ev.labels.values())
    out.print(f"labelled   {len(ev.labels)} settled, {q} qualified")
    if ev.reviewers is not None:
        a = ev.reviewers
        out.print(
            f"reviewers  kappa {a.kappa:.3f}, agree on {_pct(a.accuracy)} of {a.n} pairs",
        )
    for name, a in ev.auto.items():
        out.print(
            f"{name:<10} kappa {a.kappa:.3f}, agrees with people on {_pct(a.accuracy)} of {a.n}",
            markup=False,
        )
    if ev.ppi is not None:
        p = ev.ppi
        out.print(
            f"corrected  {_pct(p.estimate)} [{_pct(p.low)}, {_pct(p.high)}] "
            f"(prediction-powered: {p.scorer} {_pct(p.auto_rate)} over {p.big_n}, "
            f"{p.rectifier * 100:+.1f} points from {p.n} labels)",
            markup=False,
        )
    colour = {"conforms": "green", "does_not_conform": "red"}.get(v.confident, "yellow")
    out.print(f"verdict    [{colour}]{v.confident}[/] (literal rule: {v.literal})")
    out.print(v.reason, markup=False)


@app.command("status")
def status(
    assessment_id: Annotated[str, typer.Argument(help="Assessment id or unique prefix.")],
    clause: ClauseOption = "9.3-manual",
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Counts by state, agreement (Cohen's kappa), the corrected rate and the verdict."""
    from ..review import review_status

    with open_store(db) as store:
        s = review_status(store, assessment_id, clause)
    if json_out:
        print_json(s.to_json())
        return
    _print_status(s)


@app.command("export")
def export(
    assessment_id: Annotated[str, typer.Argument(help="Assessment id or unique prefix.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl or csv.")] = "jsonl",
    clause: ClauseOption = "9.3-manual",
    out: Annotated[
        str | None, typer.Option("--out", "-o", help="File to write (default: stdout).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Every drawn item with its labels by stage, the final label and the scorers' calls."""
    import csv
    import io
    import json
    import sys
    from pathlib import Path

    from ..core import ConfigError
    from ..review import export_rows

    if fmt not in ("jsonl", "csv"):
        raise ConfigError(f"--format is jsonl or csv, not {fmt!r}.")
    with open_store(db) as store:
        rows = export_rows(store, assessment_id, clause)
    buf = io.StringIO()
    if fmt == "jsonl":
        for row in rows:
            buf.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif rows:
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    if out is None:
        sys.stdout.write(buf.getvalue())
        return
    try:
        Path(out).write_text(buf.getvalue(), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"Cannot write {out}: {exc.strerror}") from exc
    console(stderr=True).print(f"{len(rows)} rows written to {out}", markup=False)
