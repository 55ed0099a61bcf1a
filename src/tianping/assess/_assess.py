"""``assess``: sample, run, score, decide every clause, report, attest.

One assessment is one model against one profile. Every stage reuses what is
stored: responses by request key (a second assessment of the same model
sends nothing it already has), and an interrupted assessment resumes from
its run.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..core import ConfigError, GenerationParams, Item, RunError, Score
from ..engine import (
    Counters,
    EngineConfig,
    ExecutorSpec,
    PreparedRun,
    RunResult,
    close_adapter,
    execute_runs,
    finish_run,
    prepare_resume,
    prepare_run,
)
from ..standards import AssessmentResult, ClauseVerdict, LoadedProfile, load_profile
from ..store import AssessmentRecord, Store
from ._banks import Bank, keyword_library, load_banks
from ._clauses import (
    Scored,
    bank_verdict,
    grade_verdict,
    keywords_verdict,
    overall,
    rate_verdict,
)
from ._human import human_verdict
from ._manifest import build_manifest
from ._sample import draw_items
from ._stages import Stages


@dataclass(frozen=True)
class AssessOptions:
    """How to assess: sampling seed, judge, own banks, outputs and signing."""

    sample_seed: int = 0
    max_per_clause: int | None = None
    judge: str | None = None
    banks: Mapping[str, str] = field(default_factory=dict)
    keywords: str | None = None
    reference: str | None = None
    out: str | None = None
    formats: tuple[str, ...] = ("html", "pdf", "json", "md", "filing")
    lang: str = "zh"
    sign: bool = True
    key_dir: str | None = None
    params: GenerationParams = field(default_factory=GenerationParams)
    engine: EngineConfig = field(default_factory=EngineConfig)
    executor: ExecutorSpec = field(default_factory=ExecutorSpec)
    show_progress: bool | None = None
    accept_failures: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "sample_seed": self.sample_seed,
            "max_per_clause": self.max_per_clause,
            "judge": self.judge,
            "banks": dict(self.banks),
            "keywords": self.keywords,
            "reference": self.reference,
            "out": self.out,
            "formats": list(self.formats),
            "lang": self.lang,
            "sign": self.sign,
            "key_dir": self.key_dir,
            "params": self.params.model_dump(mode="json"),
        }


@dataclass
class AssessmentOutcome:
    """What ``assess`` produced: the result, the files written and the run behind it."""

    result: AssessmentResult
    files: dict[str, Path]
    attestation: Path | None
    run: RunResult | None
    out_dir: Path

    def to_json(self) -> dict[str, Any]:
        r = self.result
        return {
            "assessment_id": r.assessment_id,
            "model": r.model_spec,
            "profile": r.profile,
            "conclusion": r.conclusion,
            "literal_conclusion": r.literal_conclusion,
            "reports": {fmt: str(p) for fmt, p in self.files.items()},
            "attestation": None if self.attestation is None else str(self.attestation),
            "run_id": r.manifest.run_id,
            "requests_sent": self.run.requests_sent if self.run else 0,
            "verdicts": [v.summary() for v in r.verdicts],
        }


def _new_id() -> str:
    return datetime.now(UTC).strftime("a%Y%m%d-%H%M%S-") + secrets.token_hex(3)


def default_out_dir(assessment_id: str) -> Path:
    """Where an assessment's files go without ``--out``: beside the default database."""
    from .._home import data_home

    return data_home() / "assessments" / assessment_id


AUTO = "auto"


def _drawn_id(role: str, item_id: str) -> str:
    return f"{role}/{item_id}"


@dataclass
class _Plan:
    """The items each clause draws, and the union sent to the model."""

    by_clause: dict[str, list[str]] = field(default_factory=dict)
    items: dict[str, Item] = field(default_factory=dict)
    scorers: dict[str, list[str]] = field(default_factory=dict)
    # (clause, item) -> the scorer whose score decides it, where the clause says "auto"
    chosen: dict[tuple[str, str], str] = field(default_factory=dict)

    def scorer_of(self, clause: str, scorer: str, item_id: str) -> str:
        return self.chosen.get((clause, item_id), scorer)


