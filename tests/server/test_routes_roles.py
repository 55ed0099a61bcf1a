"""Every route × every role: the status each gets. A new route fails the first test until it
has a row here, so no route ships without someone deciding who may use it.

Requests are made with each role's API token (anonymous: none); pages answer an anonymous
request with a redirect to the login page (303). CSRF for session requests is checked for
every POST route in the last test.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from _webtest import PASSWORD, Assessed, Person, login
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tianping.review import draw_review
from tianping.standards import builtin_profiles
from tianping.store import AssessmentRecord, Store

WHO = ("anonymous", "viewer", "reviewer", "assessor", "admin")
RANK = {"viewer": 1, "reviewer": 2, "assessor": 3, "admin": 4}


def need(role: str, ok: int = 200, *, anon: int = 401, low: int = 403) -> dict[str, int]:
    """Statuses for a route open to ``role`` and above."""
    out = {"anonymous": anon}
    for who, rank in RANK.items():
        out[who] = ok if rank >= RANK[role] else low
    return out


def everyone(ok: int = 200) -> dict[str, int]:
    return dict.fromkeys(WHO, ok)


def page(role: str, ok: int = 200, *, low: int = 403) -> dict[str, int]:
    """A page: anonymous visitors are sent to the login page."""
    return need(role, ok, anon=303, low=low)


@dataclass
class Ctx:
    """The ids the table's URLs and bodies refer to."""

    aid: str
    model_id: int
    suite_hash: str
    builtin_suite: str
    tasks: dict[str, int]  # role -> a task of its own to label (API)
    page_tasks: dict[str, int]  # role -> a task of its own to label (pages)
    copies: dict[str, str]  # role -> an assessment of its own to draw a review sample of
    spare_token: int


Url = str | Callable[[Ctx, str], str]
Body = Callable[[Ctx, str], dict[str, Any]] | None


@dataclass
class Row:
    url: Url
    expect: dict[str, int]
    body: Body = None
    extra: dict[str, Any] = field(default_factory=dict)


def _suite_upload(_c: Ctx, who: str) -> dict[str, Any]:
    line = f'{{"id": "{who}-1", "prompt": "a question from {who}", "answer": "x"}}\n'
    return {"files": {"file": (f"{who}.jsonl", line.encode(), "application/x-ndjson")}}


def _profile_upload(_c: Ctx, who: str) -> dict[str, Any]:
    text = builtin_profiles()["tc260-003"].read_text(encoding="utf-8")
    text = re.sub(r"^name: .*$", f"name: custom-{who}", text, count=1, flags=re.M)
    return {"files": {"file": (f"{who}.yaml", text.encode(), "application/yaml")}}


