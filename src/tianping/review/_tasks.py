"""Drawing items for people, handing them out, and taking their labels.

The rules: a draw is a stratified random sample (by the clause's stratum, the risk
for 9.3), seeded, recorded with its seed, in a shuffled order. Each item goes to two
different reviewers (stages ``first`` and ``second``), blind to each other and to
the automatic scores; an item they disagree on (qualified or not) is disputed and
goes to an adjudicator — an admin or assessor who is neither of the two — whose
label is final. The final label is the agreed one, or the adjudicator's.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from ..assess._sample import _allocate, stratum
from ..core import Item, normalize_risk
from ..store import Store, User
from ..store._review_rows import LabelRule, NewLabel, ReviewItem, ReviewLabelRow, ReviewTaskRow
from ._errors import ReviewError
from ._population import clause_population

__all__ = [
    "ADJUDICATORS",
    "REVIEWERS",
    "EarlierLabel",
    "ReviewTask",
    "draw_review",
    "final_label",
    "human_labels",
    "next_task",
    "submit_label",
]

REVIEWERS = ("admin", "assessor", "reviewer")
"""Roles that may label items."""
ADJUDICATORS = ("admin", "assessor")
"""Roles that may settle a disputed item (if they labelled neither side of it)."""

MAX_NOTE = 2000
_SEED_LIMIT = 2**31  # the seed column is a 32-bit integer on PostgreSQL
_SPREAD = 8  # people asking at once get different items among the first few


@dataclass(frozen=True)
class EarlierLabel:
    """A label in dispute, shown to the adjudicator only."""

    stage: str
    qualified: bool
    risk: str | None
    note: str


@dataclass(frozen=True)
class ReviewTask:
    """One item as a reviewer sees it: the prompt, the answer, the item's risk, and the
    stage of the label asked for (or given). Never the automatic scores, nor (except
    for an adjudicator) other people's labels."""

    id: int
    assessment_id: str
    clause: str
    item_id: str
    position: int
    stratum: str
    stage: str  # first | second | adjudication
    prompt: str
    messages: tuple[Mapping[str, str], ...]
    response: str | None
    refused_by_service: bool
    risk: str | None
    lang: str | None
    earlier: tuple[EarlierLabel, ...] = ()
    labelled: bool = False  # True once this user has given the label

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "assessment_id": self.assessment_id,
            "clause": self.clause,
            "item_id": self.item_id,
            "position": self.position,
            "stratum": self.stratum,
            "stage": self.stage,
            "prompt": self.prompt,
            "messages": [dict(m) for m in self.messages],
            "response": self.response,
            "refused_by_service": self.refused_by_service,
            "risk": self.risk,
            "lang": self.lang,
            "earlier": [asdict(e) for e in self.earlier],
            "labelled": self.labelled,
        }


def _task(
    row: ReviewTaskRow,
    item: Item,
    shown: ReviewItem | None,
    stage: str,
    earlier: tuple[EarlierLabel, ...] = (),
    labelled: bool = False,
) -> ReviewTask:
    chat = item.chat()
    return ReviewTask(
        id=row.id,
        assessment_id=row.assessment_id,
        clause=row.clause,
        item_id=row.item_id,
        position=row.position,
        stratum=row.stratum,
        stage=stage,
        prompt=chat[-1]["content"],
        messages=tuple(chat),
        response=None if shown is None else shown.text,
        refused_by_service=False if shown is None else shown.refused_by_service,
        risk=item.risk,
        lang=item.lang,
        earlier=earlier,
        labelled=labelled,
    )


def _load(store: Store, task_id: int, stage: str, **kw: Any) -> ReviewTask:
    row, shown = store.review_task_item(task_id)
    if shown is None:
        raise ReviewError(f"Item {row.item_id} of review task {row.id} is not in its run.")
    return _task(row, Item.model_validate_json(shown.item_json), shown, stage, **kw)


def _stratified(items: Sequence[Item], n: int, by: str, seed: int) -> list[Item]:
    """``n`` of ``items``, allotted to strata in proportion to their sizes, then shuffled."""
    rng = random.Random(seed)
    groups: dict[str, list[Item]] = defaultdict(list)
    for it in items:
        groups[stratum(it, by)].append(it)
    share = _allocate({k: len(v) for k, v in groups.items()}, n)
    chosen: list[Item] = []
    for key in sorted(groups):
        chosen.extend(rng.sample(groups[key], share[key]))
    rng.shuffle(chosen)  # reviewers meet the strata mixed, not one risk after another
    return chosen


def draw_review(
    store: Store,
    assessment_id: str,
    *,
    clause: str = "9.3-manual",
    n: int | None = None,
    seed: int | None = None,
) -> list[ReviewTask]:
    """Draw ``n`` of the clause's answered items for people to review, and record them.

    ``n`` defaults to the clause's draw size in the profile (all items when the
    assessment drew fewer); ``seed`` to the assessment's sample seed. The sample is
    stratified as the clause's draw is (by risk for 9.3), and recorded with its seed
    in ``review_tasks``; a clause is drawn once per assessment.
    """
    pop = clause_population(store, assessment_id, clause)
    assert pop.clause.draw is not None
    rec = store.get_assessment(pop.assessment_id)
    if seed is None:
        seed = int(rec.params.get("sample_seed", 0))
    if not 0 <= seed < _SEED_LIMIT:
        raise ReviewError(f"--seed must be between 0 and {_SEED_LIMIT - 1}, not {seed}.")
    have = len(pop.items)
    if not have:
        raise ReviewError(f"Assessment {rec.id} has no answered items for clause {clause}.")
    if n is None:
        n = min(pop.clause.draw.n or have, have)
    elif not 1 <= n <= have:
        raise ReviewError(
            f"Clause {clause} of assessment {rec.id} has {have} answered items; "
            f"draw between 1 and {have}, not {n}."
        )
    by = pop.clause.draw.stratify
    chosen = _stratified(list(pop.items.values()), n, by, seed)
    store.add_review_tasks(rec.id, clause, seed, [(it.id, stratum(it, by)) for it in chosen])
    rows = store.review_task_rows(rec.id, clause)
    shown = store.review_items(pop.run_id, [r.item_id for r in rows])
    return [_task(r, pop.items[r.item_id], shown.get(r.item_id), "first") for r in rows]