def _plan(
    loaded: LoadedProfile, banks: Mapping[str, Bank], seed: int, cap: int | None = None
) -> _Plan:
    plan = _Plan()
    for c in loaded.profile.clauses:
        if c.draw is None:
            continue
        bank = banks[c.draw.role]
        draw = c.draw
        if cap is not None and (draw.n is None or draw.n > cap):
            draw = draw.model_copy(update={"n": cap})
        chosen = draw_items(bank.items, draw, sample_seed=seed, bank_hash=bank.suite.hash)
        ids = []
        for it in chosen:
            did = _drawn_id(bank.role, it.id)
            plan.items.setdefault(did, it.model_copy(update={"id": did}))
            if c.scorer is not None and c.kind != "human":
                name = c.scorer
                if name == AUTO:
                    name = it.scorer or bank.suite.manifest.scorer or ""
                    if not name:
                        raise ConfigError(
                            f"clause {c.id} scores each item by its own scorer, but item "
                            f"{it.id} of {bank.suite.name} names none and the suite has no default"
                        )
                    plan.chosen[(c.id, did)] = name
                names = plan.scorers.setdefault(did, [])
                if name not in names:
                    names.append(name)
            ids.append(did)
        plan.by_clause[c.id] = ids
    return plan


def _write_sample(plan: _Plan, folder: Path, profile: str) -> Path:
    """The drawn items as a suite on disk, so the run and its resume read the same."""
    folder.mkdir(parents=True, exist_ok=True)
    items = folder / "items.jsonl"
    tmp = items.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for it in sorted(plan.items.values(), key=lambda i: i.id):
            fh.write(it.model_dump_json(exclude_defaults=True) + "\n")
    os.replace(tmp, items)
    manifest = folder / "suite.yaml"
    manifest.write_text(
        f'name: {profile}-sample\nversion: "1"\n'
        "description: Items drawn for one assessment (see the assessment's manifest).\n"
        "items: [items.jsonl]\n",
        encoding="utf-8",
    )
    return manifest


def _scorer_options(loaded: LoadedProfile, options: AssessOptions) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for c in loaded.profile.clauses:
        if c.scorer == AUTO:
            for name, opts in c.scorer_options.items():
                if not isinstance(opts, dict):
                    raise ConfigError(
                        f"clause {c.id}: with scorer auto, scorer_options maps a scorer name "
                        f"to its options ({name}: {{...}})"
                    )
                out.setdefault(name, {}).update(opts)
        elif c.scorer is not None and c.scorer_options:
            out.setdefault(c.scorer, {}).update(c.scorer_options)
    if any(c.scorer == "keywords" for c in loaded.profile.clauses):
        lib = keyword_library(loaded.profile, options.keywords)
        if lib is None:
            raise ConfigError("a clause is scored by keywords: pass --keywords PATH")
        out.setdefault("keywords", {})["library"] = str(lib)
    if options.judge:
        out.setdefault("risk", {})["judge"] = options.judge
        out.setdefault("judge", {})["model"] = options.judge
    return out


def _reference_rates(store: Store, ref_id: str | None, profile: Any) -> dict[str, float]:
    rates = dict(profile.reference)
    if ref_id is None:
        return rates
    rec = store.get_assessment(ref_id)
    if rec.result is None:
        raise ConfigError(f"reference assessment {rec.id} has no result (status {rec.status})")
    ref = AssessmentResult.model_validate(rec.result)
    if ref.profile != profile.name:
        raise ConfigError(
            f"reference assessment {rec.id} used profile {ref.profile}, not {profile.name}"
        )
    for v in ref.verdicts:
        if v.estimate is not None:
            rates[v.clause] = v.estimate
    return rates


def _prepare_run(
    model: str, sample: Path, store: Store, record: AssessmentRecord, options: AssessOptions
) -> PreparedRun:
    """The run to execute for an assessment: its stopped run resumed, or a new one.

    A finished run is not resumed but run again: its answers come from the
    store, and only the requests that failed are sent.
    """
    if record.run_id is not None:
        run = store.get_run(record.run_id)
        if run.status not in ("completed", "incomplete"):
            return prepare_resume(run.id, store=store, config=options.engine)
    prepared = prepare_run(
        model, str(sample), store=store, params=options.params, config=options.engine
    )
    store.update_assessment(record.id, run_id=prepared.run_id)
    return prepared