A = "/api/v1"
TABLE: dict[tuple[str, str], Row] = {
    # -- API: server, docs and auth
    ("GET", f"{A}/openapi.json"): Row(f"{A}/openapi.json", everyone()),
    ("GET", f"{A}/docs"): Row(f"{A}/docs", everyone()),
    ("GET", f"{A}/health"): Row(f"{A}/health", everyone()),
    ("POST", f"{A}/auth/login"): Row(
        f"{A}/auth/login",
        everyone(),
        lambda c, w: {"json": {"name": "viewer", "password": PASSWORD}},
    ),
    ("POST", f"{A}/auth/logout"): Row(f"{A}/auth/logout", need("viewer", 204)),
    ("GET", f"{A}/auth/me"): Row(f"{A}/auth/me", need("viewer")),
    # -- API: catalog and assessments
    ("GET", f"{A}/models"): Row(f"{A}/models", need("viewer")),
    ("GET", f"{A}/models/{{model_id}}"): Row(
        lambda c, w: f"{A}/models/{c.model_id}", need("viewer")
    ),
    ("GET", f"{A}/assessments"): Row(f"{A}/assessments", need("viewer")),
    ("GET", f"{A}/assessments/{{assessment_id}}"): Row(
        lambda c, w: f"{A}/assessments/{c.aid}", need("viewer")
    ),
    ("GET", f"{A}/assessments/{{assessment_id}}/verdicts"): Row(
        lambda c, w: f"{A}/assessments/{c.aid}/verdicts", need("viewer")
    ),
    ("GET", f"{A}/assessments/{{assessment_id}}/files"): Row(
        lambda c, w: f"{A}/assessments/{c.aid}/files", need("viewer")
    ),
    # the full report quotes responses with their scores: assessors and admins only
    ("GET", f"{A}/assessments/{{assessment_id}}/files/{{name}}"): Row(
        lambda c, w: f"{A}/assessments/{c.aid}/files/report.json", need("assessor")
    ),
    ("GET", f"{A}/assessments/{{assessment_id}}/attestation"): Row(
        lambda c, w: f"{A}/assessments/{c.aid}/attestation", need("viewer")
    ),
    ("GET", f"{A}/assessments/{{assessment_id}}/attestation/verify"): Row(
        lambda c, w: f"{A}/assessments/{c.aid}/attestation/verify", need("viewer")
    ),
    ("GET", f"{A}/assessments/{{assessment_id}}/responses"): Row(
        lambda c, w: f"{A}/assessments/{c.aid}/responses?limit=5", need("viewer")
    ),
    # -- API: review
    ("GET", f"{A}/assessments/{{assessment_id}}/review"): Row(
        lambda c, w: f"{A}/assessments/{c.aid}/review", need("viewer")
    ),
    ("GET", f"{A}/reviews/next"): Row(f"{A}/reviews/next", need("reviewer")),
    ("POST", f"{A}/reviews/{{task_id}}/labels"): Row(
        lambda c, w: f"{A}/reviews/{c.tasks.get(w, 1)}/labels",
        need("reviewer", 201),
        lambda c, w: {"json": {"qualified": True}},
    ),
    # -- API: suites and profiles
    ("GET", f"{A}/suites"): Row(f"{A}/suites", need("viewer")),
    ("GET", f"{A}/suites/builtin"): Row(f"{A}/suites/builtin", need("viewer")),
    ("GET", f"{A}/suites/builtin/{{name}}/stats"): Row(
        lambda c, w: f"{A}/suites/builtin/{c.builtin_suite}/stats", need("viewer")
    ),
    ("GET", f"{A}/suites/{{suite_hash}}"): Row(
        lambda c, w: f"{A}/suites/{c.suite_hash}", need("viewer")
    ),
    ("GET", f"{A}/suites/{{suite_hash}}/stats"): Row(
        lambda c, w: f"{A}/suites/{c.suite_hash}/stats", need("viewer")
    ),
    ("POST", f"{A}/suites"): Row(f"{A}/suites", need("assessor", 201), _suite_upload),
    ("GET", f"{A}/profiles"): Row(f"{A}/profiles", need("viewer")),
    ("GET", f"{A}/profiles/{{name}}"): Row(f"{A}/profiles/tc260-003", need("viewer")),
    ("POST", f"{A}/profiles"): Row(f"{A}/profiles", need("assessor", 201), _profile_upload),
    # -- pages
    ("GET", "/static/{name}"): Row("/static/tianping.css", everyone()),
    ("GET", "/login"): Row("/login", {**everyone(303), "anonymous": 200}),
    # a login form needs the pre-login CSRF cookie; token requests are exempt from CSRF
    ("POST", "/login"): Row(
        "/login",
        {**everyone(303), "anonymous": 403},
        lambda c, w: {"data": {"username": "viewer", "password": PASSWORD}},
    ),
    ("POST", "/logout"): Row("/logout", everyone(303)),
    ("GET", "/"): Row("/", page("viewer")),
    ("GET", "/model"): Row(lambda c, w: "/model?spec=mock%3Aguarded", page("viewer", 404)),
    ("GET", "/compare"): Row(lambda c, w: f"/compare?a={c.aid}&b={c.aid}", page("viewer")),
    ("GET", "/assessments/{assessment_id}"): Row(
        lambda c, w: f"/assessments/{c.aid}", page("viewer")
    ),
    # viewers get the report re-rendered without response texts
    ("GET", "/assessments/{assessment_id}/files/{name}"): Row(
        lambda c, w: f"/assessments/{c.aid}/files/report.json", page("viewer")
    ),
    ("POST", "/assessments/{assessment_id}/review/draw"): Row(
        lambda c, w: f"/assessments/{c.copies.get(w, c.aid)}/review/draw",
        page("assessor", 303),
        lambda c, w: {"data": {"n": "4"}},
    ),
    ("GET", "/keys/tianping-ed25519.pub"): Row("/keys/tianping-ed25519.pub", page("viewer")),
    ("GET", "/review"): Row("/review", page("reviewer")),
    ("POST", "/review/{task_id}"): Row(
        lambda c, w: f"/review/{c.page_tasks.get(w, 1)}",
        page("reviewer", 303),
        lambda c, w: {"data": {"qualified": "1"}},
    ),
    ("GET", "/admin"): Row("/admin", page("admin")),
    ("POST", "/admin/users"): Row(
        "/admin/users",
        page("admin", 303),
        lambda c, w: {"data": {"name": f"new-{w}", "role": "viewer", "password": "long enough"}},
    ),
    ("POST", "/admin/tokens"): Row(
        "/admin/tokens", page("admin"), lambda c, w: {"data": {"name": f"t-{w}"}}
    ),
    ("POST", "/admin/tokens/{token_id}/revoke"): Row(
        lambda c, w: f"/admin/tokens/{c.spare_token}/revoke", page("admin", 303)
    ),
}