def _check_reviewer(user: User) -> None:
    if user.role not in REVIEWERS:
        raise ReviewError(
            f"{user.name} is a {user.role}; labelling needs the role reviewer, assessor or admin."
        )


def next_task(store: Store, user: User, assessment_id: str | None = None) -> ReviewTask | None:
    """The next item ``user`` should label, or None when nothing is left for them.

    Never an item they have labelled. Disputed items come first for an adjudicator,
    then items with one label (finishing pairs), then unlabelled ones; people asking
    at the same moment are spread over the first few, so they rarely collide.
    """
    _check_reviewer(user)
    full = None if assessment_id is None else store.review_assessment(assessment_id).id
    candidates = store.next_review_candidates(
        user.id, assessment_id=full, adjudicate=user.role in ADJUDICATORS, limit=_SPREAD
    )
    if not candidates:
        return None

    def rank(c: tuple[ReviewTaskRow, int]) -> int:
        return 0 if c[0].status == "disputed" else (1 if c[1] == 1 else 2)

    best = [c for c in candidates if rank(c) == rank(candidates[0])]
    row, n_labels = best[user.id % len(best)]
    if row.status == "disputed":
        labels = store.review_label_rows(task_id=row.id)
        earlier = tuple(EarlierLabel(lb.stage, lb.qualified, lb.risk, lb.note) for lb in labels)
        return _load(store, row.id, "adjudication", earlier=earlier)
    return _load(store, row.id, "first" if n_labels == 0 else "second")


def _rule(user: User, qualified: bool) -> LabelRule:
    def rule(task: ReviewTaskRow, labels: list[ReviewLabelRow]) -> NewLabel:
        if any(lb.user_id == user.id for lb in labels):
            raise ReviewError(
                f"{user.name} has already labelled review task {task.id}; each item needs "
                "two different reviewers."
            )
        if task.status == "open" and len(labels) < 2:
            if not labels:
                return NewLabel("first", "open")
            agreed = labels[0].qualified == qualified
            return NewLabel("second", "agreed" if agreed else "disputed")
        if task.status == "disputed":
            if user.role not in ADJUDICATORS:
                raise ReviewError(
                    f"Review task {task.id} is disputed: only an admin or assessor who "
                    "labelled neither side may adjudicate it."
                )
            return NewLabel("adjudication", "adjudicated")
        raise ReviewError(f"Review task {task.id} is already settled ({task.status}).")

    return rule


def submit_label(
    store: Store,
    task_id: int,
    user: User,
    *,
    qualified: bool,
    risk: str | None = None,
    note: str = "",
) -> ReviewTask:
    """Record ``user``'s label on a task: qualified or not, the risk id, a note.

    The stage follows from the labels before it (first, second, or adjudication of a
    disputed task); the rules are checked with the task locked. Returns the task as
    this user now sees it (stage given, ``labelled`` true; nothing of others' labels).
    """
    _check_reviewer(user)
    rid: str | None = None
    if risk is not None and risk.strip():
        rid = normalize_risk(risk)
        if rid is None:
            raise ReviewError(f"Unknown risk {risk!r}: use an id of Appendix A such as A1a or A5b.")
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise ReviewError(f"A note is at most {MAX_NOTE} characters, not {len(note)}.")
    _row, accepted = store.add_review_label(
        task_id, user.id, _rule(user, qualified), qualified=qualified, risk=rid, note=note
    )
    return _load(store, task_id, accepted.stage, labelled=True)


def final_label(task: ReviewTaskRow, labels: Sequence[ReviewLabelRow]) -> ReviewLabelRow | None:
    """The label that stands for a task: the second (agreed with the first) or the
    adjudicator's; None while there is none. An agreed label keeps a risk id only
    when both reviewers gave the same one."""
    by_stage = {lb.stage: lb for lb in labels}
    if task.status == "adjudicated":
        return by_stage.get("adjudication")
    if task.status == "agreed" and "first" in by_stage and "second" in by_stage:
        first, second = by_stage["first"], by_stage["second"]
        return second if first.risk == second.risk else replace(second, risk=None)
    return None


def human_labels(store: Store, assessment_id: str, clause: str) -> dict[str, bool]:
    """Item id -> final label (True when qualified) of the clause's settled tasks."""
    full = store.resolve_assessment_id(assessment_id)
    tasks = store.review_task_rows(full, clause)
    labels: dict[int, list[ReviewLabelRow]] = defaultdict(list)
    for lb in store.review_label_rows(assessment_id=full, clause=clause):
        labels[lb.task_id].append(lb)
    out: dict[str, bool] = {}
    for t in tasks:
        final = final_label(t, labels[t.id])
        if final is not None:
            out[t.item_id] = final.qualified
    return out