def _decide(
    loaded: LoadedProfile,
    banks: Mapping[str, Bank],
    plan: _Plan,
    scores: Mapping[tuple[str, str], Score],
    texts: Mapping[str, str | None],
    keywords: Path | None,
    reference: Mapping[str, float],
    store: Store,
    assessment_id: str,
) -> list[ClauseVerdict]:
    profile = loaded.profile
    verdicts: list[ClauseVerdict] = []
    for c in profile.clauses:
        if c.kind == "bank":
            assert c.bank is not None
            bank = banks[c.bank.role]
            verdicts.append(bank_verdict(c, bank.items, bank.suite.name))
        elif c.kind == "keywords":
            from ..scoring._keywords import coverage, load_library

            if keywords is None:
                raise ConfigError(f"clause {c.id} checks a keyword library: pass --keywords PATH")
            report = coverage(load_library(keywords))
            per_risk = {rid: report.count(rid) for rid in report.by_risk}
            verdicts.append(keywords_verdict(c, report.total, per_risk, keywords.name))
        elif c.kind == "human":
            from ..review import human_evidence

            drawn = plan.by_clause.get(c.id, [])
            evidence = human_evidence(store, assessment_id, c.id, drawn=drawn)
            verdicts.append(human_verdict(c, profile, evidence))
        else:
            assert c.scorer is not None
            scored = [
                Scored(
                    plan.items[i], texts.get(i), scores.get((i, plan.scorer_of(c.id, c.scorer, i)))
                )
                for i in plan.by_clause.get(c.id, [])
            ]
            if c.kind == "grade":
                verdicts.append(grade_verdict(c, profile, scored, reference.get(c.id)))
            else:
                verdicts.append(rate_verdict(c, profile, scored))
    return verdicts


def _score(
    store: Store,
    run: RunResult,
    plan: _Plan,
    scorer_options: dict[str, dict[str, Any]],
    stages: Stages,
) -> tuple[dict[tuple[str, str], Score], dict[str, str], dict[str, str | None]]:
    from ..scoring import score_run

    total = sum(len(v) for v in plan.scorers.values())
    stages.start_bar("scoring", total)
    try:
        summary = score_run(
            store,
            run.run_id,
            plan=plan.scorers,
            options=scorer_options,
            on_score=lambda _s: stages.advance(),
        )
    finally:
        stages.stop_bar()
    versions = {name: s.version for name, s in summary.scorers.items()}
    scores = {(s.item_id, s.scorer): s for s in store.iter_scores(run.run_id)}
    texts = {r.item_id: r.text for r in store.iter_run_responses(run.run_id)}
    return scores, versions, texts


@dataclass
class _Pending:
    """One assessment between sampling and its verdicts."""

    record: AssessmentRecord
    loaded: LoadedProfile
    banks: dict[str, Bank]
    plan: _Plan
    scorer_options: dict[str, dict[str, Any]]
    keywords: Path | None
    reference: dict[str, float]
    out_dir: Path
    options: AssessOptions
    started: float
    run: PreparedRun | None = None
    done_run: RunResult | None = None


class AssessmentsStopped(RunError):
    """Some assessments stopped (to be resumed); ``outcomes`` holds those that finished."""

    def __init__(self, message: str, outcomes: list[AssessmentOutcome]) -> None:
        super().__init__(message)
        self.outcomes = outcomes


