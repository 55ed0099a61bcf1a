"""``tianping catalog add|list|show|set|sync`` and ``tianping models fingerprint``."""

from __future__ import annotations

from datetime import UTC, datetime
from shlex import quote
from typing import TYPE_CHECKING, Annotated

import typer

from ._common import DbOption, JsonOption, console, open_store, print_json

if TYPE_CHECKING:
    from ..catalog import FingerprintResult, LatestVerdict, ModelRecord

app = typer.Typer(
    rich_markup_mode=None,
    help="The model catalog: records, latest verdicts per profile, fingerprints.",
    no_args_is_help=True,
)

Spec = Annotated[str, typer.Argument(help="Model spec, as assessments name it (qwen:qwen-plus).")]
ReleaseDate = Annotated[str | None, typer.Option(help="Release date, YYYY-MM-DD or YYYY-MM.")]
FilingNumber = Annotated[str | None, typer.Option(help="Filing (备案) number.")]
FilingStatus = Annotated[
    str | None,
    typer.Option(help="Filing status: filed, registered, pending, not_filed or revoked."),
]
Endpoint = Annotated[str | None, typer.Option(help="The public API endpoint (http(s) URL).")]
Notes = Annotated[str | None, typer.Option(help="Free text shown with the record.")]


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")


def _esc(text: str | None) -> str:
    from rich.markup import escape

    return escape(text) if text else "-"


def _verdict_cell(verdicts: dict[str, LatestVerdict]) -> str:
    lines = [
        f"{_esc(p)}: {v.conclusion}" + (" (STALE)" if v.stale else "") for p, v in verdicts.items()
    ]
    return "\n".join(lines) or "-"


def _filing(m: ModelRecord) -> str:
    parts = [p for p in (m.filing_status, m.filing_number) if p]
    return _esc(" ".join(parts)) if parts else "-"


