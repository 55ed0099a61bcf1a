"""Store methods for assessments (mixed into :class:`Store`)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from ..core import RunError, UnknownNameError
from ._records import AssessmentRecord
from ._tables import assessments

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ._store import _Tx

_JSON_FIELDS = ("params", "result")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


class AssessmentMethods:
    engine: Engine

    def _begin(self) -> _Tx:  # provided by Store
        raise NotImplementedError

    def create_assessment(self, record: AssessmentRecord) -> None:
        row = {f: getattr(record, f) for f in AssessmentRecord.__dataclass_fields__}
        for f in _JSON_FIELDS:
            row[f] = None if row[f] is None else _dumps(row[f])
        with self._begin() as conn:
            conn.execute(assessments.insert(), row)

    def update_assessment(self, assessment_id: str, **fields: Any) -> None:
        for f in _JSON_FIELDS:
            if fields.get(f) is not None:
                fields[f] = _dumps(fields[f])
        with self._begin() as conn:
            conn.execute(
                update(assessments).where(assessments.c.id == assessment_id).values(**fields)
            )

    def resolve_assessment_id(self, assessment_id: str) -> str:
        """The full id of an assessment given its id or a unique prefix of it."""
        with self.engine.connect() as conn:
            col = assessments.c.id
            ids = (
                conn.execute(
                    select(col).where(col.startswith(assessment_id, autoescape=True)).limit(5)
                )
                .scalars()
                .all()
            )
            if assessment_id in ids:
                return assessment_id
            if len(ids) == 1:
                return str(ids[0])
            if len(ids) > 1:
                raise RunError(f"Assessment id {assessment_id!r} is ambiguous: {', '.join(ids)}.")
            recent = (
                conn.execute(select(col).order_by(assessments.c.created_at.desc()).limit(20))
                .scalars()
                .all()
            )
        raise UnknownNameError("assessment", assessment_id, recent)

    def get_assessment(self, assessment_id: str) -> AssessmentRecord:
        """An assessment by id or unique id prefix."""
        full = self.resolve_assessment_id(assessment_id)
        with self.engine.connect() as conn:
            row = conn.execute(select(assessments).where(assessments.c.id == full)).mappings().one()
        return _record(row)

    def list_assessments(
        self, limit: int = 50, *, model: str | None = None
    ) -> list[AssessmentRecord]:
        """Recent assessments, newest first (optionally of one model spec)."""
        q = select(assessments).order_by(assessments.c.created_at.desc()).limit(limit)
        if model is not None:
            q = q.where(assessments.c.model_spec == model)
        with self.engine.connect() as conn:
            return [_record(r) for r in conn.execute(q).mappings().all()]


def _record(row: Any) -> AssessmentRecord:
    data = dict(row)
    for f in _JSON_FIELDS:
        if data[f] is not None:
            data[f] = json.loads(data[f])
    return AssessmentRecord(**data)
