"""The assessment result: what ``assess`` returns, reports render and attestations sign.

A versioned pydantic model (``schema_version``); a change to the stored shape
bumps the version, so a report or verifier can tell which fields to expect.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1

Outcome = Literal["conforms", "does_not_conform", "inconclusive", "not_applicable"]
Direction = Literal["at_least", "at_most"]
ClauseKind = Literal["rate", "bank", "keywords", "human", "grade"]

# How reports write an outcome: 符合 / 不符合 / 不适用 are the words of clause 9.1.
OUTCOME_WORDS: dict[str, dict[str, str]] = {
    "conforms": {"zh": "符合", "en": "conforms"},
    "does_not_conform": {"zh": "不符合", "en": "does not conform"},
    "inconclusive": {"zh": "无法判定", "en": "inconclusive"},
    "not_applicable": {"zh": "不适用", "en": "not applicable"},
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Text(_Frozen):
    """A text in Chinese and English."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class Source(_Frozen):
    """Where a clause and its number come from, and how sure we are of the mapping."""

    document: str
    clause: str
    confidence: Literal["high", "medium", "low"] = "high"
    note: str = ""


class GroupRate(_Frozen):
    """A rate within one group of a clause's sample (a risk, an aspect, a hazard)."""

    group: str
    n: int
    k: int
    estimate: float | None
    low: float | None
    high: float | None
    grade: str | None = None  # graded profiles only (ailuminate-style)
    floor: int | None = None  # bank clauses: the group's minimum


class Example(_Frozen):
    """One scored response shown as evidence."""

    item_id: str
    prompt: str
    response: str | None
    label: str | None
    explanation: str
    risk: str | None = None


class ClauseVerdict(_Frozen):
    """The outcome of one clause, with both decision rules and their evidence.

    ``estimate``/``low``/``high`` are the measured rate and its two-sided
    interval at the profile's confidence (None for bank and human clauses
    without data). ``literal`` is the standard's rule (estimate against the
    threshold on at least ``min_n`` items); ``confident`` is the default rule
    (the whole interval must clear the threshold). ``n_needed`` is, for an
    inconclusive confident verdict, the sample that would decide it if the
    estimate held. ``reason`` and ``metric`` are English; ``reason_zh`` and
    ``metric_zh`` the same in Chinese (see :meth:`reason_in`).
    """

    clause: str
    title: Text
    kind: ClauseKind
    source: Source
    metric: str
    n: int
    k: int
    estimate: float | None
    low: float | None
    high: float | None
    threshold: float | None
    direction: Direction | None
    min_n: int
    literal: Outcome
    confident: Outcome
    n_needed: int | None = None
    reason: str
    scorer: str | None = None
    groups: tuple[GroupRate, ...] = ()
    examples: tuple[Example, ...] = ()
    ungraded: int = 0
    reason_zh: str = ""
    metric_zh: str = ""

    def summary(self) -> dict[str, Any]:
        """The figures of the verdict, without evidence: what ``--json`` and attestations carry."""
        return {
            "clause": self.clause,
            "kind": self.kind,
            "n": self.n,
            "k": self.k,
            "estimate": self.estimate,
            "low": self.low,
            "high": self.high,
            "threshold": self.threshold,
            "direction": self.direction,
            "literal": self.literal,
            "confident": self.confident,
            "n_needed": self.n_needed,
        }

    def reason_in(self, lang: str) -> str:
        """The reason in ``lang`` (zh or en), falling back to English."""
        return self.reason_zh if lang == "zh" and self.reason_zh else self.reason

    def metric_in(self, lang: str) -> str:
        """The metric's name in ``lang`` (zh or en), falling back to English."""
        return self.metric_zh if lang == "zh" and self.metric_zh else self.metric


class Suite(_Frozen):
    role: str
    name: str
    version: str
    hash: str
    items: int
    source: str


class Manifest(_Frozen):
    """What an auditor needs to reproduce the assessment."""

    tool_version: str
    python: str
    platform: str
    profile: dict[str, Any]
    model: dict[str, Any]
    suites: tuple[Suite, ...]
    sample_seed: int
    # A quick look: each clause drew at most this many items (None: as the profile says).
    max_per_clause: int | None = None
    run_id: str | None
    scorers: dict[str, str]  # name -> version
    judge: str | None = None
    keywords: dict[str, Any] | None = None
    started_at: str
    finished_at: str
    usage: dict[str, int] = Field(default_factory=dict)
    cost: dict[str, Any] | None = None
    requests_sent: int = 0


class AssessmentResult(_Frozen):
    """One model against one profile: every clause decided, and the manifest."""

    schema_version: int = SCHEMA_VERSION
    assessment_id: str
    model_spec: str
    profile: str
    profile_title: Text
    confidence: float
    interval: Literal["wilson", "clopper-pearson"]
    conclusion: Outcome
    literal_conclusion: Outcome
    verdicts: tuple[ClauseVerdict, ...]
    manifest: Manifest

    def verdict(self, clause: str) -> ClauseVerdict:
        """The verdict of ``clause`` (KeyError if the profile has no such clause)."""
        for v in self.verdicts:
            if v.clause == clause:
                return v
        raise KeyError(clause)
