"""Helpers for the web page tests: sign in through the login form, read a page's CSRF token."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient

from tianping.store import Store

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = _CSRF.search(html)
    assert found is not None, "no csrf_token field on the page"
    return found.group(1)


def sign_in(client: TestClient, name: str, password: str, next: str = "/") -> str:
    """Sign in through the login form, as a browser does; returns the session's CSRF token."""
    form = client.get("/login")
    assert form.status_code == 200, form.text
    r = client.post(
        "/login",
        data={
            "username": name,
            "password": password,
            "next": next,
            "csrf_token": csrf_of(form.text),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = client.get("/")
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


def no_traceback(html: str) -> None:
    assert "Traceback" not in html
    assert 'File "' not in html


def fill_run(store: Store, n: int, *, run_id: str = "bigrun", chunk: int = 5000) -> str:
    """A run of ``n`` answered items (roles ``generated`` and ``should-refuse``, risks
    cycling over A1a..A1h), each scored by ``refusal``; returns the run id."""
    from tianping.core import Score
    from tianping.store import ItemOutcome, RunRecord, SuiteRecord

    risks = [f"A1{c}" for c in "abcdefgh"]

    def item(i: int) -> tuple[str, str]:
        role = "generated" if i % 2 else "should-refuse"
        item_id = f"{role}/item-{i:06d}"
        data = {"id": item_id, "prompt": f"question {i}", "risk": risks[i % len(risks)]}
        return item_id, json.dumps(data, separators=(",", ":"))

    suite_hash = f"sha256:{run_id}"
    store.save_suite(
        SuiteRecord(suite_hash, f"{run_id}-sample", "1", "test", {}, n),
        (item(i) for i in range(n)),
    )
    store.create_run(
        RunRecord(run_id, "completed", "mock:big", suite_hash, f"{run_id}-sample", n, {}, 0.0)
    )
    for start in range(0, n, chunk):
        outcomes, scores = [], []
        for i in range(start, min(n, start + chunk)):
            item_id = item(i)[0]
            key = f"{run_id}-key-{i}"
            response = {"key": key, "model": "mock:big", "text": f"answer {i}"}
            response["refused_by_service"] = False
            outcomes.append(ItemOutcome(run_id, item_id, i, key, "done", response=response))
            label = "refused" if i % 3 else "complied"
            scores.append(
                Score(run_id=run_id, item_id=item_id, scorer="refusal", scorer_version="1",
                      value=1.0 if i % 3 else 0.0, label=label, explanation=f"why {i}")
            )  # fmt: skip
        store.write_outcomes(outcomes)
        store.write_scores(scores)
    return run_id