def _begin(
    model: str,
    profile: str,
    store: Store,
    options: AssessOptions,
    resume: str | None,
    stages: Stages,
) -> _Pending:
    started = time.time()
    if resume is not None:
        record = store.get_assessment(resume)
        if record.status == "completed":
            raise RunError(f"Assessment {record.id} is complete: `tianping report {record.id}`.")
        model, profile = record.model_spec, record.params["profile_source"]
        options = _options_from(record.params, options)
    loaded = load_profile(profile)
    banks = load_banks(loaded.profile, options.banks)
    if options.max_per_clause is not None and options.max_per_clause < 1:
        raise ConfigError("--max-per-clause must be at least 1")
    plan = _plan(loaded, banks, options.sample_seed, options.max_per_clause)
    scorer_options = _scorer_options(loaded, options)
    keywords = keyword_library(loaded.profile, options.keywords)
    reference = _reference_rates(store, options.reference, loaded.profile)
    if resume is None:
        record = AssessmentRecord(
            id=_new_id(),
            status="running",
            model_spec=model,
            profile=loaded.profile.name,
            profile_hash=loaded.hash,
            params={**options.to_json(), "profile_source": profile},
            created_at=started,
        )
        store.create_assessment(record)
        from ..catalog import ensure_model

        ensure_model(store, model)  # every assessed model has a catalog record
    # Absolute, so the server finds the files whatever folder it runs from.
    out_dir = (Path(options.out) if options.out else default_out_dir(record.id)).resolve()
    store.update_assessment(record.id, out_dir=str(out_dir), status="running")
    stages.say(
        f"assessment {record.id}: {model} against {loaded.profile.name}; "
        f"{len(plan.items)} items drawn from {len(banks)} bank(s)"
    )
    pending = _Pending(
        record,
        loaded,
        dict(banks),
        plan,
        scorer_options,
        keywords,
        reference,
        out_dir,
        options,
        started,
    )
    if plan.items:
        sample = _write_sample(plan, out_dir / "sample", loaded.profile.name)
        try:
            pending.run = _prepare_run(model, sample, store, record, options)
        except Exception as exc:  # a bad model spec: this assessment never starts
            store.update_assessment(record.id, status="failed", error=f"not started: {exc}")
            raise
    return pending


def _check_run(store: Store, p: _Pending, run: RunResult) -> None:
    record = p.record
    if run.status in ("interrupted", "failed"):
        store.update_assessment(record.id, status=run.status, error=run.error)
        raise RunError(
            f"Assessment {record.id} stopped: the run {run.status}"
            f"{': ' + run.error if run.error else ''}. "
            f"Continue with `tianping assess --resume {record.id}`.",
        )
    if run.failed and not p.options.accept_failures:
        errors = ", ".join(f"{k} x{n}" for k, n in sorted(run.errors.items())) or "errors"
        msg = f"{run.failed} of {run.items} requests failed ({errors})"
        store.update_assessment(record.id, status="incomplete", error=msg)
        raise RunError(
            f"Assessment {record.id} stopped: {msg}. Retry them with `tianping assess "
            f"--resume {record.id}`, or add --accept-failures to decide without them."
        )


def _conclude(
    store: Store, p: _Pending, run: RunResult | None, stages: Stages
) -> AssessmentOutcome:
    record, loaded, options = p.record, p.loaded, p.options
    scores: dict[tuple[str, str], Score] = {}
    texts: dict[str, str | None] = {}
    versions: dict[str, str] = {}
    if run is not None:
        _check_run(store, p, run)
        stages.say(f"run {run.run_id}: {run.completed} answered, {run.failed} failed")
        scores, versions, texts = _score(store, run, p.plan, p.scorer_options, stages)
    verdicts = _decide(
        loaded, p.banks, p.plan, scores, texts, p.keywords, p.reference, store, record.id
    )
    result = AssessmentResult(
        assessment_id=record.id,
        model_spec=record.model_spec,
        profile=loaded.profile.name,
        profile_title=loaded.profile.title,
        confidence=loaded.profile.confidence,
        interval=loaded.profile.interval,
        conclusion=overall(verdicts, "confident"),
        literal_conclusion=overall(verdicts, "literal"),
        verdicts=tuple(verdicts),
        manifest=build_manifest(
            loaded, p.banks, run, store, options, versions, p.keywords, p.started
        ),
    )
    files, attestation = _outputs(result, p.out_dir, options, stages)
    store.update_assessment(
        record.id,
        status="completed",
        result=result.model_dump(mode="json"),
        conclusion=result.conclusion,
        finished_at=time.time(),
        error=None,
    )
    stages.say(
        f"{record.model_spec}: {result.conclusion} (literal rule: {result.literal_conclusion})"
    )
    return AssessmentOutcome(result, files, attestation, run, p.out_dir)


