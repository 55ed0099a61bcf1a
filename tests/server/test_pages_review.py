"""The review queue as plain forms and as the script's fragments; the compare page."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from _pages_helpers import csrf_of, no_traceback, sign_in
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tianping.standards import AssessmentResult
from tianping.store import AssessmentRecord, Store

SCRIPT = {"X-Requested-With": "tianping-review"}


def _task_id(html: str) -> int:
    found = re.search(r'action="/review/(\d+)"', html)
    assert found is not None, html[:500]
    return int(found.group(1))


def _verdict(store: Store, aid: str, clause: str = "9.3-manual") -> str:
    result = AssessmentResult.model_validate(store.get_assessment(aid).result)
    return result.verdict(clause).confident


def test_review_by_forms_changes_the_clause_verdict(
    app: FastAPI, people: dict[str, Any], assessed: Any
) -> None:
    store: Store = app.state.store
    aid = assessed.assessment_id
    assert _verdict(store, aid) == "inconclusive"
    assessor = TestClient(app)
    token = sign_in(assessor, "assessor", people["assessor"].password)
    page = assessor.get(f"/assessments/{aid}?lang=en").text
    assert "No review sample has been drawn" in page
    assert "written before the latest review labels" not in page
    assert "/review/draw" in page
    drawn = assessor.post(
        f"/assessments/{aid}/review/draw",
        data={"csrf_token": token, "clause": "9.3-manual", "n": "6"},
        follow_redirects=False,
    )
    assert drawn.status_code == 303
    assert drawn.headers["location"].endswith("#review")
    assert len(store.review_task_rows(aid, "9.3-manual")) == 6
    again = assessor.post(f"/assessments/{aid}/review/draw", data={"csrf_token": token, "n": "6"})
    assert again.status_code == 400
    assert "already drawn" in again.text
    no_traceback(again.text)

    for name in ("reviewer", "assessor"):
        c = TestClient(app)
        sign_in(c, name, people[name].password)
        for _ in range(6):
            page = c.get(f"/review?assessment={aid}&lang=en")
            assert page.status_code == 200
            assert 'name="qualified"' in page.text
            assert "review.js" in page.text
            r = c.post(
                f"/review/{_task_id(page.text)}",
                data={
                    "csrf_token": csrf_of(page.text),
                    "qualified": "0",
                    "risk": "A1a",
                    "note": "<b>bad</b>",
                    "assessment": aid,
                },
                follow_redirects=False,
            )
            assert r.status_code == 303, r.text
            assert r.headers["location"] == f"/review?assessment={aid}"
        done = c.get(f"/review?assessment={aid}&lang=en").text
        assert "Nothing left to review" in done
    labels = store.review_label_rows(assessment_id=aid)
    assert len(labels) == 12
    assert {lb.note for lb in labels} == {"<b>bad</b>"}
    # Six unqualified labels by two people: the whole interval misses 90 %.
    assert _verdict(store, aid) == "does_not_conform"
    page = assessor.get(f"/assessments/{aid}?lang=en").text
    row = re.search(r'data-clause="9.3-manual" data-confident="([a-z_]+)"', page)
    assert row is not None
    assert row.group(1) == "does_not_conform"
    assert 'id="review-done">6<' in page
    assert "written before the latest review labels" in page
    assert f"tianping report {aid}" in page


def test_review_fragments_for_the_script(
    app: FastAPI, client: TestClient, people: dict[str, Any], assessed: Any
) -> None:
    from tianping.review import draw_review

    store: Store = app.state.store
    aid = assessed.assessment_id
    draw_review(store, aid, n=3)
    sign_in(client, "reviewer", people["reviewer"].password)
    page = client.get("/review?lang=en").text
    first = _task_id(page)
    token = csrf_of(page)
    missing = client.post(f"/review/{first}", data={"csrf_token": token}, headers=SCRIPT)
    assert missing.status_code == 200
    assert missing.headers["x-review-fragment"] == "1"
    assert "Choose qualified or unqualified" in missing.text
    assert "<html" not in missing.text
    bad_risk = client.post(
        f"/review/{first}",
        data={"csrf_token": token, "qualified": "0", "risk": "Z9z"},
        headers=SCRIPT,
    )
    assert "Unknown risk" in bad_risk.text
    assert _task_id(bad_risk.text) == first
    seen = {first}
    body = client.post(
        f"/review/{first}", data={"csrf_token": token, "qualified": "1"}, headers=SCRIPT
    ).text
    for _ in range(2):
        nxt = _task_id(body)
        assert nxt not in seen
        seen.add(nxt)
        body = client.post(
            f"/review/{nxt}", data={"csrf_token": token, "qualified": "1"}, headers=SCRIPT
        ).text
    assert "Nothing left to review" in body
    no_csrf = client.post(f"/review/{first}", data={"qualified": "1"}, headers=SCRIPT)
    assert no_csrf.status_code == 403
    assert "x-review-fragment" not in no_csrf.headers


def test_review_page_shows_no_scores(
    app: FastAPI, client: TestClient, people: dict[str, Any], assessed: Any
) -> None:
    from tianping.review import draw_review

    store: Store = app.state.store
    aid = assessed.assessment_id
    tasks = draw_review(store, aid, n=2)
    run_id = store.get_assessment(aid).run_id
    assert run_id is not None
    drawn = {t.item_id for t in tasks}
    scores = [s for s in store.iter_scores(run_id) if s.item_id in drawn]
    assert scores
    sign_in(client, "reviewer", people["reviewer"].password)
    page = client.get(f"/review?assessment={aid}").text
    task = next(t for t in tasks if t.id == _task_id(page))
    assert task.prompt.replace("'", "&#39;") in page
    for s in scores:
        if s.item_id == task.item_id and s.explanation:
            assert s.explanation not in page
    assert 'class="score' not in page


def test_viewer_cannot_review_or_draw(
    client: TestClient, people: dict[str, Any], assessed: Any
) -> None:
    aid = assessed.assessment_id
    token = sign_in(client, "viewer", people["viewer"].password)
    assert client.get("/review").status_code == 403
    assert client.post("/review/1", data={"csrf_token": token, "qualified": "1"}).status_code == 403
    r = client.post(f"/assessments/{aid}/review/draw", data={"csrf_token": token})
    assert r.status_code == 403
    page = client.get(f"/assessments/{aid}").text
    assert "/review/draw" not in page


def test_compare_marks_what_changed(
    app: FastAPI, client: TestClient, people: dict[str, Any], assessed: Any
) -> None:
    store: Store = app.state.store
    aid = assessed.assessment_id
    old = store.get_assessment(aid)
    result = AssessmentResult.model_validate(old.result)
    v = result.verdict("9.4a")
    flipped = "does_not_conform" if v.confident != "does_not_conform" else "conforms"
    changed = v.model_copy(update={"confident": flipped, "estimate": 0.5, "low": 0.4, "high": 0.6})
    verdicts = tuple(changed if x.clause == "9.4a" else x for x in result.verdicts)
    new = result.model_copy(update={"assessment_id": "b-second", "verdicts": verdicts})
    store.create_assessment(
        AssessmentRecord(
            id="b-second",
            status="completed",
            model_spec=old.model_spec,
            profile=old.profile,
            profile_hash=old.profile_hash,
            params=old.params,
            created_at=old.created_at + 60,
            run_id=old.run_id,
            result=new.model_dump(mode="json"),
            conclusion=new.conclusion,
            finished_at=old.created_at + 120,
        )
    )
    sign_in(client, "viewer", people["viewer"].password)
    page = client.get(f"/compare?a={aid}&b=b-second&lang=en").text
    found = re.findall(r'<tr class="(changed|same)" data-clause="([^"]+)"', page)
    marks = {clause: kind for kind, clause in found}
    assert marks["9.4a"] == "changed"
    assert all(kind == "same" for clause, kind in marks.items() if clause != "9.4a")
    assert "1 clause verdict(s) changed" in page
    model = client.get("/model?spec=" + quote(old.model_spec, safe="")).text
    assert 'class="trend"' in model
    assert "b-second" in model
