"""Where a clause's review stands, and what its labels add up to.

Counts by state, Cohen's kappa between the first and second reviewers, each
automatic scorer's agreement with the final human labels, and — while only part of
the clause's items is labelled — the prediction-powered estimate (``_ppi``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..assess._human import human_verdict
from ..scoring._agreement import Agreement, agreement
from ..standards import ClauseVerdict, Example
from ..store import Store
from ..store._review_rows import ReviewLabelRow, ReviewTaskRow
from ._evidence import HumanEvidence
from ._population import Population, clause_population
from ._ppi import ppi_mean
from ._tasks import final_label

__all__ = ["PPI_MIN_LABELS", "ReviewStatus", "export_rows", "human_evidence", "review_status"]

PPI_MIN_LABELS = 100
"""Below this many human labels the normal approximation of the correction is too
rough: when disagreements are rare, a few dozen labels may show none, and the
interval comes out far too narrow (simulated coverage of a nominal 95 % interval at a
rate of 0.95: 0.77 with 30 labels, 0.90 with 60, 0.95 with 100). The verdict then
rests on the labels' own interval."""
STATES = ("unlabelled", "one_label", "agreed", "disputed", "adjudicated")
_EXAMPLES = 5


def _word(ok: bool) -> str:
    return "qualified" if ok else "unqualified"


@dataclass(frozen=True)
class _Review:
    tasks: list[ReviewTaskRow]
    labels: dict[int, list[ReviewLabelRow]]
    finals: dict[int, ReviewLabelRow]

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATES, 0)
        for t in self.tasks:
            if t.status == "open":
                out["one_label" if self.labels[t.id] else "unlabelled"] += 1
            else:
                out[t.status] = out.get(t.status, 0) + 1
        return out


def _review(store: Store, assessment_id: str, clause: str) -> _Review:
    tasks = store.review_task_rows(assessment_id, clause)
    labels: dict[int, list[ReviewLabelRow]] = defaultdict(list)
    for lb in store.review_label_rows(assessment_id=assessment_id, clause=clause):
        labels[lb.task_id].append(lb)
    finals = {t.id: f for t in tasks if (f := final_label(t, labels[t.id])) is not None}
    return _Review(tasks, labels, finals)


def predictions(store: Store, pop: Population) -> dict[str, dict[str, bool]]:
    """Scorer -> item -> qualified, for each automatic scorer that scored the items."""
    out: dict[str, dict[str, bool]] = {name: {} for name in pop.scorers}
    if not out:
        return out
    for item_id, scorer, value in store.score_values(pop.run_id, pop.items, list(pop.scorers)):
        if value is not None:
            out[scorer][item_id] = value >= pop.scorers[scorer] - 1e-9
    return {name: got for name, got in out.items() if got}


def _examples(store: Store, pop: Population, rv: _Review) -> tuple[Example, ...]:
    finals = [(t, rv.finals[t.id]) for t in rv.tasks if t.id in rv.finals]
    bad = [(t, f) for t, f in finals if not f.qualified][:_EXAMPLES]
    if not bad:
        return ()
    shown = store.review_items(pop.run_id, [t.item_id for t, _ in bad])
    out = []
    for t, f in bad:
        item = pop.items.get(t.item_id)
        if item is None:
            continue
        seen = shown.get(t.item_id)
        notes = "; ".join(lb.note for lb in rv.labels[t.id] if lb.note)
        out.append(
            Example(
                item_id=t.item_id,
                prompt=item.chat()[-1]["content"],
                response=None if seen is None else seen.text,
                label="unqualified",
                explanation=f"human review ({f.stage}): {notes}" if notes else "human review",
                risk=f.risk or item.risk,
            )
        )
    return tuple(out)


def _evidence(store: Store, pop: Population, rv: _Review) -> HumanEvidence:
    labels = {t.item_id: rv.finals[t.id].qualified for t in rv.tasks if t.id in rv.finals}
    strata = {t.item_id: t.stratum for t in rv.tasks if t.id in rv.finals}
    counts = rv.counts()
    pairs: list[tuple[bool, bool]] = []
    for t in rv.tasks:
        stages = {lb.stage: lb.qualified for lb in rv.labels[t.id]}
        if "first" in stages and "second" in stages:
            pairs.append((stages["first"], stages["second"]))
    reviewers: Agreement | None = None
    if pairs:
        reviewers = agreement([_word(a) for a, _ in pairs], [_word(b) for _, b in pairs])
    preds = predictions(store, pop) if labels else {}
    auto: dict[str, Agreement] = {}
    for name, got in preds.items():
        both = [(got[i], y) for i, y in labels.items() if i in got]
        if both:
            auto[name] = agreement([_word(f) for f, _ in both], [_word(y) for _, y in both])
    ppi = None
    if preds:
        name, got = next(iter(preds.items()))  # the preferred scorer only: no picking
        both = [(got[i], y) for i, y in labels.items() if i in got]
        if PPI_MIN_LABELS <= len(both) < len(got):
            ppi = ppi_mean(
                [float(v) for v in got.values()],
                [float(f) for f, _ in both],
                [float(y) for _, y in both],
                confidence=pop.loaded.profile.confidence,
                scorer=name,
            )
    return HumanEvidence(
        drawn=len(pop.items),
        labels=labels,
        strata=strata,
        tasks=len(rv.tasks),
        awaiting=counts["unlabelled"] + counts["one_label"],
        disputed=counts["disputed"],
        adjudicated=counts["adjudicated"],
        reviewers=reviewers,
        auto=auto,
        ppi=ppi,
        examples=_examples(store, pop, rv),
    )


