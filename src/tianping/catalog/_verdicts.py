"""The latest verdict of a model per profile, and whether a later fingerprint made it stale.

An assessment is stale when a fingerprint of its model taken after the
assessment started is marked ``changed``. Each fingerprint is compared with the
one before it, so this is the same as saying a fingerprint taken later differs
from the one current when the assessment started (or, if the model had none
then, from the first one taken after): the chain of comparisons runs from that
fingerprint to the changed one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import and_, exists, func, select

from ..store._tables import assessments, fingerprints, model_records

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Subquery

    from ..store import Store

VERDICTS = ("conforms", "does_not_conform", "inconclusive", "not_applicable")
"""The conclusions an assessment can reach."""


class LatestVerdict(NamedTuple):
    """A model's most recent completed assessment against one profile."""

    assessment_id: str
    conclusion: str
    finished_at: float
    stale: bool

    def to_json(self) -> dict[str, Any]:
        return self._asdict()


def latest_assessments(specs: list[str] | None = None, *, with_stale: bool = True) -> Subquery:
    """Per (model spec, profile) the most recent completed assessment, with ``stale``.

    ``specs`` limits it to some models (inside the window, where an index helps);
    ``with_stale=False`` leaves out the per-row staleness test when no one needs it.
    """
    a = assessments
    # A completed assessment always has finished_at; coalesce keeps hand-edited rows
    # in order on both backends (NULLs sort first in PostgreSQL's DESC, last in SQLite's).
    finished = func.coalesce(a.c.finished_at, a.c.created_at)
    ranked = select(
        a.c.id,
        a.c.model_spec,
        a.c.profile,
        a.c.conclusion,
        a.c.created_at,
        finished.label("finished_at"),
        func.row_number()
        .over(
            partition_by=(a.c.model_spec, a.c.profile),
            order_by=(finished.desc(), a.c.id.desc()),
        )
        .label("rank"),
    ).where(a.c.status == "completed", a.c.conclusion.is_not(None))
    if specs is not None:
        ranked = ranked.where(a.c.model_spec.in_(specs))
    r = ranked.subquery("ranked")
    cols = [r.c.id, r.c.model_spec, r.c.profile, r.c.conclusion, r.c.finished_at]
    if with_stale:
        cols.append(stale_since(r.c.model_spec, r.c.created_at).label("stale"))
    return select(*cols).where(r.c.rank == 1).subquery("latest")


def stale_since(spec: ColumnElement[Any], started: ColumnElement[Any]) -> ColumnElement[bool]:
    """True where a changed fingerprint of the model ``spec`` was taken after ``started``."""
    return exists(
        select(fingerprints.c.id)
        .select_from(
            fingerprints.join(model_records, fingerprints.c.model_id == model_records.c.id)
        )
        .where(
            and_(
                model_records.c.spec == spec,
                fingerprints.c.changed.is_(True),
                fingerprints.c.taken_at > started,
            )
        )
    )


def latest_verdicts(store: Store, spec: str) -> dict[str, LatestVerdict]:
    """``{profile: (assessment_id, conclusion, finished_at, stale)}`` for one model spec."""
    return verdicts_of(store, [spec.strip()]).get(spec.strip(), {})


def verdicts_of(store: Store, specs: list[str]) -> dict[str, dict[str, LatestVerdict]]:
    """:func:`latest_verdicts` for several specs in one query."""
    if not specs:
        return {}
    latest = latest_assessments(specs)
    q = select(latest).order_by(latest.c.model_spec, latest.c.profile)
    out: dict[str, dict[str, LatestVerdict]] = {}
    with store.engine.connect() as conn:
        for row in conn.execute(q).mappings():
            out.setdefault(row["model_spec"], {})[row["profile"]] = LatestVerdict(
                str(row["id"]),
                str(row["conclusion"]),
                float(row["finished_at"]),
                bool(row["stale"]),
            )
    return out
