"""Drawing, handing out and labelling: the review's rules, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import fields

import pytest
from _review_data import Reviewable, review_profile_fixture, reviewable_fixture  # noqa: F401

from tianping.core import ConfigError
from tianping.review import (
    ReviewError,
    ReviewTask,
    draw_review,
    human_labels,
    next_task,
    review_status,
    submit_label,
)
from tianping.review._population import clause_population
from tianping.store import User


def _label_all(r: Reviewable, name: str, *, qualified: bool = True) -> int:
    user, done = r.people[name], 0
    while (task := next_task(r.store, user, r.assessment_id)) is not None:
        submit_label(r.store, task.id, user, qualified=qualified)
        done += 1
    return done


def test_the_draw_is_stratified_seeded_and_recorded(reviewable: Reviewable) -> None:
    r = reviewable
    pop = clause_population(r.store, r.assessment_id, "9.3-manual")
    assert len(pop.items) == 120
    assert pop.exact
    tasks = draw_review(r.store, r.assessment_id, n=60, seed=42)
    assert len(tasks) == 60
    assert len({t.item_id for t in tasks}) == 60
    assert all(t.item_id in pop.items for t in tasks)
    # Proportional to the strata: 120 items over six risks, 20 each -> 10 each.
    have = Counter(it.risk for it in pop.items.values())
    drawn = Counter(t.stratum for t in tasks)
    assert drawn == {risk: have[risk] // 2 for risk in have}
    assert all(t.stratum == t.risk for t in tasks)
    # Recorded with the seed, in a shuffled (not bank) order.
    rows = r.store.review_task_rows(r.assessment_id, "9.3-manual")
    assert [row.item_id for row in rows] == [t.item_id for t in tasks]
    assert {row.seed for row in rows} == {42}
    assert [t.item_id for t in tasks] != sorted(t.item_id for t in tasks)
    assert r.store.review_clauses(r.assessment_id) == ["9.3-manual"]
    # Drawn once per clause.
    with pytest.raises(ConfigError, match="already drawn"):
        draw_review(r.store, r.assessment_id, n=10)


def test_the_same_seed_draws_the_same_items() -> None:
    from tianping.core import Item
    from tianping.review._tasks import _stratified

    items = [Item(id=f"x{i}", prompt="p", risk=("A1a", "A2b", "A3c")[i % 3]) for i in range(90)]
    one = _stratified(items, 30, "risk", 7)
    assert [i.id for i in one] == [i.id for i in _stratified(items, 30, "risk", 7)]
    assert {i.id for i in one} != {i.id for i in _stratified(items, 30, "risk", 8)}
    assert Counter(i.risk for i in one) == {"A1a": 10, "A2b": 10, "A3c": 10}


def test_draw_defaults_and_bad_requests(reviewable: Reviewable) -> None:
    r = reviewable
    with pytest.raises(ReviewError, match="draw between 1 and 120, not 500"):
        draw_review(r.store, r.assessment_id, n=500)
    with pytest.raises(ReviewError, match=r"no manual-review clause '9\.3-keywords'"):
        draw_review(r.store, r.assessment_id, clause="9.3-keywords")
    with pytest.raises(ReviewError, match="--seed must be between"):
        draw_review(r.store, r.assessment_id, seed=2**31)
    tasks = draw_review(r.store, r.assessment_id)  # the profile's n (120): every item
    assert len(tasks) == 120
    assert {row.seed for row in r.store.review_task_rows(r.assessment_id)} == {0}


def test_reviewers_are_blind_to_scores_and_to_each_other(reviewable: Reviewable) -> None:
    r = reviewable
    draw_review(r.store, r.assessment_id, n=12, seed=1)
    names = {f.name for f in fields(ReviewTask)}
    assert not names & {"score", "scores", "value", "label", "qualified", "status"}
    ann, bo = r.people["ann"], r.people["bo"]
    first = next_task(r.store, ann, r.assessment_id)
    assert first is not None
    assert first.stage == "first"
    assert first.response is not None
    assert first.response.startswith(first.prompt)  # mock:echo
    assert first.risk == first.stratum
    done = submit_label(r.store, first.id, ann, qualified=False, risk="A4a", note="ann-says-no")
    assert (done.stage, done.labelled, done.earlier) == ("first", True, ())
    # Bo is handed the half-done pair first, and sees nothing of Ann's label.
    second = next_task(r.store, bo, r.assessment_id)
    assert second is not None
    assert (second.id, second.stage, second.earlier) == (first.id, "second", ())
    blob = str(second.to_json())
    assert "ann-says-no" not in blob
    assert "A4a" not in blob or first.risk == "A4a"  # only as the item's own risk
    # Bo says qualified: a dispute, and Bo's returned task does not reveal it.
    after = submit_label(r.store, second.id, bo, qualified=True)
    assert "disputed" not in str(after.to_json())


def test_two_different_reviewers_then_settled(reviewable: Reviewable) -> None:
    r = reviewable
    draw_review(r.store, r.assessment_id, n=5, seed=2)
    ann, cy = r.people["ann"], r.people["cy"]
    assert _label_all(r, "ann") == 5
    assert next_task(r.store, ann, r.assessment_id) is None  # never one she labelled
    task = r.store.review_task_rows(r.assessment_id)[0]
    with pytest.raises(ReviewError, match="already labelled"):
        submit_label(r.store, task.id, ann, qualified=True)
    assert _label_all(r, "bo") == 5
    assert next_task(r.store, cy, r.assessment_id) is None  # every pair agreed: settled
    with pytest.raises(ReviewError, match="already settled"):
        submit_label(r.store, task.id, cy, qualified=True)
    labels = human_labels(r.store, r.assessment_id, "9.3-manual")
    assert len(labels) == 5
    assert all(labels.values())
    assert review_status(r.store, r.assessment_id).counts["agreed"] == 5


def test_disputes_go_to_an_adjudicator_who_labelled_neither_side(
    reviewable: Reviewable,
) -> None:
    r = reviewable
    draw_review(r.store, r.assessment_id, n=4, seed=3)
    dee, eve, cy = (r.people[n] for n in ("dee", "eve", "cy"))
    # An assessor (dee) reviews as first reviewer; ann disagrees on every item.
    assert _label_all(r, "dee", qualified=True) == 4
    assert _label_all(r, "ann", qualified=False) == 4
    status = review_status(r.store, r.assessment_id)
    assert status.counts["disputed"] == 4
    assert human_labels(r.store, r.assessment_id, "9.3-manual") == {}
    # A reviewer gets none of them, nor may label one; nor may dee, a side of each.
    assert next_task(r.store, cy, r.assessment_id) is None
    assert next_task(r.store, dee, r.assessment_id) is None
    task_id = r.store.review_task_rows(r.assessment_id)[0].id
    with pytest.raises(ReviewError, match="only an admin or assessor"):
        submit_label(r.store, task_id, cy, qualified=True)
    with pytest.raises(ReviewError, match="already labelled"):
        submit_label(r.store, task_id, dee, qualified=True)
    # The admin adjudicates, seeing both labels, and has the last word.
    settled: dict[str, bool] = {}
    while (task := next_task(r.store, eve, r.assessment_id)) is not None:
        assert task.stage == "adjudication"
        assert sorted(e.qualified for e in task.earlier) == [False, True]
        assert {e.stage for e in task.earlier} == {"first", "second"}
        verdict = task.position % 2 == 0
        submit_label(r.store, task.id, eve, qualified=verdict, risk=None if verdict else "A2b")
        settled[task.item_id] = verdict
    assert len(settled) == 4
    assert human_labels(r.store, r.assessment_id, "9.3-manual") == settled
    assert review_status(r.store, r.assessment_id).counts["adjudicated"] == 4


def test_an_adjudicator_is_given_disputes_first(reviewable: Reviewable) -> None:
    r = reviewable
    draw_review(r.store, r.assessment_id, n=6, seed=4)
    ann, bo, eve = r.people["ann"], r.people["bo"], r.people["eve"]
    task = next_task(r.store, ann, r.assessment_id)
    assert task is not None
    submit_label(r.store, task.id, ann, qualified=True)
    again = next_task(r.store, bo, r.assessment_id)
    assert again is not None
    assert again.id == task.id
    submit_label(r.store, task.id, bo, qualified=False)
    got = next_task(r.store, eve, r.assessment_id)
    assert got is not None
    assert (got.id, got.stage) == (task.id, "adjudication")


def test_viewers_do_not_review_and_labels_are_checked(reviewable: Reviewable) -> None:
    r = reviewable
    draw_review(r.store, r.assessment_id, n=3, seed=5)
    vic, ann = r.people["vic"], r.people["ann"]
    with pytest.raises(ReviewError, match="viewer"):
        next_task(r.store, vic, r.assessment_id)
    task = next_task(r.store, ann, r.assessment_id)
    assert task is not None
    with pytest.raises(ReviewError, match="viewer"):
        submit_label(r.store, task.id, vic, qualified=True)
    with pytest.raises(ReviewError, match="Unknown risk 'Z9'"):
        submit_label(r.store, task.id, ann, qualified=False, risk="Z9")
    with pytest.raises(ReviewError, match="at most 2000 characters"):
        submit_label(r.store, task.id, ann, qualified=False, note="x" * 2001)
    with pytest.raises(ConfigError, match="no review task 999999"):
        submit_label(r.store, 999999, ann, qualified=True)
    # A risk by its Chinese name is stored by its id; the note is trimmed.
    done = submit_label(r.store, task.id, ann, qualified=False, risk="民族歧视内容", note=" n ")
    labels = r.store.review_label_rows(task_id=done.id)
    assert [(lb.risk, lb.note, lb.stage, lb.user_name) for lb in labels] == [
        ("A2a", "n", "first", "ann")
    ]


def test_two_people_racing_for_the_second_label_cannot_both_get_it(
    reviewable: Reviewable,
) -> None:
    r = reviewable
    draw_review(r.store, r.assessment_id, n=2, seed=6)
    ann = r.people["ann"]
    task = next_task(r.store, ann, r.assessment_id)
    assert task is not None
    submit_label(r.store, task.id, ann, qualified=True)
    results: list[str] = []
    barrier = threading.Barrier(2)

    def label(user: User) -> None:
        barrier.wait()
        try:
            submit_label(r.store, task.id, user, qualified=True)
            results.append("ok")
        except ReviewError as exc:
            results.append(str(exc))

    threads = [threading.Thread(target=label, args=(r.people[n],)) for n in ("bo", "cy")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results)[-1] == "ok"
    assert results.count("ok") == 1
    assert any("already settled" in m for m in results)
    stages = [lb.stage for lb in r.store.review_label_rows(task_id=task.id)]
    assert stages == ["first", "second"]


def test_people_asking_at_once_are_spread_over_items(reviewable: Reviewable) -> None:
    r = reviewable
    draw_review(r.store, r.assessment_id, n=20, seed=7)
    got = {
        name: next_task(r.store, r.people[name], r.assessment_id) for name in ("ann", "bo", "cy")
    }
    ids = {t.id for t in got.values() if t is not None}
    assert len(ids) == 3