def human_evidence(
    store: Store, assessment_id: str, clause: str, *, drawn: Sequence[str] | None = None
) -> HumanEvidence:
    """What the review of ``clause`` adds up to. ``drawn`` (the clause's items, when the
    caller has them) spares finding them again while nothing has been drawn for review."""
    full = store.review_assessment(assessment_id).id
    if drawn is not None and clause not in store.review_clauses(full):
        return HumanEvidence(drawn=len(drawn))
    return evidence_of(store, clause_population(store, full, clause))


def evidence_of(store: Store, pop: Population) -> HumanEvidence:
    """What the labels of ``pop``'s clause add up to."""
    return _evidence(store, pop, _review(store, pop.assessment_id, pop.clause.id))


@dataclass(frozen=True)
class ReviewStatus:
    """Where one clause's review stands, and the verdict its labels give now.

    ``counts``: tasks by state (unlabelled, one_label, agreed, disputed, adjudicated).
    ``population``: the clause's answered items; ``exact``: whether they were found by
    replaying the draw (else from the stored run). ``reviewers``: labels per person.
    """

    assessment_id: str
    clause: str
    seed: int | None
    counts: dict[str, int]
    population: int
    exact: bool
    evidence: HumanEvidence
    verdict: ClauseVerdict
    reviewers: dict[str, int]

    @property
    def tasks(self) -> int:
        return sum(self.counts.values())

    def to_json(self) -> dict[str, Any]:
        ev = self.evidence
        return {
            "assessment_id": self.assessment_id,
            "clause": self.clause,
            "seed": self.seed,
            "tasks": self.tasks,
            "counts": self.counts,
            "population": self.population,
            "exact_population": self.exact,
            "labelled": len(ev.labels),
            "qualified": sum(ev.labels.values()),
            "reviewer_agreement": None if ev.reviewers is None else ev.reviewers.to_json(),
            "auto_agreement": {k: a.to_json() for k, a in ev.auto.items()},
            "ppi": None if ev.ppi is None else ev.ppi.to_json(),
            "reviewers": self.reviewers,
            "verdict": self.verdict.model_dump(mode="json", exclude={"examples"}),
        }


def review_status(store: Store, assessment_id: str, clause: str = "9.3-manual") -> ReviewStatus:
    """Counts, agreement, the corrected estimate and the clause verdict, as of now."""
    pop = clause_population(store, assessment_id, clause)
    rv = _review(store, pop.assessment_id, clause)
    ev = _evidence(store, pop, rv)
    given = Counter(lb.user_name for labels in rv.labels.values() for lb in labels)
    return ReviewStatus(
        assessment_id=pop.assessment_id,
        clause=clause,
        seed=rv.tasks[0].seed if rv.tasks else None,
        counts=rv.counts(),
        population=len(pop.items),
        exact=pop.exact,
        evidence=ev,
        verdict=human_verdict(pop.clause, pop.loaded.profile, ev),
        reviewers=dict(sorted(given.items())),
    )


EXPORT_FIELDS = (
    "task_id",
    "assessment_id",
    "clause",
    "position",
    "item_id",
    "stratum",
    "seed",
    "status",
    "final_qualified",
    "final_risk",
)
_STAGE_FIELDS = ("user", "qualified", "risk", "note", "at")


def export_rows(
    store: Store, assessment_id: str, clause: str = "9.3-manual"
) -> list[dict[str, Any]]:
    """One row per drawn item: its labels by stage, the final label, and each automatic
    scorer's call (for auditors: reviewers never see these)."""
    pop = clause_population(store, assessment_id, clause)
    rv = _review(store, pop.assessment_id, clause)
    preds = predictions(store, pop)
    rows = []
    for t in rv.tasks:
        final = rv.finals.get(t.id)
        row: dict[str, Any] = {
            "task_id": t.id,
            "assessment_id": t.assessment_id,
            "clause": t.clause,
            "position": t.position,
            "item_id": t.item_id,
            "stratum": t.stratum,
            "seed": t.seed,
            "status": t.status,
            "final_qualified": None if final is None else final.qualified,
            "final_risk": None if final is None else final.risk,
        }
        by_stage = {lb.stage: lb for lb in rv.labels[t.id]}
        for stage in ("first", "second", "adjudication"):
            lb = by_stage.get(stage)
            values = (
                (None,) * 5
                if lb is None
                else (lb.user_name, lb.qualified, lb.risk, lb.note, lb.created_at)
            )
            row.update({f"{stage}_{f}": v for f, v in zip(_STAGE_FIELDS, values, strict=True)})
        for name in pop.scorers:
            row[f"auto_{name}"] = preds.get(name, {}).get(t.item_id)
        rows.append(row)
    return rows
