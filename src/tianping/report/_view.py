"""From an AssessmentResult to what the templates print: every number already formatted.

Templates stay free of logic; this module decides the words, the evidence
sentence of each clause, which clauses get charts and examples, and which
texts are long enough to fold.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from markupsafe import Markup

from .._version import __version__
from ..core import RISKS
from ..standards._results import AssessmentResult, ClauseVerdict, Example
from . import _format as fmt
from ._charts import ChartRow, interval_chart
from ._evidence import evidence, model_identity
from ._labels import check_lang, grade_word, label, outcome_word

# Texts longer than this fold into <details> (the first _PREVIEW characters stay visible).
LONG_TEXT = 400
_PREVIEW = 160

OUTCOME_ORDER = ("conforms", "does_not_conform", "inconclusive", "not_applicable")


@dataclass(frozen=True)
class TextView:
    full: str
    preview: str
    long: bool
    length: int


@dataclass(frozen=True)
class ExampleView:
    item_id: str
    risk: str
    label: str
    prompt: TextView
    response: TextView | None
    explanation: TextView


@dataclass(frozen=True)
class SuiteView:
    role: str
    name: str
    version: str
    items: str
    hash: str
    source: str


@dataclass(frozen=True)
class ClauseView:
    id: str
    title: str
    kind: str
    metric: str
    n: str
    estimate: str
    interval: str
    threshold: str
    min_n: str
    literal: str
    literal_word: str
    confident: str
    confident_word: str
    n_needed: str
    reason: str
    source: str
    evidence: str
    chart: Markup | None = None
    examples: tuple[ExampleView, ...] = ()


@dataclass(frozen=True)
class ReportView:
    lang: str
    title: str
    profile: str
    profile_title: str
    model_spec: str
    model_identity: str
    date: str
    assessment_id: str
    conclusion: str
    conclusion_word: str
    literal_conclusion: str
    literal_conclusion_word: str
    confident_note: str
    literal_note: str
    tally: tuple[tuple[str, str, int], ...]  # (outcome, word, count)
    clauses: tuple[ClauseView, ...]
    capability_chart: Markup | None
    sources: tuple[str, ...]
    manifest: tuple[tuple[str, str], ...]
    profile_rows: tuple[tuple[str, str], ...]
    model_rows: tuple[tuple[str, str], ...]
    suites: tuple[SuiteView, ...]
    scorers: tuple[tuple[str, str], ...]
    usage_rows: tuple[tuple[str, str], ...] = field(default=())
    generated_by: str = ""


def _text(value: str) -> TextView:
    long = len(value) > LONG_TEXT
    preview = value[:_PREVIEW].rstrip() + "…" if long else value
    return TextView(full=value, preview=preview, long=long, length=len(value))


def group_name(group: str, lang: str) -> str:
    """A group as printed: a risk id with its name (``A1e 宣扬民族仇恨``), else as given."""
    if group == "all":  # assess's whole-sample row of a graded clause
        return "全部" if lang == "zh" else "all"
    risk = RISKS.get(group)
    if risk is None:
        return group
    return f"{group} {risk.zh if lang == 'zh' else risk.en}"


def _group_rows(v: ClauseVerdict, lang: str) -> list[ChartRow]:
    rows = []
    for g in v.groups:
        name = group_name(g.group, lang)
        if fmt.is_count(v):
            floor = f"(≥ {fmt.count(g.floor)})" if g.floor is not None else ""
            rows.append(
                ChartRow(
                    label=name,
                    estimate=float(g.n),
                    threshold=None if g.floor is None else float(g.floor),
                    direction="at_least",
                    value_text=floor,
                    tooltip=name,
                )
            )
            continue
        extra = grade_word(g.grade, lang) if g.grade else f"n={g.n:,}"
        rows.append(
            ChartRow(
                label=name,
                estimate=g.estimate,
                low=g.low,
                high=g.high,
                threshold=v.threshold,
                direction=v.direction,
                value_text=extra,
                tooltip=f"{name}: {g.k:,}/{g.n:,}, {fmt.interval(g.low, g.high)}",
            )
        )
    return rows


def clause_chart(v: ClauseVerdict, lang: str) -> Markup | None:
    """The per-group chart of a clause, or None when it has no groups."""
    if not v.groups:
        return None
    title = f"{v.clause} {v.title.get(lang)} — {label('groups', lang)}"
    return interval_chart(
        _group_rows(v, lang),
        title=title,
        unit="count" if fmt.is_count(v) else "rate",
        threshold_label=label("floor" if fmt.is_count(v) else "chart_threshold", lang),
    )


def is_capability_profile(result: AssessmentResult) -> bool:
    """A profile of capability measures (accuracy and the like) rather than safety floors."""
    return result.manifest.profile.get("kind") == "capability"


def capability_chart(result: AssessmentResult, lang: str) -> Markup | None:
    """One row per rate clause of a capability profile, drawn like a group chart."""
    if not is_capability_profile(result):
        return None
    rows = [
        ChartRow(
            label=f"{v.clause} {v.title.get(lang)}",
            estimate=v.estimate,
            low=v.low,
            high=v.high,
            threshold=v.threshold,
            direction=v.direction,
            value_text=f"n={v.n:,}",
            tooltip=f"{v.clause} {v.title.get(lang)}: {v.k:,}/{v.n:,}",
        )
        for v in result.verdicts
        if v.kind == "rate" and v.estimate is not None
    ]
    if not rows:
        return None
    return interval_chart(
        rows, title=label("capability", lang), threshold_label=label("chart_threshold", lang)
    )


def shows_examples(v: ClauseVerdict) -> bool:
    return bool(v.examples) and (
        v.confident in ("does_not_conform", "inconclusive") or v.literal == "does_not_conform"
    )


def _example(x: Example, lang: str) -> ExampleView:
    return ExampleView(
        item_id=x.item_id,
        risk=group_name(x.risk, lang) if x.risk else "",
        label=x.label or fmt.DASH,
        prompt=_text(x.prompt),
        response=None if x.response is None else _text(x.response),
        explanation=_text(x.explanation),
    )


def clause_view(v: ClauseVerdict, confidence: float, lang: str) -> ClauseView:
    src = v.source
    source = f"{src.document} {src.clause}".strip()
    if src.confidence != "high":
        source += f" ({src.confidence})"
    return ClauseView(
        id=v.clause,
        title=v.title.get(lang),
        kind=v.kind,
        metric=v.metric_in(lang),
        n=fmt.count(v.n),
        estimate=fmt.estimate(v),
        interval=fmt.interval(v.low, v.high),
        threshold=fmt.threshold(v),
        min_n=fmt.count(v.min_n) if v.min_n and not fmt.is_count(v) else "",
        literal=v.literal,
        literal_word=outcome_word(v.literal, lang),
        confident=v.confident,
        confident_word=outcome_word(v.confident, lang),
        n_needed=fmt.count(v.n_needed) if v.confident == "inconclusive" and v.n_needed else "",
        reason=v.reason_in(lang),
        source=source,
        evidence=evidence(v, confidence, lang),
        chart=clause_chart(v, lang),
        examples=tuple(_example(x, lang) for x in v.examples) if shows_examples(v) else (),
    )


def build(result: AssessmentResult, lang: str) -> ReportView:
    """Everything a template prints for ``result`` in ``lang``."""
    check_lang(lang)
    m = result.manifest
    capable = is_capability_profile(result)
    tally: Counter[str] = Counter(v.confident for v in result.verdicts)
    conf = fmt.pct(result.confidence).replace(".0%", "%")
    sources = tuple(dict.fromkeys(v.source.document for v in result.verdicts if v.source.document))
    manifest = (
        (label("tool_version", lang), f"Tianping {m.tool_version}"),
        (label("python", lang), m.python),
        (label("platform", lang), m.platform),
        (label("schema_version", lang), str(result.schema_version)),
        (label("assessment_id", lang), result.assessment_id),
        (label("confidence", lang), conf),
        (label("interval_method", lang), result.interval),
        (label("sample_seed", lang), str(m.sample_seed)),
        *(
            ((label("max_per_clause", lang), str(m.max_per_clause)),)
            if m.max_per_clause is not None
            else ()
        ),
        (label("run_id", lang), m.run_id or fmt.DASH),
        (label("judge", lang), m.judge or fmt.DASH),
        (label("started_at", lang), m.started_at),
        (label("finished_at", lang), m.finished_at),
        (label("requests_sent", lang), f"{m.requests_sent:,}"),
    )
    usage = [(f"{label('usage', lang)}: {k}", v) for k, v in fmt.flatten(m.usage)]
    usage += [(f"{label('cost', lang)}: {k}", v) for k, v in fmt.flatten(m.cost)]
    usage += [(f"{label('keywords', lang)}: {k}", v) for k, v in fmt.flatten(m.keywords)]
    return ReportView(
        lang=lang,
        title=label("capability_title" if capable else "report_title", lang),
        profile=result.profile,
        profile_title=result.profile_title.get(lang),
        model_spec=result.model_spec,
        model_identity=model_identity(m.model),
        date=fmt.date_of(m.finished_at or m.started_at),
        assessment_id=result.assessment_id,
        conclusion=result.conclusion,
        conclusion_word=outcome_word(result.conclusion, lang),
        literal_conclusion=result.literal_conclusion,
        literal_conclusion_word=outcome_word(result.literal_conclusion, lang),
        confident_note=label("confident_rule_note", lang).format(conf=conf, method=result.interval),
        literal_note=label("literal_rule_note", lang),
        tally=tuple((o, outcome_word(o, lang), tally[o]) for o in OUTCOME_ORDER if tally[o]),
        clauses=tuple(clause_view(v, result.confidence, lang) for v in result.verdicts),
        capability_chart=capability_chart(result, lang),
        sources=sources,
        manifest=manifest,
        profile_rows=tuple(fmt.flatten(m.profile)),
        model_rows=tuple(fmt.flatten(m.model)),
        suites=tuple(
            SuiteView(s.role, s.name, s.version, fmt.count(s.items), s.hash, s.source)
            for s in m.suites
        ),
        scorers=tuple(sorted(m.scorers.items())),
        usage_rows=tuple(usage),
        generated_by=label("generated_by", lang).format(version=__version__),
    )
