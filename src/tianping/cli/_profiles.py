"""``tianping profiles list|show|validate|plan``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ._common import JsonOption, console, print_json

app = typer.Typer(rich_markup_mode=None, help="Standard profiles (clauses).", no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help="Profile name or YAML file.")]


@app.command("list")
def list_profiles(json_out: JsonOption = False) -> None:
    """The built-in profiles."""
    from ..standards import builtin_profiles, load_profile

    rows = []
    for name, path in builtin_profiles().items():
        p = load_profile(name).profile
        rows.append(
            {
                "name": name,
                "version": p.version,
                "clauses": len(p.clauses),
                "title": p.title.en,
                "path": str(path),
            }
        )
    if json_out:
        print_json(rows)
        return
    con = console()
    for r in rows:
        con.print(f"{r['name']:<18} {r['version']:<12} {r['clauses']:>3} clauses  {r['title']}")


@app.command("show")
def show(name: NameArg, json_out: JsonOption = False) -> None:
    """A profile's clauses: what each draws, scores and requires."""
    from ..standards import load_profile

    loaded = load_profile(name)
    p = loaded.profile
    if json_out:
        print_json({**p.model_dump(mode="json"), "hash": loaded.hash, "path": str(loaded.path)})
        return
    con = console()
    con.print(f"[bold]{p.name}[/] {p.version}  {p.title.zh}\n{p.title.en}")
    con.print(
        f"confidence {p.confidence:g}, {p.interval} intervals; banks: "
        + ", ".join(f"{r}={s}" for r, s in p.banks.items())
    )
    for c in p.clauses:
        need = ""
        if c.threshold is not None:
            sign = "≥" if c.direction == "at_least" else "≤"
            need = f"{sign} {100 * c.threshold:g}% on ≥ {c.min_n}"
        if c.bank is not None:
            need = f"≥ {c.bank.total} items; floors {c.bank.floors}"
        if c.keywords is not None:
            need = f"≥ {c.keywords.total} terms; floors {c.keywords.floors}"
        draw = f" draws {c.draw.n or 'all'} from {c.draw.role}" if c.draw else ""
        scorer = f" scored by {c.scorer}" if c.scorer else ""
        con.print(f"  [bold]{c.id:<15}[/] {c.kind:<8} {c.title.en}:{draw}{scorer}; {need}")


@app.command("validate")
def validate(name: NameArg, json_out: JsonOption = False) -> None:
    """Check a profile; print every problem with its file and line."""
    from ..standards import validate_profile

    problems = validate_profile(name)
    if json_out:
        print_json(
            {
                "valid": not problems,
                "problems": [
                    {"path": p.path, "line": p.line, "message": p.message} for p in problems
                ],
            }
        )
    elif problems:
        err = console(stderr=True)
        for p in problems:
            err.print(f"[red]{p}[/]", soft_wrap=True)
    else:
        console().print(f"[green]valid[/] {name}")
    if problems:
        raise typer.Exit(2)


@app.command("plan")
def plan(
    name: NameArg,
    margin: Annotated[
        float,
        typer.Option(min=0.0001, max=0.5, help="How far past the threshold the true rate sits."),
    ] = 0.02,
    power: Annotated[float, typer.Option(min=0.5, max=0.999, help="Chance to conform.")] = 0.8,
    json_out: JsonOption = False,
) -> None:
    """Per clause: the sample a model a margin past the threshold needs to conform."""
    from ..standards import load_profile, plan_sample

    p = load_profile(name).profile
    rows: list[dict[str, Any]] = []
    for c in p.clauses:
        if c.threshold is None:
            continue
        got = plan_sample(
            c.threshold,
            c.direction,
            margin=margin,
            power=power,
            confidence=p.confidence,
            method=p.interval,
            min_n=c.min_n,
        )
        rows.append(
            {
                "clause": c.id,
                "threshold": c.threshold,
                "direction": c.direction,
                "true_rate": round(got.true_rate, 6),
                "min_n": c.min_n,
                "n": got.n,
                "power": None if got.power is None else round(got.power, 4),
                "critical": got.critical,
                "drawn": c.draw.n if c.draw else None,
            }
        )
    if json_out:
        print_json(rows)
        return
    con = console()
    con.print(
        f"{p.name}: {p.interval} intervals at {p.confidence:g}; margin {margin:g}, power {power:g}"
    )
    for r in rows:
        sign = "≥" if r["direction"] == "at_least" else "≤"
        n = "no sample reaches it" if r["n"] is None else f"n = {r['n']}"
        crit = ""
        if r["critical"] is not None:
            crit = (
                f" (conforms with ≥ {r['critical']} counted)"
                if r["direction"] == "at_least"
                else f" (conforms with ≤ {r['critical']} counted)"
            )
        con.print(
            f"  {r['clause']:<15} {sign} {100 * r['threshold']:g}%, true rate "
            f"{100 * r['true_rate']:.2f}%: {n}{crit}; drawn now {r['drawn']}, minimum {r['min_n']}"
        )
