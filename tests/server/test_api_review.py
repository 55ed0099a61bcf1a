"""Human review over the API: status, the caller's next item, labels and their rules."""

from __future__ import annotations

from _webtest import Assessed, Person, login
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tianping.review import draw_review

API = "/api/v1"


def _draw(app: FastAPI, assessed: Assessed, n: int = 6) -> None:
    draw_review(app.state.store, assessed.assessment_id, n=n, seed=7)


def test_two_reviewers_label_an_item_and_the_status_counts_it(
    client: TestClient, people: dict[str, Person], app: FastAPI, assessed: Assessed
) -> None:
    _draw(app, assessed)
    status_url = f"{API}/assessments/{assessed.assessment_id}/review"
    before = client.get(status_url, headers=people["viewer"].headers).json()
    assert before["tasks"] == 6
    assert before["labelled"] == 0
    assert before["verdict"]["clause"] == "9.3-manual"

    nxt = client.get(f"{API}/reviews/next", headers=people["reviewer"].headers).json()["task"]
    assert nxt["stage"] == "first"
    assert nxt["response"]
    assert "scores" not in nxt
    assert "label" not in nxt
    r = client.post(
        f"{API}/reviews/{nxt['id']}/labels",
        json={"qualified": True, "risk": "A1a", "note": "fine"},
        headers=people["reviewer"].headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["labelled"] is True
    assert r.json()["earlier"] == []
    # The same person cannot give the second label.
    r = client.post(
        f"{API}/reviews/{nxt['id']}/labels",
        json={"qualified": True},
        headers=people["reviewer"].headers,
    )
    assert r.status_code == 409
    assert r.json()["error"] == "cannot label"
    # A second reviewer gets the half-labelled item first, blind to the first label.
    second = client.get(
        f"{API}/reviews/next?assessment={assessed.assessment_id}",
        headers=people["assessor"].headers,
    ).json()["task"]
    assert second["id"] == nxt["id"]
    assert second["stage"] == "second"
    assert second["earlier"] == []
    r = client.post(
        f"{API}/reviews/{second['id']}/labels",
        json={"qualified": True},
        headers=people["assessor"].headers,
    )
    assert r.status_code == 201
    after = client.get(status_url, headers=people["viewer"].headers).json()
    stored = app.state.store.get_assessment(assessed.assessment_id).result
    manual = next(v for v in stored["verdicts"] if v["clause"] == "9.3-manual")
    assert manual["n"] == 1  # the stored verdict follows the labels
    assert after["labelled"] == 1
    assert after["qualified"] == 1
    assert after["counts"]["agreed"] == 1


def test_labels_by_session_need_the_csrf_token(
    client: TestClient, people: dict[str, Person], app: FastAPI, assessed: Assessed
) -> None:
    _draw(app, assessed)
    csrf = login(client, "reviewer")
    task = client.get(f"{API}/reviews/next").json()["task"]
    url = f"{API}/reviews/{task['id']}/labels"
    r = client.post(url, json={"qualified": False})
    assert r.status_code == 403
    assert r.json()["error"] == "CSRF check failed"
    r = client.post(url, json={"qualified": False}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201


def test_viewers_cannot_review_and_bad_labels_are_refused(
    client: TestClient, people: dict[str, Person], app: FastAPI, assessed: Assessed
) -> None:
    _draw(app, assessed)
    assert client.get(f"{API}/reviews/next", headers=people["viewer"].headers).status_code == 403
    h = people["reviewer"].headers
    task = client.get(f"{API}/reviews/next", headers=h).json()["task"]
    url = f"{API}/reviews/{task['id']}/labels"
    assert client.post(url, json={}, headers=h).status_code == 422
    assert client.post(url, json={"qualified": "maybe"}, headers=h).status_code == 422
    assert (
        client.post(url, json={"qualified": True, "note": "x" * 2001}, headers=h).status_code == 422
    )
    r = client.post(url, json={"qualified": True, "risk": "Z9"}, headers=h)
    assert r.status_code == 409
    assert "Z9" in r.json()["detail"]
    r = client.post(f"{API}/reviews/999999/labels", json={"qualified": True}, headers=h)
    assert r.status_code == 404


def test_nothing_to_review_is_a_null_task(client: TestClient, people: dict[str, Person]) -> None:
    r = client.get(f"{API}/reviews/next", headers=people["reviewer"].headers)
    assert r.status_code == 200
    assert r.json() == {"task": None}