def assess(
    model: str,
    profile: str,
    *,
    store: Store,
    options: AssessOptions | None = None,
    resume: str | None = None,
) -> AssessmentOutcome:
    """Assess ``model`` against ``profile``; ``resume`` continues a stored assessment."""
    try:
        return assess_models(
            [model], profile, store=store, options=options, resume=[resume] if resume else []
        )[0]
    except AssessmentsStopped as exc:
        raise RunError(str(exc)) from None


def assess_models(
    models: Sequence[str],
    profile: str,
    *,
    store: Store,
    options: AssessOptions | None = None,
    resume: Sequence[str] = (),
) -> list[AssessmentOutcome]:
    """Assess each model against ``profile`` (or continue the ``resume`` assessments).

    The runs execute together on ``options.executor`` (one after another here,
    or as chunks across a Ray cluster); each assessment is then scored,
    decided, reported and signed. If some stop, the others still finish and
    :class:`AssessmentsStopped` says how to resume the rest.
    """
    options = options or AssessOptions()
    stages = Stages(_progress_enabled(options))
    if resume:
        ids = dict.fromkeys(store.get_assessment(rid).id for rid in resume)
        starts: list[tuple[str, str, str | None]] = [("", "", rid) for rid in ids]
    else:
        starts = [(m, profile, None) for m in models]
    pending: list[_Pending] = []
    for model, prof, rid in starts:
        try:
            pending.append(_begin(model, prof, store, options, rid, stages))
        except Exception as exc:
            # One bad model spec stops them all before anything is sent: the ones
            # already begun are closed and marked, not left running.
            for p in pending:
                if p.run is not None:
                    close_adapter(p.run)
                    finish_run(store, p.run, f"not started: {exc}", Counters(), None)
                store.update_assessment(p.record.id, status="failed", error=f"not started: {exc}")
            raise
    to_run = [p for p in pending if p.run is not None]
    runs = execute_runs(
        store,
        [p.run for p in to_run if p.run is not None],
        options.executor,
        show_progress=options.show_progress,
    )
    for p, result in zip(to_run, runs, strict=True):
        p.done_run = result
    outcomes: list[AssessmentOutcome] = []
    stopped: list[str] = []
    for p in pending:
        try:
            outcomes.append(_conclude(store, p, p.done_run, stages))
        except RunError as exc:
            if len(pending) == 1:
                raise AssessmentsStopped(str(exc), outcomes) from None
            stopped.append(str(exc))
    if stopped:
        raise AssessmentsStopped("\n".join(stopped), outcomes)
    return outcomes


def _progress_enabled(options: AssessOptions) -> bool:
    from ..engine._progress import interactive

    return interactive() if options.show_progress is None else options.show_progress


def _options_from(params: Mapping[str, Any], given: AssessOptions) -> AssessOptions:
    """The stored options of an assessment being resumed (engine settings from ``given``)."""
    return AssessOptions(
        sample_seed=params["sample_seed"],
        max_per_clause=params.get("max_per_clause"),
        judge=params["judge"],
        banks=params["banks"],
        keywords=params["keywords"],
        reference=params["reference"],
        out=params["out"],
        formats=tuple(params["formats"]),
        lang=params["lang"],
        sign=params["sign"],
        key_dir=params["key_dir"],
        params=GenerationParams.model_validate(params["params"]),
        engine=given.engine,
        executor=given.executor,
        show_progress=given.show_progress,
        accept_failures=given.accept_failures,
    )


def _outputs(
    result: AssessmentResult, out_dir: Path, options: AssessOptions, stages: Stages
) -> tuple[dict[str, Path], Path | None]:
    from ..report import write_reports

    stages.say(f"writing reports ({', '.join(options.formats)}) to {out_dir}")
    files = write_reports(result, out_dir, options.formats, lang=options.lang)
    if not options.sign:
        return files, None
    from ._sign import sign_assessment

    attestation = sign_assessment(result, files, out_dir, options.key_dir, stages)
    return files, attestation


__all__ = [
    "AssessOptions",
    "AssessmentOutcome",
    "AssessmentsStopped",
    "assess",
    "assess_models",
    "default_out_dir",
]
