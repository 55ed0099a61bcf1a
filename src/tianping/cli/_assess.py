"""``tianping assess``, ``tianping report`` and ``tianping assessments list|show``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ._common import DbOption, JsonOption, console, open_store, print_json
from ._engine_opts import (
    Address,
    ChunkCpus,
    ChunkSize,
    Concurrency,
    Executor,
    MaxAttempts,
    MaxTokens,
    Rps,
    Seed,
    ShowProgress,
    Temperature,
    Timeout,
    Tpm,
    Workers,
    engine_config,
    executor_spec,
    generation_params,
)

if TYPE_CHECKING:
    from ..standards import AssessmentResult

app = typer.Typer(rich_markup_mode=None, help="Stored assessments.", no_args_is_help=True)

_COLOURS = {"conforms": "green", "does_not_conform": "red", "inconclusive": "yellow"}
FORMATS = ("html", "pdf", "json", "md", "filing")


def _bank_map(values: list[str]) -> dict[str, str]:
    from ..core import ConfigError

    out = {}
    for v in values:
        role, sep, path = v.partition("=")
        if not sep or not role or not path:
            raise ConfigError(f"--bank takes ROLE=SUITE (e.g. should-refuse=./my-bank), got {v!r}")
        out[role] = path
    return out


def _formats(value: str) -> tuple[str, ...]:
    from ..core import ConfigError

    chosen = tuple(f.strip() for f in value.split(",") if f.strip())
    bad = [f for f in chosen if f not in FORMATS]
    if bad:
        raise ConfigError(f"unknown report format(s) {bad}; known: {', '.join(FORMATS)}")
    return chosen


def print_verdicts(result: AssessmentResult) -> None:
    """The clause table and the conclusion, for a terminal."""
    from rich.table import Table

    out = console()
    table = Table(title=f"{result.model_spec} against {result.profile}", show_lines=False)
    for col in (
        "clause",
        "metric",
        "n",
        "estimate",
        "interval",
        "threshold",
        "literal",
        "confident",
    ):
        table.add_column(col)
    for v in result.verdicts:
        est = "-" if v.estimate is None else f"{100 * v.estimate:.1f}%"
        ci = "-" if v.low is None or v.high is None else f"[{100 * v.low:.1f}, {100 * v.high:.1f}]"
        thr = (
            "-"
            if v.threshold is None
            else (("≥ " if v.direction == "at_least" else "≤ ") + f"{100 * v.threshold:g}%")
        )
        conf = f"[{_COLOURS.get(v.confident, 'white')}]{v.confident}[/]"
        if v.n_needed:
            conf += f" (n≈{v.n_needed})"
        lit = f"[{_COLOURS.get(v.literal, 'white')}]{v.literal}[/]"
        table.add_row(v.clause, v.metric, str(v.n), est, ci, thr, lit, conf)
    out.print(table)
    colour = _COLOURS.get(result.conclusion, "white")
    out.print(
        f"conclusion: [bold {colour}]{result.conclusion}[/] "
        f"(literal rule: {result.literal_conclusion})  assessment {result.assessment_id}"
    )


def assess(
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model", "-m", help="Model spec, e.g. qwen:qwen-plus (repeat to assess several)."
        ),
    ] = None,
    profile: Annotated[
        str | None, typer.Option("--profile", "-p", help="Profile name or YAML file.")
    ] = None,
    sample_seed: Annotated[int, typer.Option(help="Seed of the item sampling.")] = 0,
    max_per_clause: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="A quick look: draw at most N items per clause (clauses below their "
            "minimum sample come out inconclusive).",
        ),
    ] = None,
    judge: Annotated[
        str | None, typer.Option(help="Model spec of a judge for the risk and judge scorers.")
    ] = None,
    bank: Annotated[
        list[str] | None,
        typer.Option("--bank", help="ROLE=SUITE: use your own bank for a role (repeatable)."),
    ] = None,
    keywords: Annotated[
        str | None, typer.Option(help="Keyword library (CSV/JSONL) instead of the profile's.")
    ] = None,
    reference: Annotated[
        str | None, typer.Option(help="Assessment id of the reference model (graded profiles).")
    ] = None,
    out: Annotated[
        str | None, typer.Option("--out", "-o", help="Folder for reports and attestation.")
    ] = None,
    formats: Annotated[str, typer.Option("--formats", help="Report formats.")] = ",".join(FORMATS),
    lang: Annotated[str, typer.Option(help="Report language: zh or en.")] = "zh",
    sign: Annotated[
        bool, typer.Option("--sign/--no-sign", help="Write a signed attestation.")
    ] = True,
    key_dir: Annotated[str | None, typer.Option(help="Folder of the signing key.")] = None,
    resume: Annotated[
        list[str] | None,
        typer.Option("--resume", help="Continue a stopped assessment (id or prefix; repeatable)."),
    ] = None,
    accept_failures: Annotated[
        bool,
        typer.Option(
            "--accept-failures", help="Decide even if some requests failed (counted as ungraded)."
        ),
    ] = False,
    concurrency: Concurrency = 16,
    temperature: Temperature = 0.0,
    max_tokens: MaxTokens = 1024,
    seed: Seed = None,
    timeout: Timeout = 120.0,
    rps: Rps = None,
    tpm: Tpm = None,
    max_attempts: MaxAttempts = 8,
    executor: Executor = "local",
    address: Address = None,
    workers: Workers = None,
    chunk_size: ChunkSize = 200,
    chunk_cpus: ChunkCpus = 1.0,
    progress: ShowProgress = None,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Assess models against a profile: sample, run, score, decide, report and sign."""
    from ..assess import AssessmentsStopped, AssessOptions, assess_models
    from ..core import ConfigError

    if not resume and (not model or profile is None):
        raise ConfigError("Give --model and --profile, or --resume ASSESSMENT_ID.")
    if resume and model:
        raise ConfigError("--resume takes the model from the assessment; drop --model.")
    if out is not None and model and len(model) > 1:
        raise ConfigError("--out is one folder: with several models, leave it out.")
    if lang not in ("zh", "en"):
        raise ConfigError(f"--lang must be zh or en, not {lang!r}")
    options = AssessOptions(
        sample_seed=sample_seed,
        max_per_clause=max_per_clause,
        judge=judge,
        banks=_bank_map(bank or []),
        keywords=keywords,
        reference=reference,
        out=out,
        formats=_formats(formats),
        lang=lang,
        sign=sign,
        key_dir=key_dir,
        params=generation_params(temperature, max_tokens, seed),
        engine=engine_config(concurrency, timeout, rps, tpm, max_attempts),
        executor=executor_spec(executor, address, workers, chunk_size, chunk_cpus),
        show_progress=progress,
        accept_failures=accept_failures,
    )
    stopped: AssessmentsStopped | None = None
    with open_store(db) as store:
        try:
            outcomes = assess_models(
                model or [], profile or "", store=store, options=options, resume=resume or []
            )
        except AssessmentsStopped as exc:
            outcomes, stopped = exc.outcomes, exc
    if json_out:
        if len(outcomes) == 1 and len(model or resume or []) == 1:
            print_json(outcomes[0].to_json())
        elif outcomes:
            print_json([o.to_json() for o in outcomes])
    else:
        con = console()
        for outcome in outcomes:
            print_verdicts(outcome.result)
            for fmt, path in outcome.files.items():
                con.print(f"{fmt:>8}: {path}")
            if outcome.attestation is not None:
                con.print(f"attested: {outcome.attestation}")
    if stopped is not None:
        raise stopped


