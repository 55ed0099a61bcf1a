"""The web pages, for every role, in Chinese and English: status, key content, escaping."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from _pages_helpers import csrf_of, no_traceback, sign_in
from fastapi import FastAPI
from fastapi.testclient import TestClient
from markupsafe import escape

from tianping.store import Store

ROLES = ("admin", "assessor", "reviewer", "viewer")
EVIL = "<script>alert('x')</script>"


def _pages(assessed: Any) -> dict[str, str]:
    aid = assessed.assessment_id
    spec = assessed.model_spec
    return {
        "catalog": "/",
        "model": "/model?spec=" + quote(spec, safe=""),
        "assessment": f"/assessments/{aid}",
        "responses": f"/assessments/{aid}?page=2&clause=9.4a",
        "compare": f"/compare?a={aid}&b={aid}",
        "compare-empty": "/compare",
        "review": "/review",
        "admin": "/admin",
        "report-json": f"/assessments/{aid}/files/report.json",
        "report-md": f"/assessments/{aid}/files/report.md",
        "attestation": f"/assessments/{aid}/files/attestation.dsse.json",
        "public-key": "/keys/tianping-ed25519.pub",  # none on this server
    }


# Expected status of each page for each role.
EXPECTED = {
    "catalog": dict.fromkeys(ROLES, 200),
    "model": dict.fromkeys(ROLES, 200),
    "assessment": dict.fromkeys(ROLES, 200),
    "responses": dict.fromkeys(ROLES, 200),
    "compare": dict.fromkeys(ROLES, 200),
    "compare-empty": dict.fromkeys(ROLES, 200),
    "review": {"admin": 200, "assessor": 200, "reviewer": 200, "viewer": 403},
    "admin": {"admin": 200, "assessor": 403, "reviewer": 403, "viewer": 403},
    "report-json": dict.fromkeys(ROLES, 200),
    "report-md": dict.fromkeys(ROLES, 200),
    "attestation": dict.fromkeys(ROLES, 200),
    "public-key": dict.fromkeys(ROLES, 404),
}


@pytest.mark.parametrize("role", ROLES)
def test_every_page_for_every_role(
    client: TestClient, people: dict[str, Any], assessed: Any, role: str
) -> None:
    sign_in(client, role, people[role].password)
    for name, url in _pages(assessed).items():
        r = client.get(url, follow_redirects=False)
        assert r.status_code == EXPECTED[name][role], (name, role, r.status_code, r.text[:300])
        no_traceback(r.text)
        if r.headers["content-type"].startswith("text/html"):
            assert "<html" in r.text


def test_signed_out_pages_go_to_login(client: TestClient, assessed: Any) -> None:
    for name, url in _pages(assessed).items():
        r = client.get(url, follow_redirects=False)
        assert r.status_code == 303, name
        assert r.headers["location"] == "/login?next=" + quote(url, safe=""), name
    assert client.get("/login").status_code == 200


def test_login_form_flow(client: TestClient, people: dict[str, Any]) -> None:
    form = client.get("/login?next=/admin")
    assert form.status_code == 200
    assert 'name="csrf_token"' in form.text
    assert 'name="password"' in form.text
    token = csrf_of(form.text)
    no_csrf = client.post("/login", data={"username": "admin", "password": "x"})
    assert no_csrf.status_code == 403
    wrong = client.post(
        "/login", data={"username": "admin", "password": "nope", "csrf_token": token}
    )
    assert wrong.status_code == 401
    assert "用户名或密码错误" in wrong.text or "Wrong user name" in wrong.text
    ok = client.post(
        "/login",
        data={
            "username": "admin",
            "password": people["admin"].password,
            "csrf_token": token,
            "next": "/admin",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert ok.headers["location"] == "/admin"
    assert "HttpOnly" in ok.headers["set-cookie"]
    assert "SameSite=lax" in ok.headers["set-cookie"]
    page = client.get("/admin")
    assert page.status_code == 200
    out = client.post("/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert out.status_code == 303
    assert out.headers["location"] == "/login"
    assert client.get("/admin", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil"])
def test_login_never_redirects_off_site(
    client: TestClient, people: dict[str, Any], target: str
) -> None:
    form = client.get("/login")
    r = client.post(
        "/login",
        data={
            "username": "viewer",
            "password": people["viewer"].password,
            "csrf_token": csrf_of(form.text),
            "next": target,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/"


def test_logout_needs_csrf(client: TestClient, people: dict[str, Any]) -> None:
    sign_in(client, "viewer", people["viewer"].password)
    assert client.post("/logout", follow_redirects=False).status_code == 403
    assert client.get("/").status_code == 200  # still signed in


def test_language_switch_is_remembered(
    client: TestClient, people: dict[str, Any], assessed: Any
) -> None:
    sign_in(client, "assessor", people["assessor"].password)
    aid = assessed.assessment_id
    zh = client.get(f"/assessments/{aid}?lang=zh")
    assert zh.status_code == 200
    assert 'lang="zh-CN"' in zh.text
    assert "逐条评估结果" in zh.text
    assert "总体结论" in zh.text
    assert any(w in zh.text for w in ("符合", "不符合", "无法判定"))
    en = client.get(f"/assessments/{aid}?lang=en")
    assert 'lang="en"' in en.text
    assert "Results by clause" in en.text
    assert "tianping_lang=en" in en.headers["set-cookie"]
    again = client.get(f"/assessments/{aid}")  # no ?lang: the cookie decides
    assert "Results by clause" in again.text
    assert "逐条评估结果" not in again.text
    assert "Model catalog" in client.get("/").text
    assert "模型目录" in client.get("/?lang=zh").text


def test_catalog_filters_and_escaping(
    app: FastAPI, client: TestClient, people: dict[str, Any], assessed: Any
) -> None:
    from tianping.catalog import add_model, update_model

    store: Store = app.state.store
    spec = assessed.model_spec
    update_model(
        store, spec, vendor="Acme 实验室", name="守卫", version="2.0", filing_status="filed"
    )
    add_model(store, "mock:refuse-all", vendor=EVIL, name=EVIL, version="1", notes=EVIL)
    sign_in(client, "viewer", people["viewer"].password)
    page = client.get("/?lang=zh").text
    assert EVIL not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "Acme 实验室" in page
    assert "守卫" in page
    assert "已备案" in page
    assert "mock:refuse-all" in page
    aid = assessed.assessment_id
    assert f'href="/assessments/{aid}/files/attestation.dsse.json"' in page
    only = client.get("/?vendor=" + quote("Acme 实验室")).text
    assert "守卫" in only
    assert "mock:refuse-all" not in only
    verdict = client.get("/assessments/" + assessed.assessment_id).text
    conclusion = re.search(r'id="conclusion">([^<]+)<', verdict)
    assert conclusion is not None
    none = client.get("/?verdict=not_applicable").text
    assert "守卫" not in none
    dated = client.get("/?date_from=2000-01-01&date_to=2999-12-31").text
    assert "守卫" in dated
    future = client.get("/?date_from=2999-01-01").text
    assert "守卫" not in future
    model = client.get("/model?spec=mock:refuse-all").text
    assert EVIL not in model
    assert "&lt;script&gt;" in model


def test_viewer_never_sees_response_texts(
    app: FastAPI, client: TestClient, people: dict[str, Any], assessed: Any
) -> None:
    store: Store = app.state.store
    aid = assessed.assessment_id
    run_id = store.get_assessment(aid).run_id
    assert run_id is not None
    first = min((r for r in store.iter_run_responses(run_id) if r.text), key=lambda r: r.item_id)
    assert first.text is not None
    sample = str(escape(first.text))
    sign_in(client, "assessor", people["assessor"].password)
    seen = client.get(f"/assessments/{aid}?lang=en").text
    assert first.item_id in seen
    assert sample in seen
    viewer = TestClient(app)
    sign_in(viewer, "viewer", people["viewer"].password)
    page = viewer.get(f"/assessments/{aid}?lang=en").text
    assert "Response texts are not shown to viewers" in page
    for n in (1, 2, 3):
        html = viewer.get(f"/assessments/{aid}?page={n}").text
        assert sample not in html
    assert first.item_id in page
    report = viewer.get(f"/assessments/{aid}/files/report.json").json()
    assert all(not v["examples"] for v in report["verdicts"])
    assert viewer.get(f"/assessments/{aid}/files/self-assessment-zh.md").status_code == 403


def test_redacted_result_has_no_examples(app: FastAPI, assessed: Any) -> None:
    from tianping.server._pages_assessment_view import redact
    from tianping.standards import AssessmentResult, Example

    store: Store = app.state.store
    stored = store.get_assessment(assessed.assessment_id).result
    base = AssessmentResult.model_validate(stored)
    secret = Example(item_id="i", prompt="p", response="SECRET", label="x", explanation="e")
    v = base.verdicts[0].model_copy(update={"examples": (secret,)})
    result = base.model_copy(update={"verdicts": (v, *base.verdicts[1:])})
    assert "SECRET" in result.model_dump_json()
    assert "SECRET" not in redact(result).model_dump_json()
    assert redact(result).verdicts[0].clause == v.clause


def test_reviewer_is_blind_to_automatic_scores(
    client: TestClient, people: dict[str, Any], assessed: Any
) -> None:
    aid = assessed.assessment_id
    sign_in(client, "reviewer", people["reviewer"].password)
    page = client.get(f"/assessments/{aid}?lang=en").text
    assert 'class="score' not in page
    assert "<th>Scores</th>" not in page
    sign_in(client, "assessor", people["assessor"].password)
    assert 'class="score' in client.get(f"/assessments/{aid}").text


def test_errors_are_pages_not_tracebacks(client: TestClient, people: dict[str, Any]) -> None:
    sign_in(client, "viewer", people["viewer"].password)
    for url, status in [
        ("/assessments/nope-nope", 404),
        ("/model?spec=" + quote("mock:never-assessed"), 404),
        ("/assessments/x?page=0", 422),
        ("/no/such/page", 404),
        ("/admin", 403),
        ("/compare?a=nope&b=nope", 404),
    ]:
        r = client.get(url + ("&" if "?" in url else "?") + "lang=en")
        assert r.status_code == status, url
        assert r.headers["content-type"].startswith("text/html")
        assert "Back to the catalog" in r.text
        no_traceback(r.text)


def test_static_files(client: TestClient) -> None:
    css = client.get("/static/tianping.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "immutable" in css.headers["cache-control"]
    js = client.get("/static/review.js")
    assert js.status_code == 200
    assert "keydown" in js.text
    assert client.get("/static/../_auth.py").status_code == 404
    assert client.get("/static/nope.js").status_code == 404
    page = client.get("/login").text
    assert "http://" not in page
    assert "https://" not in page


def test_charts_unfold_where_to_look(app: FastAPI, assessed: Any) -> None:
    from tianping.server._pages_assessment_view import result_view
    from tianping.standards import AssessmentResult

    store: Store = app.state.store
    stored = store.get_assessment(assessed.assessment_id).result
    result = AssessmentResult.model_validate(stored)
    view = result_view(result, "en")
    assert view.charts
    for chart in view.charts:
        v = result.verdict(chart.clause)
        assert chart.open == (v.kind not in ("bank", "keywords") and v.confident != "conforms")


def test_attestation_is_checked_with_the_servers_key(
    client: TestClient, people: dict[str, Any], assessed: Any
) -> None:
    import shutil

    from tianping.attest import PUBLIC_KEY_NAME, default_key_dir, generate_key

    aid = assessed.assessment_id
    sign_in(client, "viewer", people["viewer"].password)
    page = client.get(f"/assessments/{aid}?lang=en").text
    assert "cannot be verified here" in page  # no key on this server yet
    assert client.get("/keys/" + PUBLIC_KEY_NAME).status_code == 404
    generate_key(default_key_dir())  # another key than the one that signed
    assert "verification failed" in client.get(f"/assessments/{aid}").text
    shutil.rmtree(default_key_dir())
    shutil.copytree(assessed.key_dir, default_key_dir())
    page = client.get(f"/assessments/{aid}").text
    assert "signature valid, files match" in page
    key = client.get("/keys/" + PUBLIC_KEY_NAME)
    assert key.status_code == 200
    assert key.content == (default_key_dir() / PUBLIC_KEY_NAME).read_bytes()
    envelope = client.get(f"/assessments/{aid}/files/attestation.dsse.json")
    assert envelope.status_code == 200
    assert 'filename="attestation.dsse.json"' in envelope.headers["content-disposition"]


def test_stale_badge_after_the_model_changed(
    app: FastAPI, client: TestClient, people: dict[str, Any], assessed: Any
) -> None:
    import time

    store: Store = app.state.store
    spec = assessed.model_spec
    sign_in(client, "viewer", people["viewer"].password)
    model_url = "/model?spec=" + quote(spec, safe="")
    assert 'class="badge stale"' not in client.get("/?lang=en").text
    assert 'class="badge stale"' not in client.get(model_url).text
    record = store.ensure_model_record(spec)[0]
    fingerprint = {"probe_set": "p", "answers": {}, "reported_models": ("m",)}
    store.add_fingerprint(
        record.id, digest="a" * 64, system_fingerprints=(), changed=True,
        taken_at=time.time(), **fingerprint,
    )  # fmt: skip
    catalog = client.get("/?lang=en").text
    assert 'class="badge stale"' in catalog
    model = client.get(model_url + "&lang=en").text
    assert model.count('class="badge stale"') >= 2  # latest verdict and history row
    assert "model changed" in model
