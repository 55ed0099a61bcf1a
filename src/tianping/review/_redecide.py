"""Deciding a stored assessment's manual-review clauses again, after people label.

Cheap by design: nothing is re-run or re-scored. The human clauses are decided from
the labels (and the stored automatic scores); every other verdict is kept as stored,
and the two conclusions are recomputed over the lot.
"""

from __future__ import annotations

from ..assess._clauses import overall
from ..assess._human import human_verdict
from ..standards import AssessmentResult
from ..store import Store
from ._errors import ReviewError
from ._population import clause_population
from ._status import evidence_of

__all__ = ["redecide"]


def redecide(store: Store, assessment_id: str) -> AssessmentResult:
    """Re-decide the human clauses of a stored assessment from its review labels, and
    store the updated result and conclusion. Reports and attestations are not
    rewritten here: the caller writes them again (``tianping report ID``)."""
    rec = store.get_assessment(assessment_id)
    if rec.result is None:
        raise ReviewError(
            f"Assessment {rec.id} has no result yet (status {rec.status}); "
            f"finish it with `tianping assess --resume {rec.id}`."
        )
    result = AssessmentResult.model_validate(rec.result)
    verdicts = []
    for v in result.verdicts:
        if v.kind == "human":
            pop = clause_population(store, rec.id, v.clause)
            evidence = evidence_of(store, pop)
            v = human_verdict(pop.clause, pop.loaded.profile, evidence)
        verdicts.append(v)
    updated = result.model_copy(
        update={
            "verdicts": tuple(verdicts),
            "conclusion": overall(verdicts, "confident"),
            "literal_conclusion": overall(verdicts, "literal"),
        }
    )
    store.update_assessment(
        rec.id, result=updated.model_dump(mode="json"), conclusion=updated.conclusion
    )
    return updated