def _routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """Every (method, path) the app serves, through included routers."""
    try:  # FastAPI >= 0.16x keeps included routers as such in app.routes
        from fastapi.routing import iter_route_contexts
    except ImportError:
        routes: Any = app.routes
    else:
        routes = iter_route_contexts(app.routes)
    for route in routes:
        for method in sorted(getattr(route, "methods", None) or ()):
            if method != "HEAD":
                yield method, str(route.path)


@pytest.fixture
def ctx(app: FastAPI, people: dict[str, Person], assessed: Assessed) -> Ctx:
    from tianping.attest import generate_key
    from tianping.server._auth import create_token

    generate_key()  # this server's signing key, in the test's own TIANPING_HOME
    store: Store = app.state.store
    base = store.get_assessment(assessed.assessment_id)
    copies = {}
    for role in ("assessor", "admin"):
        copy = AssessmentRecord(**{**base.__dict__, "id": f"{base.id[:20]}-{role}"})
        store.create_assessment(copy)
        copies[role] = copy.id
    tasks = [t.id for t in draw_review(store, base.id, n=8, seed=3)]
    reviewers = ("reviewer", "assessor", "admin")
    spare = store.add_user("spare", "viewer", None)
    with store.engine.connect() as conn:
        from sqlalchemy import select

        from tianping.store._tables import model_records, suites

        model_id = conn.execute(select(model_records.c.id)).scalar_one()
        suite_hash = conn.execute(select(suites.c.hash)).scalar_one()
    from tianping.suites import builtin_suites

    return Ctx(
        aid=base.id,
        model_id=model_id,
        suite_hash=suite_hash,
        builtin_suite=sorted(builtin_suites())[0],
        tasks=dict(zip(reviewers, tasks[:3], strict=True)),
        page_tasks=dict(zip(reviewers, tasks[3:6], strict=True)),
        copies=copies,
        spare_token=create_token(store, spare, "spare")[0],
    )


def test_every_route_has_a_row_in_the_table(app: FastAPI) -> None:
    routes = set(_routes(app))
    missing = sorted(routes - set(TABLE))
    stale = sorted(set(TABLE) - routes)
    assert not missing, f"routes without a row in TABLE (who may use them?): {missing}"
    assert not stale, f"rows for routes that no longer exist: {stale}"


def test_every_route_answers_every_role_as_the_table_says(
    app: FastAPI, people: dict[str, Person], ctx: Ctx
) -> None:
    wrong = []
    with TestClient(app, follow_redirects=False) as client:
        for (method, template), row in TABLE.items():
            for who in WHO:
                url = row.url(ctx, who) if callable(row.url) else row.url
                kwargs = row.body(ctx, who) if row.body else {}
                headers = {} if who == "anonymous" else people[who].headers
                client.cookies.clear()
                r = client.request(method, url, headers=headers, **kwargs)
                assert "Traceback" not in r.text, (method, url, who)
                if r.status_code != row.expect[who]:
                    wrong.append(f"{method} {template} as {who}: {r.status_code}, "
                                 f"expected {row.expect[who]}: {r.text[:200]}")  # fmt: skip
    assert not wrong, "\n".join(wrong)


def test_no_post_route_accepts_a_session_without_its_csrf_token(
    app: FastAPI, people: dict[str, Person], ctx: Ctx
) -> None:
    posts = [(t, row) for (m, t), row in TABLE.items() if m == "POST"]
    assert len(posts) >= 10
    with TestClient(app, follow_redirects=False) as client:
        login(client, "admin")
        for template, row in posts:
            if template in ("/api/v1/auth/login", "/login"):
                continue  # no session yet: covered by the pre-login cookie test
            url = row.url(ctx, "admin") if callable(row.url) else row.url
            kwargs = row.body(ctx, "admin") if row.body else {}
            r = client.post(url, **kwargs)
            assert r.status_code == 403, (template, r.status_code, r.text[:200])
            assert "CSRF" in r.text, template
