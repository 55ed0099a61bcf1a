"""``tianping suites list|validate|stats|lint|augment|import|coverage``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._common import JsonOption, console, print_json

app = typer.Typer(rich_markup_mode=None, help="Test suites (banks of items).", no_args_is_help=True)

SuiteArg = Annotated[
    str,
    typer.Argument(help="Suite: manifest (.yaml), item file (.jsonl), folder or built-in name."),
]


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


@app.command("stats")
def stats(path: SuiteArg, json_out: JsonOption = False) -> None:
    """Count a suite's items by risk, category, language, form, attack, aspect, scenario, refuse."""
    from ..suites import suite_stats

    result = suite_stats(path)
    if json_out:
        print_json(result.to_json())
    else:
        console().print(str(result), markup=False, soft_wrap=True)


@app.command("lint")
def lint(
    path: SuiteArg,
    near: Annotated[
        float, typer.Option(help="Near-duplicate threshold: Jaccard similarity of 3-grams.")
    ] = 0.6,
    max_chars: Annotated[int, typer.Option(help="Warn about items longer than this.")] = 8000,
    show: Annotated[int, typer.Option(help="Findings shown per check (--json: all).")] = 20,
    json_out: JsonOption = False,
) -> None:
    """Check a bank's quality: duplicates, near duplicates, empty or long items, labels.

    Exit code 3 when there are errors; warnings alone exit 0.
    """
    from ..suites import lint_suite

    report = lint_suite(path, near=near, max_chars=max_chars)
    if json_out:
        print_json(report.to_json())
    else:
        console().print(report.render(show), markup=False, soft_wrap=True)
    if report.errors:
        raise typer.Exit(3)


@app.command("augment")
def augment(
    suite: SuiteArg,
    attacks: Annotated[
        str,
        typer.Option(
            "--attacks",
            help="Comma-separated attacks (listed above), or all.",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path | None, typer.Option(help="Folder to write (default: NAME-attacks here).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for the choice of templates.")] = 0,
    translations: Annotated[
        Path | None,
        typer.Option(help="JSONL of {id, lang, text}: the requests translated, for low-resource."),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Derive a jailbreak bank from a suite's should-refuse items (refuse: true).

    Attacks: role-play, fiction, prefix-injection, refusal-suppression,
    payload-splitting, base64, leetspeak, pinyin, full-width, low-resource
    (needs --translations), many-shot.
    """
    from ..suites import augment_suite

    result = augment_suite(suite, attacks, out=out, seed=seed, translations=translations)
    if json_out:
        print_json(result.to_json())
    else:
        console().print(str(result), markup=False, soft_wrap=True)


@app.command("import")
def import_bank(
    fmt: Annotated[
        str,
        typer.Argument(
            metavar="FORMAT", help="donotanswer, harmbench, advbench, humaneval, jsonl or csv."
        ),
    ],
    path: Annotated[Path, typer.Argument(help="The source file, or the folder holding it.")],
    out: Annotated[
        Path | None, typer.Option(help="Folder to write (default: the suite's name, here).")
    ] = None,
    field_map: Annotated[
        list[str] | None,
        typer.Option(
            "--map", help="FIELD=COLUMN: an item field from a column or key (jsonl, csv)."
        ),
    ] = None,
    fixed: Annotated[
        list[str] | None,
        typer.Option("--set", help="FIELD=VALUE: the same value on every item (jsonl, csv)."),
    ] = None,
    name: Annotated[str | None, typer.Option(help="Suite name (default: per format).")] = None,
    licence: Annotated[
        str | None, typer.Option(help="The source's licence (jsonl, csv; others know theirs).")
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Import a published bank as a suite folder, with the source's licence files beside it."""
    from ..suites.importers import import_suite
    from ..suites.importers._generic import convert_defaults, parse_pairs

    result = import_suite(
        fmt,
        path,
        out=out,
        name=name,
        licence=licence,
        columns=parse_pairs(field_map or [], "--map"),
        defaults=convert_defaults(parse_pairs(fixed or [], "--set")),
    )
    if json_out:
        print_json(result.to_json())
    else:
        console().print(str(result), markup=False, soft_wrap=True)


@app.command("coverage")
def coverage(
    path: SuiteArg,
    profile: Annotated[
        str, typer.Option(help="Profile name or file (its bank clauses).", show_default=False)
    ],
    clause: Annotated[
        list[str] | None, typer.Option(help="Check only this clause (repeatable), e.g. 8.3a.")
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Check a bank against a profile's bank requirements: totals and per-group floors.

    A requirement no item matches is shown as "not this bank". Exit code 1
    when a requirement that applies is missed, or when none applies.
    """
    from ..core import ConfigError
    from ..suites import check_coverages, load_suite

    try:
        from ..standards import bank_requirements
    except ImportError as exc:
        raise ConfigError(f"profiles are not available in this installation: {exc}") from None
    requirements = bank_requirements(profile)
    if clause:
        known = [r.clause for r in requirements]
        unknown = [c for c in clause if c not in known]
        if unknown:
            raise ConfigError(
                f"no bank clause {', '.join(unknown)} in {profile}; "
                f"its bank clauses: {', '.join(known) or '(none)'}"
            )
        requirements = [r for r in requirements if r.clause in clause]
    suite = load_suite(path)
    results = check_coverages(suite.iter_items(), requirements)
    applying = [r for r in results if r.applies]
    met = bool(applying) and all(r.met for r in applying)
    if json_out:
        print_json(
            {
                "suite": suite.name,
                "version": suite.version,
                "profile": profile,
                "items": suite.n_items,
                "met": met,
                "requirements": [r.to_json() for r in results],
            }
        )
    else:
        out = console()
        out.print(
            f"{suite.name} {suite.version} ({suite.n_items} items) against {profile}:", markup=False
        )
        for r in results:
            out.print(str(r), markup=False, soft_wrap=True)
        if not applying:
            out.print("no bank requirement of this profile applies to this suite", markup=False)
    if not met:
        raise typer.Exit(1)