@app.command("add")
def add(
    spec: Spec,
    vendor: Annotated[str, typer.Option(help="Who makes the model (阿里云, DeepSeek ...).")],
    name: Annotated[str, typer.Option(help="The model's product name.")],
    version: Annotated[str, typer.Option(help="The version the vendor gives.")],
    release_date: ReleaseDate = None,
    filing_number: FilingNumber = None,
    filing_status: FilingStatus = None,
    endpoint: Endpoint = None,
    notes: Notes = None,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Put a model in the catalog (or describe one that was fingerprinted or assessed)."""
    from ..catalog import add_model

    with open_store(db) as store:
        record = add_model(
            store,
            spec,
            vendor=vendor,
            name=name,
            version=version,
            release_date=release_date,
            filing_number=filing_number,
            filing_status=filing_status,
            endpoint=endpoint,
            notes=notes,
        )
    if json_out:
        print_json(record.to_json())
        return
    console().print(f"{_esc(record.spec)}: in the catalog as {_esc(_title(record))}")


@app.command("set")
def set_fields(
    spec: Spec,
    vendor: Annotated[str | None, typer.Option(help="Who makes the model.")] = None,
    name: Annotated[str | None, typer.Option(help="The model's product name.")] = None,
    version: Annotated[str | None, typer.Option(help="The version the vendor gives.")] = None,
    release_date: ReleaseDate = None,
    filing_number: FilingNumber = None,
    filing_status: FilingStatus = None,
    endpoint: Endpoint = None,
    notes: Notes = None,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Change fields of a catalog record; an empty value ("") clears an optional field."""
    from ..catalog import update_model

    fields = {
        "vendor": vendor,
        "name": name,
        "version": version,
        "release_date": release_date,
        "filing_number": filing_number,
        "filing_status": filing_status,
        "endpoint": endpoint,
        "notes": notes,
    }
    with open_store(db) as store:
        record = update_model(store, spec, **{k: v for k, v in fields.items() if v is not None})
    if json_out:
        print_json(record.to_json())
        return
    console().print(f"{_esc(record.spec)}: updated ({_esc(_title(record))})")


@app.command("list")
def list_catalog(
    vendor: Annotated[str | None, typer.Option(help="Only this vendor (any case).")] = None,
    profile: Annotated[str | None, typer.Option(help="Only models assessed on it.")] = None,
    verdict: Annotated[
        str | None,
        typer.Option(
            help="Only models whose latest verdict (for --profile, or any) is this: "
            "conforms, does_not_conform, inconclusive, not_applicable."
        ),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Latest assessment finished on or after (YYYY-MM-DD, UTC).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Latest assessment finished on or before (YYYY-MM-DD).")
    ] = None,
    stale: Annotated[
        bool | None,
        typer.Option(
            "--stale/--current",
            help="Only verdicts a later fingerprint made stale / only those still current.",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="Models per page.")] = 50,
    cursor: Annotated[str | None, typer.Option(help="The next page (printed after each).")] = None,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Models in the catalog with their latest verdict per profile, by vendor and name."""
    from ..catalog import catalog_rows

    with open_store(db) as store:
        page = catalog_rows(
            store, vendor, profile, verdict, since, until, limit, cursor, stale=stale
        )
    if json_out:
        print_json(page.to_json())
        return
    from rich.table import Table

    table = Table()
    for header in ("spec", "vendor", "model", "version", "filing", "latest verdicts", "identity"):
        table.add_column(header, no_wrap=header == "spec")
    for row in page.rows:
        m, fp = row.model, row.fingerprint
        ident = "-" if fp is None else f"{_esc(fp.identity)} ({_when(fp.taken_at)})"
        table.add_row(
            _esc(m.spec),
            _esc(m.vendor),
            _esc(m.name),
            _esc(m.version),
            _filing(m),
            _verdict_cell(row.verdicts),
            ident,
        )
    out = console()
    out.print(table if page.rows else "No models match.")
    if page.next_cursor:
        out.print(f"More: --cursor {page.next_cursor}")


@app.command("show")
def show(
    spec: Spec,
    fingerprints: Annotated[int, typer.Option(min=0, help="How many fingerprints to list.")] = 10,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """One model: its record, latest verdict per profile, and recent fingerprints."""
    from ..catalog import get_model, latest_verdicts

    with open_store(db) as store:
        record = get_model(store, spec)
        verdicts = latest_verdicts(store, record.spec)
        prints = store.list_fingerprints(record.id, limit=fingerprints) if fingerprints else []
    if json_out:
        print_json(
            {
                **record.to_json(),
                "verdicts": {p: v.to_json() for p, v in verdicts.items()},
                "fingerprints": [f.to_json() for f in prints],
            }
        )
        return
    out = console()
    out.print(f"{_esc(record.spec)}: {_esc(_title(record))}")
    for label, value in (
        ("release date", record.release_date),
        ("filing", " ".join(p for p in (record.filing_status, record.filing_number) if p)),
        ("endpoint", record.endpoint),
        ("notes", record.notes),
    ):
        out.print(f"  {label:<13}{_esc(value)}")
    out.print("Latest verdicts:" if verdicts else "Not assessed yet.")
    for profile, v in verdicts.items():
        note = "  STALE: the model changed since; re-assess" if v.stale else ""
        out.print(
            f"  {_esc(profile)}: {v.conclusion} (assessment {v.assessment_id}, "
            f"{_when(v.finished_at)}){note}"
        )
    out.print("Fingerprints (newest first):" if prints else "No fingerprints yet.")
    for i, f in enumerate(prints):
        first = i == len(prints) - 1 and len(prints) < fingerprints
        mark = "CHANGED" if f.changed else "first" if first else "same"
        out.print(
            f"  {_when(f.taken_at)}  {mark:<7}  {_esc(f.identity)}  {f.probe_set}  {f.digest[:16]}"
        )


@app.command("sync")
def sync(json_out: JsonOption = False, db: DbOption = None) -> None:
    """Give every assessed model without a catalog record one (for older databases)."""
    from ..catalog import sync_catalog

    with open_store(db) as store:
        added = sync_catalog(store)
    if json_out:
        print_json({"added": added})
        return
    console().print(
        f"Added {len(added)} model(s) to the catalog." + "".join(f"\n  {_esc(s)}" for s in added)
    )


def fingerprint(
    spec: Spec,
    via: Annotated[
        str | None,
        typer.Option(
            help="Send the probes to this spec instead (the same model through another "
            "gateway or key); the fingerprint is recorded under SPEC."
        ),
    ] = None,
    tolerance: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=0.99,
            help="Share of answers that may differ from the last fingerprint before the model "
            "counts as changed (temperature-0 answers of hosted models are not always "
            "bit-stable). 0 for deterministic endpoints.",
        ),
    ] = 0.25,
    probe_set: Annotated[str, typer.Option(help="Probe set id.")] = "probes-2026.11",
    timeout: Annotated[float, typer.Option(min=1.0, help="Seconds per request.")] = 120.0,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Fingerprint a model and say whether it changed since the last fingerprint.

    Sends a fixed probe set at temperature 0, records the model name the endpoint
    reports and a hash of each answer. A change marks the model's verdicts stale.
    """
    from ..adapters import AdapterOptions
    from ..catalog import take_fingerprint

    with open_store(db) as store:
        result = take_fingerprint(
            store,
            spec,
            via=via,
            tolerance=tolerance,
            probe_set=probe_set,
            options=AdapterOptions(timeout=timeout),
        )
    if json_out:
        print_json(result.to_json())
        return
    _print_fingerprint(result)


def _print_fingerprint(result: FingerprintResult) -> None:
    out = console()
    fp, cmp = result.fingerprint, result.comparison
    out.print(
        f"{_esc(result.model.spec)}: fingerprint {fp.digest[:16]} ({fp.probe_set}, "
        f"{len(fp.answers)} probes); reports {_esc(fp.identity)}"
    )
    out.print(_esc(cmp.summary()))
    if cmp.backend_changed:
        out.print(
            "Note: the endpoint's system_fingerprint changed (its serving configuration); "
            "that alone does not count as a changed model."
        )
    if result.changed:
        if result.stale:
            out.print("These verdicts are now stale; re-assess the model:")
            for profile, v in result.stale.items():
                out.print(
                    f"  {_esc(profile)}: {v.conclusion} (assessment {v.assessment_id}) -> "
                    f"tianping assess --model {_esc(quote(result.model.spec))} "
                    f"--profile {_esc(quote(profile))}"
                )
        else:
            out.print("No verdict of this model was current; nothing became stale.")


def _title(m: ModelRecord) -> str:
    return " ".join(p for p in (m.vendor, m.name, m.version) if p) or "(not described yet)"
