"""What the assessment page shows, built from the stored record and its result.

The clause rows and per-group charts are the report's own pieces
(:func:`tianping.report._view.clause_view`), so the page and the report never
disagree on a number. Who sees what: viewers never see response texts (and get
reports without the example responses); reviewers do not see automatic scores,
to which the standard's human review must stay blind.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..core import RISKS
from ..report._view import ClauseView, capability_chart, clause_view, group_name
from ..standards import AssessmentResult, load_profile
from ..store import AssessmentRecord, Store, User
from ._pages_responses import ClauseFilter

log = logging.getLogger("tianping.server")

ATTESTATION = "attestation.dsse.json"
# Files an assessment folder may hold that the page offers, in display order.
REPORT_FILES = (
    "report.html",
    "report.pdf",
    "report.json",
    "report.md",
    "self-assessment-zh.md",
    "self-assessment-zh.html",
)
# What can be rendered from the stored result when the file is not on disk (or is
# redacted for a viewer): name -> report format.
RENDERABLE = {"report.html": "html", "report.json": "json", "report.md": "md"}
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "json": "application/json",
    "md": "text/markdown; charset=utf-8",
}


def sees_texts(user: User) -> bool:
    """Whether ``user`` may read raw responses (viewers may not)."""
    return user.at_least("reviewer")


def sees_scores(user: User) -> bool:
    """Whether ``user`` sees per-item automatic scores (reviewers stay blind to them)."""
    return user.role != "reviewer"


def redact(result: AssessmentResult) -> AssessmentResult:
    """``result`` without example responses: what a viewer may download."""
    verdicts = tuple(v.model_copy(update={"examples": ()}) for v in result.verdicts)
    return result.model_copy(update={"verdicts": verdicts})


@dataclass(frozen=True)
class Download:
    name: str
    url: str
    redacted: bool = False


def downloads(record: AssessmentRecord, user: User) -> list[Download]:
    """The report files and attestation ``user`` may download, present first."""
    folder = Path(record.out_dir) if record.out_dir else None
    present = {n for n in (*REPORT_FILES, ATTESTATION) if folder and (folder / n).is_file()}
    base = f"/assessments/{record.id}/files/"
    out: list[Download] = []
    if record.result is not None:
        for name in REPORT_FILES:
            if not sees_texts(user):
                if name in RENDERABLE:
                    out.append(Download(name, base + name, redacted=True))
            elif name in present or name in RENDERABLE:
                out.append(Download(name, base + name))
    if ATTESTATION in present:
        out.append(Download(ATTESTATION, base + ATTESTATION))
    return out


def file_path(record: AssessmentRecord, name: str) -> Path | None:
    """The path of a report file or the attestation in the assessment's folder, if there."""
    if name not in (*REPORT_FILES, ATTESTATION) or not record.out_dir:
        return None
    path = Path(record.out_dir) / name
    return path if path.is_file() else None


def reports_predate_review(store: Store, record: AssessmentRecord) -> bool:
    """Whether a review label is newer than the report files on disk: the stored verdict
    has moved on (``tianping report ID`` writes them again)."""
    folder = Path(record.out_dir) if record.out_dir else None
    written = [
        (folder / n).stat().st_mtime for n in REPORT_FILES if folder and (folder / n).is_file()
    ]
    if not written:
        return False
    labels = store.review_label_rows(assessment_id=record.id)
    return bool(labels) and max(lb.created_at for lb in labels) > min(written)


@dataclass(frozen=True)
class AttestationCheck:
    state: str  # ok | bad | unknown
    problems: tuple[str, ...]
    keyid: str | None


def check_attestation(record: AssessmentRecord) -> AttestationCheck | None:
    """Verify the assessment's attestation with this server's public key (None: no file)."""
    path = file_path(record, ATTESTATION)
    if path is None:
        return None
    from ..attest import AttestationError, verify_envelope

    try:
        found = verify_envelope(path)
    except AttestationError as exc:
        return AttestationCheck("unknown", (str(exc),), None)
    return AttestationCheck("ok" if found.valid else "bad", tuple(found.problems[:5]), found.keyid)


@lru_cache(maxsize=64)
def _profile_roles(source: str, digest: str) -> dict[str, tuple[str | None, str | None]]:
    """Clause id -> (bank role, scorer) from the profile, if it is still the one assessed."""
    from ..core import TianpingError

    try:
        loaded = load_profile(source)
    except (TianpingError, OSError) as exc:
        log.info("profile %s not loadable for the responses filter: %s", source, exc)
        return {}
    if loaded.hash != digest:
        return {}
    return {
        c.id: (c.draw.role if c.draw is not None else None, c.scorer)
        for c in loaded.profile.clauses
    }


def clause_filters(record: AssessmentRecord, result: AssessmentResult) -> dict[str, ClauseFilter]:
    """The clauses the responses can be filtered by: those that score items."""
    source = str(record.params.get("profile_source") or record.profile)
    roles = _profile_roles(source, record.profile_hash)
    out: dict[str, ClauseFilter] = {}
    for v in result.verdicts:
        role, scorer = roles.get(v.clause, (None, v.scorer))
        scorer = scorer or v.scorer
        if role is None and scorer is None:
            continue
        if v.kind in ("bank", "keywords") and scorer is None:
            continue
        out[v.clause] = ClauseFilter(v.clause, role, scorer)
    return out


@dataclass(frozen=True)
class ChartView:
    clause: str
    title: str
    svg: object
    open: bool  # shown unfolded: a measured clause that does not (yet) conform


@dataclass(frozen=True)
class ResultView:
    clauses: tuple[ClauseView, ...]
    charts: tuple[ChartView, ...]
    capability: object | None
    tally: tuple[tuple[str, int], ...]


def result_view(result: AssessmentResult, lang: str) -> ResultView:
    views = tuple(clause_view(v, result.confidence, lang) for v in result.verdicts)
    charts = tuple(
        ChartView(
            c.id,
            c.title,
            c.chart,
            open=c.kind not in ("bank", "keywords") and c.confident != "conforms",
        )
        for c in views
        if c.chart is not None
    )
    tally: dict[str, int] = {}
    for v in result.verdicts:
        tally[v.confident] = tally.get(v.confident, 0) + 1
    order = ("conforms", "does_not_conform", "inconclusive", "not_applicable")
    return ResultView(
        clauses=views,
        charts=charts,
        capability=capability_chart(result, lang),
        tally=tuple((o, tally[o]) for o in order if o in tally),
    )


def risk_options(lang: str) -> list[tuple[str, str]]:
    """(risk id, its name) for the 31 risks of Appendix A, for the risk filter."""
    return [(rid, group_name(rid, lang)) for rid in RISKS]
