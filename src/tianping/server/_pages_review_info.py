"""How far the human review of an assessment has got, for the assessment and review pages."""

from __future__ import annotations

from dataclasses import dataclass

from ..review import review_status
from ..standards import ClauseVerdict
from ..store import Store, User

DEFAULT_CLAUSE = "9.3-manual"
STATES = ("unlabelled", "one_label", "agreed", "disputed", "adjudicated")


@dataclass(frozen=True)
class ReviewSummary:
    assessment_id: str
    clause: str
    drawn: int
    done: int  # settled: agreed or adjudicated
    counts: tuple[tuple[str, int], ...]  # (state, tasks), states with tasks only
    can_draw: bool
    verdict: ClauseVerdict | None = None  # what the labels decide now
    kappa: float | None = None

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.drawn) if self.drawn else 0


def review_summary(
    store: Store, assessment_id: str, user: User, clause: str | None = DEFAULT_CLAUSE
) -> ReviewSummary:
    """The review of ``clause`` (None: the first clause drawn for review, else 9.3-manual)."""
    if clause is None:
        drawn = store.review_clauses(assessment_id)
        clause = drawn[0] if drawn else DEFAULT_CLAUSE
    can_draw = user.at_least("assessor")
    if not store.review_task_rows(assessment_id, clause):
        return ReviewSummary(assessment_id, clause, 0, 0, (), can_draw)
    status = review_status(store, assessment_id, clause)
    counts = status.counts
    agreement = status.evidence.reviewers
    return ReviewSummary(
        assessment_id=status.assessment_id,
        clause=clause,
        drawn=status.tasks,
        done=counts.get("agreed", 0) + counts.get("adjudicated", 0),
        counts=tuple((s, counts[s]) for s in STATES if counts.get(s)),
        can_draw=can_draw,
        verdict=status.verdict,
        kappa=None if agreement is None else agreement.kappa,
    )