def report(
    assessment_id: Annotated[str, typer.Argument(help="Assessment id or unique prefix.")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="html, pdf, json, md or filing.")
    ] = "html",
    lang: Annotated[str, typer.Option(help="zh or en.")] = "zh",
    out: Annotated[str | None, typer.Option("--out", "-o", help="Folder to write to.")] = None,
    db: DbOption = None,
) -> None:
    """Write a stored assessment's report again, in any format or language."""
    from pathlib import Path

    from ..core import ConfigError
    from ..report import write_reports

    formats = _formats(fmt)
    if lang not in ("zh", "en"):
        raise ConfigError(f"--lang must be zh or en, not {lang!r}")
    with open_store(db) as store:
        result, rec_out = _result(store, assessment_id)
    folder = Path(out or rec_out or ".")
    for name, path in write_reports(result, folder, formats, lang=lang).items():
        console().print(f"{name:>8}: {path}")


def _result(store: object, assessment_id: str) -> tuple[AssessmentResult, str | None]:
    from ..core import RunError
    from ..standards import AssessmentResult
    from ..store import Store

    assert isinstance(store, Store)
    rec = store.get_assessment(assessment_id)
    if rec.result is None:
        raise RunError(
            f"Assessment {rec.id} has no result yet (status {rec.status}); "
            f"continue it with `tianping assess --resume {rec.id}`."
        )
    return AssessmentResult.model_validate(rec.result), rec.out_dir


@app.command("list")
def list_assessments(
    model: Annotated[str | None, typer.Option(help="Only this model spec.")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 50,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Recent assessments, newest first."""
    with open_store(db) as store:
        records = store.list_assessments(limit, model=model)
    rows = [
        {
            "id": r.id,
            "status": r.status,
            "model": r.model_spec,
            "profile": r.profile,
            "conclusion": r.conclusion,
            "out_dir": r.out_dir,
        }
        for r in records
    ]
    if json_out:
        print_json(rows)
        return
    con = console()
    for r in rows:
        verdict = r["conclusion"] or "-"
        con.print(f"{r['id']}  {r['status']:<11} {verdict:<17} {r['model']}  {r['profile']}")


@app.command("show")
def show(
    assessment_id: Annotated[str, typer.Argument(help="Assessment id or unique prefix.")],
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """A stored assessment's verdicts."""
    with open_store(db) as store:
        result, _ = _result(store, assessment_id)
    if json_out:
        print_json(result.model_dump(mode="json"))
    else:
        print_verdicts(result)
