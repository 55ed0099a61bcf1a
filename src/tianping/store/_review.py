"""Store methods for human review (clause 9.3): drawn tasks and their labels (mixed into Store).

The rules (who may label what, at which stage) live in ``tianping.review``; this
module only reads and writes, and runs a rule inside the transaction that adds a
label, with the task locked, so two reviewers submitting at once cannot both
become its second reviewer.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case, exists, func, select, update

from ..core import ConfigError
from ._review_rows import (
    LabelRule,
    NewLabel,
    ReviewAssessment,
    ReviewItem,
    ReviewLabelRow,
    ReviewTaskRow,
    label_row,
    task_row,
)
from ._tables import (
    assessments,
    responses,
    review_labels,
    review_tasks,
    run_items,
    runs,
    scores,
    suite_items,
    users,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ._store import _Tx

_CHUNK = 500


# What a reviewer is shown of a run item: the stored item and the model's answer.
_SHOWN = (
    run_items.c.status.label("run_status"),
    suite_items.c.data,
    responses.c.text,
    responses.c.refused_by_service,
)


def _shown_from(frm: Any) -> Any:
    """``frm`` (which has ``run_items``) joined to the suite item and the answer."""
    item = and_(
        suite_items.c.suite_hash == runs.c.suite_hash,
        suite_items.c.position == run_items.c.position,
    )
    return (
        frm.join(runs, runs.c.id == run_items.c.run_id)
        .join(suite_items, item)
        .outerjoin(responses, responses.c.key == run_items.c.request_key)
    )


def _shown(row: Any) -> ReviewItem:
    answered = row["run_status"] == "done"
    return ReviewItem(
        item_json=row["data"],
        text=row["text"] if answered else None,
        refused_by_service=answered and bool(row["refused_by_service"]),
    )


_LABEL_COLS = (
    review_labels.c.id,
    review_labels.c.task_id,
    review_labels.c.user_id,
    users.c.name.label("user_name"),
    review_labels.c.stage,
    review_labels.c.qualified,
    review_labels.c.risk,
    review_labels.c.note,
    review_labels.c.created_at,
)


class ReviewMethods:
    engine: Engine

    def _begin(self) -> _Tx:  # provided by Store
        raise NotImplementedError

    def resolve_assessment_id(self, assessment_id: str) -> str:  # provided by Store
        raise NotImplementedError

    # -- tasks -----------------------------------------------------------

    def review_assessment(self, assessment_id: str) -> ReviewAssessment:
        """An assessment by id (or unique prefix), without reading its result."""
        cols = (
            assessments.c.id,
            assessments.c.run_id,
            assessments.c.status,
            assessments.c.finished_at,
            assessments.c.result.is_not(None).label("has_result"),
        )
        with self.engine.connect() as conn:
            row = conn.execute(select(*cols).where(assessments.c.id == assessment_id)).first()
        if row is None:
            full = self.resolve_assessment_id(assessment_id)
            with self.engine.connect() as conn:
                row = conn.execute(select(*cols).where(assessments.c.id == full)).one()
        return ReviewAssessment(row[0], row[1], row[2], row[3], bool(row[4]))

    def add_review_tasks(
        self, assessment_id: str, clause: str, seed: int, drawn: Sequence[tuple[str, str]]
    ) -> int:
        """Record a draw: ``(item_id, stratum)`` in review order. A clause is drawn once."""
        now = time.time()
        with self._begin() as conn:
            # Lock the assessment row first (PostgreSQL), so two draws cannot interleave.
            conn.execute(
                update(assessments)
                .where(assessments.c.id == assessment_id)
                .values(status=assessments.c.status)
            )
            before = conn.execute(
                select(func.count())
                .select_from(review_tasks)
                .where(
                    review_tasks.c.assessment_id == assessment_id, review_tasks.c.clause == clause
                )
            ).scalar_one()
            if before:
                raise ConfigError(
                    f"Clause {clause} of assessment {assessment_id} was already drawn for review "
                    f"({before} items); see `tianping review status {assessment_id}`."
                )
            rows = [
                {
                    "assessment_id": assessment_id,
                    "clause": clause,
                    "item_id": item_id,
                    "stratum": stratum,
                    "position": position,
                    "seed": seed,
                    "status": "open",
                    "created_at": now,
                }
                for position, (item_id, stratum) in enumerate(drawn)
            ]
            if rows:
                conn.execute(review_tasks.insert(), rows)
        return len(rows)

    def review_task_rows(
        self, assessment_id: str, clause: str | None = None
    ) -> list[ReviewTaskRow]:
        """An assessment's tasks (of one clause, or all), in review order."""
        q = select(review_tasks).where(review_tasks.c.assessment_id == assessment_id)
        if clause is not None:
            q = q.where(review_tasks.c.clause == clause)
        q = q.order_by(review_tasks.c.clause, review_tasks.c.position)
        with self.engine.connect() as conn:
            return [task_row(r) for r in conn.execute(q).mappings().all()]

    def get_review_task(self, task_id: int) -> ReviewTaskRow:
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(review_tasks).where(review_tasks.c.id == task_id))
                .mappings()
                .first()
            )
        if row is None:
            raise ConfigError(f"There is no review task {task_id}.")
        return task_row(row)

    def review_clauses(self, assessment_id: str) -> list[str]:
        """The clauses of an assessment drawn for review."""
        q = (
            select(review_tasks.c.clause)
            .where(review_tasks.c.assessment_id == assessment_id)
            .distinct()
            .order_by(review_tasks.c.clause)
        )
        with self.engine.connect() as conn:
            return [str(c) for c in conn.execute(q).scalars().all()]

    def next_review_candidates(
        self,
        user_id: int,
        *,
        assessment_id: str | None,
        adjudicate: bool,
        limit: int,
    ) -> list[tuple[ReviewTaskRow, int]]:
        """Tasks ``user_id`` has not labelled that still need a label, with their label
        counts: disputed ones first (when ``adjudicate``), then those with one label,
        then the unlabelled; by assessment, clause and position within each."""
        n_labels = (
            select(func.count())
            .where(review_labels.c.task_id == review_tasks.c.id)
            .scalar_subquery()
        )
        mine = exists().where(
            review_labels.c.task_id == review_tasks.c.id, review_labels.c.user_id == user_id
        )
        wanted = ["open", "disputed"] if adjudicate else ["open"]
        q = select(review_tasks, n_labels.label("n_labels")).where(
            review_tasks.c.status.in_(wanted), ~mine
        )
        if assessment_id is not None:
            q = q.where(review_tasks.c.assessment_id == assessment_id)
        rank = case(
            (review_tasks.c.status == "disputed", 0),
            (n_labels == 1, 1),
            else_=2,
        )
        q = q.order_by(
            rank, review_tasks.c.assessment_id, review_tasks.c.clause, review_tasks.c.position
        ).limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
        return [(task_row(r), int(r["n_labels"])) for r in rows]

    # -- labels ----------------------------------------------------------

    def review_label_rows(
        self,
        *,
        assessment_id: str | None = None,
        clause: str | None = None,
        task_id: int | None = None,
    ) -> list[ReviewLabelRow]:
        """Labels of one task, or of an assessment's tasks (of one clause), oldest first."""
        q = (
            select(*_LABEL_COLS)
            .join(users, users.c.id == review_labels.c.user_id)
            .join(review_tasks, review_tasks.c.id == review_labels.c.task_id)
        )
        if task_id is not None:
            q = q.where(review_labels.c.task_id == task_id)
        if assessment_id is not None:
            q = q.where(review_tasks.c.assessment_id == assessment_id)
        if clause is not None:
            q = q.where(review_tasks.c.clause == clause)
        q = q.order_by(review_labels.c.task_id, review_labels.c.id)
        with self.engine.connect() as conn:
            return [label_row(r) for r in conn.execute(q).mappings().all()]

    def add_review_label(
        self,
        task_id: int,
        user_id: int,
        rule: LabelRule,
        *,
        qualified: bool,
        risk: str | None,
        note: str,
    ) -> tuple[ReviewTaskRow, NewLabel]:
        """Add a label if ``rule`` (given the locked task and its labels) accepts it;
        the task as it is now, and the rule's answer."""
        with self._begin() as conn:
            # A no-op update takes the row lock (PostgreSQL) or the write lock (SQLite)
            # before the labels are read, so the rule sees every label committed before.
            locked = conn.execute(
                update(review_tasks)
                .where(review_tasks.c.id == task_id)
                .values(status=review_tasks.c.status)
            ).rowcount
            if not locked:
                raise ConfigError(f"There is no review task {task_id}.")
            row = conn.execute(select(review_tasks).where(review_tasks.c.id == task_id)).mappings()
            task = task_row(row.one())
            labels = [
                label_row(r)
                for r in conn.execute(
                    select(*_LABEL_COLS)
                    .join(users, users.c.id == review_labels.c.user_id)
                    .where(review_labels.c.task_id == task_id)
                    .order_by(review_labels.c.id)
                )
                .mappings()
                .all()
            ]
            accepted = rule(task, labels)
            conn.execute(
                review_labels.insert(),
                {
                    "task_id": task_id,
                    "user_id": user_id,
                    "stage": accepted.stage,
                    "qualified": qualified,
                    "risk": risk,
                    "note": note,
                    "created_at": time.time(),
                },
            )
            if accepted.status != task.status:
                conn.execute(
                    update(review_tasks)
                    .where(review_tasks.c.id == task_id)
                    .values(status=accepted.status)
                )
        return replace(task, status=accepted.status), accepted

    # -- what reviewers see, and what the scorers said -------------------

    def review_task_item(self, task_id: int) -> tuple[ReviewTaskRow, ReviewItem | None]:
        """A task and what its reviewer is shown, in one query."""
        run = and_(
            run_items.c.run_id == assessments.c.run_id,
            run_items.c.item_id == review_tasks.c.item_id,
        )
        frm = review_tasks.join(assessments, assessments.c.id == review_tasks.c.assessment_id).join(
            run_items, run
        )
        q = select(review_tasks, *_SHOWN).select_from(_shown_from(frm))
        with self.engine.connect() as conn:
            row = conn.execute(q.where(review_tasks.c.id == task_id)).mappings().first()
            if row is None:
                task = conn.execute(select(review_tasks).where(review_tasks.c.id == task_id))
                found = task.mappings().first()
                if found is None:
                    raise ConfigError(f"There is no review task {task_id}.")
                return task_row(found), None
        return task_row(row), _shown(row)

    def review_items(self, run_id: str, item_ids: Sequence[str]) -> dict[str, ReviewItem]:
        """The stored item and answer of each of ``item_ids`` in ``run_id`` (absent if not
        in the run; ``text`` None if it has no answer)."""
        out: dict[str, ReviewItem] = {}
        ids = list(item_ids)
        q = select(run_items.c.item_id, *_SHOWN).select_from(_shown_from(run_items))
        with self.engine.connect() as conn:
            for i in range(0, len(ids), _CHUNK):
                chunk = run_items.c.item_id.in_(ids[i : i + _CHUNK])
                for row in conn.execute(q.where(run_items.c.run_id == run_id, chunk)).mappings():
                    out[row["item_id"]] = _shown(row)
        return out

    def score_values(
        self, run_id: str, item_ids: Iterable[str], scorers: Sequence[str]
    ) -> list[tuple[str, str, float | None]]:
        """``(item_id, scorer, value)`` of the scores ``scorers`` gave ``item_ids``."""
        ids = list(item_ids)
        out: list[tuple[str, str, float | None]] = []
        cols = (scores.c.item_id, scores.c.scorer, scores.c.value)
        with self.engine.connect() as conn:
            for i in range(0, len(ids), _CHUNK):
                q = select(*cols).where(
                    scores.c.run_id == run_id,
                    scores.c.scorer.in_(list(scorers)),
                    scores.c.item_id.in_(ids[i : i + _CHUNK]),
                )
                out.extend((r[0], r[1], r[2]) for r in conn.execute(q).all())
        return out
