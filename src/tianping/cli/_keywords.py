"""``tianping keywords coverage|scan``: keyword libraries against clause 8.1."""

from __future__ import annotations

from typing import Annotated

import typer

from ._common import JsonOption, console, print_json

app = typer.Typer(
    rich_markup_mode=None, help="Keyword libraries (clause 8.1).", no_args_is_help=True
)


@app.command("coverage")
def coverage(
    path: Annotated[
        str, typer.Argument(help="Library: CSV or JSONL with term, risk, lang, severity.")
    ],
    json_out: JsonOption = False,
) -> None:
    """Count a library's terms per risk and language and check clause 8.1's floors."""
    from ..scoring._keywords import coverage as count
    from ..scoring._keywords import load_library

    report = count(load_library(path))
    if json_out:
        print_json(
            {
                "source": report.source,
                "total": report.total,
                "met": report.met,
                "by_risk": report.by_risk,
                "checks": [
                    {"what": c.what, "required": c.required, "actual": c.actual, "met": c.met}
                    for c in report.checks
                ],
            }
        )
    else:
        console().print(str(report), markup=False)
    if not report.met:
        raise typer.Exit(1)


@app.command("scan")
def scan(
    library: Annotated[str, typer.Argument(help="Keyword library (CSV or JSONL).")],
    text: Annotated[str, typer.Argument(help="Text to scan (use - to read standard input).")],
    json_out: JsonOption = False,
) -> None:
    """Find a library's terms in a text, through width, spacing, punctuation and script tricks."""
    import sys

    from ..scoring._keywords import KeywordMatcher, load_library

    body = sys.stdin.read() if text == "-" else text
    hits = KeywordMatcher(load_library(library)).find(body)
    if json_out:
        print_json(
            [
                {
                    "term": h.term,
                    "risk": h.risk,
                    "severity": h.severity,
                    "start": h.start,
                    "end": h.end,
                    "text": body[h.start : h.end],
                }
                for h in hits
            ]
        )
        return
    out = console()
    for h in hits:
        out.print(
            f"{h.risk} {h.term!r} at {h.start}-{h.end}: {body[h.start : h.end]!r}", markup=False
        )
    out.print(f"{len(hits)} hit(s)")
