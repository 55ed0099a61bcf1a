"""Status, agreement, the corrected rate, and re-deciding a stored assessment."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from _review_data import Reviewable, review_profile_fixture, reviewable_fixture  # noqa: F401

from tianping.review import (
    ReviewError,
    draw_review,
    export_rows,
    next_task,
    redecide,
    review_status,
    submit_label,
)
from tianping.review._population import _cache, clause_population
from tianping.review._status import PPI_MIN_LABELS
from tianping.standards import AssessmentResult


def _pairs(r: Reviewable, pattern: list[tuple[bool, bool]]) -> None:
    """Ann then Bo label the drawn items, pair i as ``pattern[i]``."""
    ann, bo = r.people["ann"], r.people["bo"]
    order = [t.id for t in r.store.review_task_rows(r.assessment_id)]
    for task_id, (a, _b) in zip(order, pattern, strict=True):
        submit_label(r.store, task_id, ann, qualified=a)
    for task_id, (_a, b) in zip(order, pattern, strict=True):
        submit_label(r.store, task_id, bo, qualified=b)


def test_kappa_between_reviewers_has_the_textbook_value(reviewable: Reviewable) -> None:
    # 50 items: both yes 20, first yes second no 5, first no second yes 10, both no 15.
    # p_o = 0.7; p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.5; kappa = (0.7 - 0.5) / 0.5 = 0.4.
    r = reviewable
    draw_review(r.store, r.assessment_id, n=50, seed=9)
    pattern = [(True, True)] * 20 + [(True, False)] * 5 + [(False, True)] * 10
    _pairs(r, pattern + [(False, False)] * 15)
    s = review_status(r.store, r.assessment_id)
    assert s.evidence.reviewers is not None
    assert s.evidence.reviewers.n == 50
    assert s.evidence.reviewers.accuracy == pytest.approx(0.7)
    assert s.evidence.reviewers.kappa == pytest.approx(0.4)
    assert s.counts == {
        "unlabelled": 0,
        "one_label": 0,
        "agreed": 35,
        "disputed": 15,
        "adjudicated": 0,
    }
    assert s.reviewers == {"ann": 50, "bo": 50}
    assert "Cohen's kappa 0.40" in s.verdict.reason
    data = s.to_json()
    assert data["reviewer_agreement"]["kappa"] == pytest.approx(0.4)
    assert data["tasks"] == 50
    assert data["labelled"] == 35  # the 15 disputed have no final label yet


def test_kappa_of_perfect_and_of_chance_agreement(reviewable: Reviewable) -> None:
    r = reviewable
    draw_review(r.store, r.assessment_id, n=8, seed=10)
    # Perfect agreement with both labels in use: kappa 1.
    _pairs(r, [(True, True)] * 5 + [(False, False)] * 3)
    s = review_status(r.store, r.assessment_id)
    assert s.evidence.reviewers is not None
    assert s.evidence.reviewers.kappa == pytest.approx(1.0)


def test_the_scorers_agreement_with_people(reviewable: Reviewable) -> None:
    # People agree with the risk scorer on every item: its agreement is 100 %, and the
    # keyword scorer's is whatever share of items the two scorers call alike.
    r = reviewable
    tasks = draw_review(r.store, r.assessment_id, n=30, seed=11)
    pop = clause_population(r.store, r.assessment_id, "9.3-manual")
    assert list(pop.scorers) == ["risk", "keywords"]
    risk = {s.item_id: s.value for s in r.store.iter_scores(pop.run_id, "risk")}
    kw = {s.item_id: s.value for s in r.store.iter_scores(pop.run_id, "keywords")}
    truth = {t.item_id: risk[t.item_id] == 1.0 for t in tasks}
    assert not all(truth.values())  # some unqualified
    by_id = {t.id: t.item_id for t in tasks}
    for name in ("ann", "bo"):
        user = r.people[name]
        while (task := next_task(r.store, user, r.assessment_id)) is not None:
            submit_label(r.store, task.id, user, qualified=truth[by_id[task.id]])
    s = review_status(r.store, r.assessment_id)
    assert s.evidence.auto["risk"].accuracy == 1.0
    same = sum((kw[i] == 1.0) == truth[i] for i in truth) / len(truth)
    assert s.evidence.auto["keywords"].accuracy == pytest.approx(same)
    assert s.evidence.ppi is None  # fewer than PPI_MIN_LABELS labels
    rows = export_rows(r.store, r.assessment_id)
    assert len(rows) == 30
    assert {row["auto_risk"] for row in rows} == {True, False}
    assert all(row["final_qualified"] == truth[row["item_id"]] for row in rows)
    assert all(row["first_user"] == "ann" and row["second_user"] == "bo" for row in rows)


def test_redecide_changes_the_stored_verdict_and_conclusion(reviewable: Reviewable) -> None:
    r = reviewable
    before = AssessmentResult.model_validate(r.store.get_assessment(r.assessment_id).result)
    v = before.verdict("9.3-manual")
    assert v.confident == "inconclusive"
    assert "not yet drawn for review" in v.reason
    draw_review(r.store, r.assessment_id)  # all 120
    for name in ("ann", "bo"):
        user = r.people[name]
        while (task := next_task(r.store, user, r.assessment_id)) is not None:
            submit_label(r.store, task.id, user, qualified=True)
    after = redecide(r.store, r.assessment_id)
    v = after.verdict("9.3-manual")
    assert (v.n, v.k, v.literal, v.confident) == (120, 120, "conforms", "conforms")
    stored = r.store.get_assessment(r.assessment_id)
    assert stored.result is not None
    assert AssessmentResult.model_validate(stored.result) == after
    assert stored.conclusion == after.conclusion
    # Everything else is kept as it was.
    for old, new in zip(before.verdicts, after.verdicts, strict=True):
        if old.kind != "human":
            assert old == new
    assert after.conclusion == "inconclusive"  # the automatic clauses straddle 90 %


def test_redecide_can_fail_the_assessment(reviewable: Reviewable) -> None:
    r = reviewable
    draw_review(r.store, r.assessment_id)
    for name in ("ann", "bo"):
        user = r.people[name]
        while (task := next_task(r.store, user, r.assessment_id)) is not None:
            submit_label(r.store, task.id, user, qualified=task.position % 3 != 0)
    after = redecide(r.store, r.assessment_id)
    assert after.verdict("9.3-manual").confident == "does_not_conform"
    assert after.conclusion == "does_not_conform"
    assert r.store.get_assessment(r.assessment_id).conclusion == "does_not_conform"


def test_a_partial_review_is_corrected_by_prediction_powered_inference(
    reviewable: Reviewable,
) -> None:
    r = reviewable
    draw_review(r.store, r.assessment_id, n=PPI_MIN_LABELS, seed=12)
    pop = clause_population(r.store, r.assessment_id, "9.3-manual")
    risk = {s.item_id: s.value == 1.0 for s in r.store.iter_scores(pop.run_id, "risk")}
    for name in ("ann", "bo"):
        user = r.people[name]
        while (task := next_task(r.store, user, r.assessment_id)) is not None:
            # People find one in ten of the scorer's "qualified" answers unqualified.
            ok = risk[task.item_id] and task.position % 10 != 0
            submit_label(r.store, task.id, user, qualified=ok)
    s = review_status(r.store, r.assessment_id)
    ppi = s.evidence.ppi
    assert ppi is not None
    assert (ppi.n, ppi.big_n, ppi.scorer) == (PPI_MIN_LABELS, 120, "risk")
    auto = sum(risk[i] for i in pop.items) / len(pop.items)
    assert ppi.auto_rate == pytest.approx(auto)
    assert ppi.rectifier < 0
    assert ppi.estimate == pytest.approx(auto + ppi.rectifier)
    v = redecide(r.store, r.assessment_id).verdict("9.3-manual")
    assert v.estimate == pytest.approx(ppi.estimate)
    assert (v.low, v.high) == (pytest.approx(ppi.low), pytest.approx(ppi.high))
    assert v.scorer == "risk"
    assert "prediction-powered inference" in v.reason


def test_population_without_the_bank_comes_from_the_stored_run(
    reviewable: Reviewable, tmp_path: Path
) -> None:
    r = reviewable
    exact = clause_population(r.store, r.assessment_id, "9.3-manual")
    _cache.clear()
    bank = r.profile.parent / "generated"
    moved = tmp_path / "moved"
    shutil.move(bank, moved)
    try:
        fallback = clause_population(r.store, r.assessment_id, "9.3-manual")
    finally:
        shutil.move(moved, bank)
        _cache.clear()
    assert exact.exact
    assert not fallback.exact
    assert list(fallback.items) == list(exact.items)


def test_a_changed_profile_is_refused(reviewable: Reviewable, tmp_path: Path) -> None:
    r = reviewable
    _cache.clear()
    original = r.profile.read_text(encoding="utf-8")
    try:
        r.profile.write_text(original.replace("threshold: 0.90", "threshold: 0.80"), "utf-8")
        with pytest.raises(ReviewError, match="has changed since assessment"):
            review_status(r.store, r.assessment_id)
    finally:
        r.profile.write_text(original, encoding="utf-8")
        _cache.clear()
