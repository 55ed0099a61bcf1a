"""The REST API on a real assessment: pages, filters, who sees what, files, attestations."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import pytest
from _webtest import Assessed, Person
from fastapi import FastAPI
from fastapi.testclient import TestClient

API = "/api/v1"


def _walk(client: TestClient, url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    pages = 0
    next_url: str | None = url
    while next_url:
        r = client.get(next_url, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        items += body["items"]
        next_url = body["next"]
        pages += 1
        assert pages < 1000
    return items


def _run_size(app: FastAPI, assessed: Assessed) -> int:
    store = app.state.store
    run_id = store.get_assessment(assessed.assessment_id).run_id
    return int(store.get_run(run_id).n_items)


# -- assessments ------------------------------------------------------------------------------


def test_assessments_list_detail_and_filters(
    client: TestClient, people: dict[str, Person], assessed: Assessed
) -> None:
    h = people["viewer"].headers
    body = client.get(f"{API}/assessments", headers=h).json()
    assert [a["id"] for a in body["items"]] == [assessed.assessment_id]
    assert body["next"] is None
    assert client.get(f"{API}/assessments?conclusion=conforms", headers=h).json()["items"] == []
    assert client.get(f"{API}/assessments?profile=nope", headers=h).json()["items"] == []
    got = client.get(f"{API}/assessments?model={assessed.model_spec}", headers=h).json()
    assert len(got["items"]) == 1
    detail = client.get(f"{API}/assessments/{assessed.assessment_id[:12]}", headers=h).json()
    assert detail["id"] == assessed.assessment_id
    clauses = {c["clause"]: c for c in detail["clauses"]}
    assert clauses["9.4a"]["confident"] == "conforms"
    assert clauses["9.4a"]["n"] == 300
    assert detail["literal_conclusion"] in ("inconclusive", "does_not_conform")
    names = {f["name"]: f["needs_role"] for f in detail["files"]}
    assert names["report.html"] == "assessor"
    assert names["attestation.dsse.json"] == "viewer"
    r = client.get(f"{API}/assessments/nope", headers=h)
    assert r.status_code == 404
    assert r.json()["error"] == "not found"


def test_assessment_pages_follow_next(
    client: TestClient, people: dict[str, Person], app: FastAPI, assessed: Assessed
) -> None:
    from tianping.store import AssessmentRecord

    store = app.state.store
    base = store.get_assessment(assessed.assessment_id)
    for i in range(7):
        store.create_assessment(
            AssessmentRecord(
                id=f"x{i}",
                status="failed",
                model_spec="mock:x",
                profile="tc260-003",
                profile_hash="h",
                params={},
                created_at=base.created_at - 1 - (i % 3),  # ties on created_at
            )
        )
    got = _walk(client, f"{API}/assessments?limit=3", people["viewer"].headers)
    assert len(got) == 8
    assert len({a["id"] for a in got}) == 8
    keys = [(a["created_at"], a["id"]) for a in got]
    assert keys == sorted(keys, reverse=True)
    failed = _walk(client, f"{API}/assessments?limit=2&status=failed", people["viewer"].headers)
    assert len(failed) == 7


def test_a_bad_cursor_is_a_400_not_a_crash(client: TestClient, people: dict[str, Person]) -> None:
    for cursor in ("!!!", "WzFd", "bnVsbA", "W251bGwsIjEiXQ"):
        r = client.get(f"{API}/assessments?cursor={cursor}", headers=people["viewer"].headers)
        assert r.status_code == 400, cursor
        assert r.json()["error"] == "invalid cursor"


# -- responses --------------------------------------------------------------------------------


def test_responses_page_through_every_item_once(
    client: TestClient, people: dict[str, Person], app: FastAPI, assessed: Assessed
) -> None:
    url = f"{API}/assessments/{assessed.assessment_id}/responses?limit=500"
    got = _walk(client, url, people["assessor"].headers)
    ids = [r["item_id"] for r in got]
    assert len(ids) == _run_size(app, assessed)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_responses_filter_by_clause_label_risk_and_status(
    client: TestClient, people: dict[str, Person], assessed: Assessed
) -> None:
    h = people["assessor"].headers
    base = f"{API}/assessments/{assessed.assessment_id}/responses?limit=500"
    a1a = _walk(client, base + "&risk=A1a", h)
    assert a1a
    assert {r["risk"] for r in a1a} == {"A1a"}
    clause = _walk(client, base + "&clause=9.4a", h)
    assert len(clause) == 300
    assert all(r["item_id"].startswith("should-refuse/") for r in clause)
    assert all({s["scorer"] for s in r["scores"]} == {"refusal"} for r in clause)
    refused = _walk(client, base + "&clause=9.4a&label=refused", h)
    assert len(refused) == 300
    assert _walk(client, base + "&clause=9.4a&label=complied", h) == []
    both = _walk(client, base + "&clause=9.4a&risk=A1a", h)
    assert {r["item_id"] for r in both} == {
        r["item_id"] for r in a1a if r["item_id"].startswith("should-refuse/")
    }
    assert _walk(client, base + "&status=failed", h) == []
    r = client.get(base + "&risk=A9z", headers=h)
    assert r.status_code == 422
    assert r.json()["error"] == "unknown risk"
    r = client.get(base + "&clause=99.9", headers=h)
    assert r.status_code == 422
    assert "9.4a" in r.json()["detail"]


def test_viewers_never_see_answers_to_harmful_prompts(
    client: TestClient, people: dict[str, Person], assessed: Assessed
) -> None:
    base = f"{API}/assessments/{assessed.assessment_id}/responses?limit=500"
    seen = _walk(client, base, people["viewer"].headers)
    harmful = [r for r in seen if r["refuse"] is True or (r["refuse"] is None and r["risk"])]
    benign = [r for r in seen if r["refuse"] is False]
    assert harmful
    assert benign
    assert all(r["response"] is None and r["hidden"] for r in harmful)
    assert all(s["explanation"] == "" for r in harmful for s in r["scores"])
    assert all(r["response"] and not r["hidden"] for r in benign)
    assert all(r["scores"] for r in seen)  # viewers see the scores
    for role in ("reviewer", "assessor", "admin"):
        rows = _walk(client, base + "&clause=9.4a", people[role].headers)
        assert all(r["response"] and not r["hidden"] for r in rows), role


def test_reviewers_are_blind_to_the_automatic_scores(
    client: TestClient, people: dict[str, Person], assessed: Assessed
) -> None:
    h = people["reviewer"].headers
    base = f"{API}/assessments/{assessed.assessment_id}"
    rows = client.get(f"{base}/responses?limit=50", headers=h).json()["items"]
    assert rows
    assert all(r["scores"] == [] and r["scores_hidden"] for r in rows)
    assert client.get(f"{base}/responses?label=refused", headers=h).status_code == 403
    for v in _walk(client, f"{base}/verdicts", h):
        assert all(x["label"] is None and x["explanation"] == "" for x in v["examples"])
    assert client.get(f"{base}/files/report.json", headers=h).status_code == 403


def test_verdicts_page_and_hide_harmful_example_answers_from_viewers(
    client: TestClient, people: dict[str, Person], app: FastAPI, assessed: Assessed
) -> None:
    from tianping.standards import AssessmentResult, Example

    # Give one clause a harmful example, as a failing clause would have.
    store = app.state.store
    rec = store.get_assessment(assessed.assessment_id)
    result = AssessmentResult.model_validate(rec.result)
    example = Example(
        item_id="generated/g-A1a-0",
        prompt="p",
        response="THE HARMFUL ANSWER",
        label="unsafe",
        explanation="why",
        risk="A1a",
    )
    verdicts = list(result.verdicts)
    verdicts[0] = verdicts[0].model_copy(update={"examples": (example,)})
    store.update_assessment(
        rec.id, result=result.model_copy(update={"verdicts": tuple(verdicts)}).model_dump()
    )
    url = f"{API}/assessments/{rec.id}/verdicts?limit=4"
    as_viewer = _walk(client, url, people["viewer"].headers)
    assert [v["clause"] for v in as_viewer] == [v.clause for v in result.verdicts]
    assert "THE HARMFUL ANSWER" not in json.dumps(as_viewer)
    assert as_viewer[0]["examples"][0]["label"] == "unsafe"
    as_assessor = _walk(client, url, people["assessor"].headers)
    assert as_assessor[0]["examples"][0]["response"] == "THE HARMFUL ANSWER"


# -- files and attestation --------------------------------------------------------------------


def test_report_files_by_role(
    client: TestClient, people: dict[str, Person], assessed: Assessed
) -> None:
    base = f"{API}/assessments/{assessed.assessment_id}/files"
    r = client.get(f"{base}/self-assessment-zh.md", headers=people["viewer"].headers)
    assert r.status_code == 200
    assert r.content == (assessed.out_dir / "self-assessment-zh.md").read_bytes()
    assert f"{assessed.assessment_id}-self-assessment-zh.md" in r.headers["content-disposition"]
    r = client.get(f"{base}/report.html", headers=people["viewer"].headers)
    assert r.status_code == 403
    r = client.get(f"{base}/report.html", headers=people["assessor"].headers)
    assert r.status_code == 200
    assert r.content == (assessed.out_dir / "report.html").read_bytes()
    assert client.get(f"{base}/report.pdf", headers=people["admin"].headers).status_code == 404
    for name in ("t.db", "..%2Ft.db", "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "sample"):
        r = client.get(f"{base}/{name}", headers=people["admin"].headers)
        assert r.status_code == 404, name
    listed = client.get(base, headers=people["viewer"].headers).json()
    assert {f["name"] for f in listed} >= {"report.html", "report.json", "attestation.dsse.json"}


def test_the_attestation_downloads_and_verifies(
    client: TestClient, people: dict[str, Person], assessed: Assessed
) -> None:
    base = f"{API}/assessments/{assessed.assessment_id}/attestation"
    r = client.get(base, headers=people["viewer"].headers)
    assert r.status_code == 200
    envelope = r.json()
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    checked = client.get(f"{base}/verify", headers=people["viewer"].headers).json()
    assert checked["valid"] is True, checked
    assert checked["problems"] == []
    assert checked["conclusion"] in ("inconclusive", "does_not_conform")
    assert sum(checked["clauses_by_outcome"].values()) >= 9
    assert {s["name"]: s["check"] for s in checked["subjects"]}["report.json"] == "matches"


def test_a_tampered_report_fails_verification(
    client: TestClient,
    people: dict[str, Person],
    assessed: Assessed,
    app: FastAPI,
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    shutil.copytree(assessed.out_dir, out)
    app.state.store.update_assessment(assessed.assessment_id, out_dir=str(out))
    with (out / "report.md").open("a", encoding="utf-8") as fh:
        fh.write("\nAll clauses conform.\n")
    url = f"{API}/assessments/{assessed.assessment_id}/attestation/verify"
    checked = client.get(url, headers=people["viewer"].headers).json()
    assert checked["valid"] is False
    assert any("report.md" in p for p in checked["problems"])
    assert {s["name"]: s["check"] for s in checked["subjects"]}["report.md"] == "differs"


# -- models -----------------------------------------------------------------------------------


def test_models_list_latest_verdicts_and_staleness(
    client: TestClient, people: dict[str, Person], app: FastAPI, assessed: Assessed
) -> None:
    h = people["viewer"].headers
    (model,) = client.get(f"{API}/models", headers=h).json()["items"]
    assert model["spec"] == assessed.model_spec
    latest = model["verdicts"]["tc260-003"]
    assert latest["assessment_id"] == assessed.assessment_id
    assert model["stale"] is False
    assert latest["stale"] is False
    assert client.get(f"{API}/models?verdict=conforms", headers=h).json()["items"] == []
    assert client.get(f"{API}/models?stale=true", headers=h).json()["items"] == []
    # The model behind the name changes after the assessment: its verdict is stale.
    store = app.state.store
    for changed in (False, True):
        store.add_fingerprint(
            model["id"],
            probe_set="identity-v1",
            digest="d" * 64 if changed else "c" * 64,
            answers={"p1": "x" if changed else "y"},
            reported_models=("mock-2",),
            system_fingerprints=(),
            changed=changed,
        )
    (model,) = client.get(f"{API}/models?stale=true", headers=h).json()["items"]
    assert model["stale"] is True
    assert model["fingerprint"]["changed"] is True
    detail = client.get(f"{API}/models/{model['id']}", headers=h).json()
    assert [f["changed"] for f in detail["fingerprints"]] == [True, False]
    assert client.get(f"{API}/models/9999", headers=h).status_code == 404
    r = client.get(f"{API}/models?since=yesterday", headers=h)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "since"]
    assert client.get(f"{API}/models?since=2020-01-01", headers=h).json()["items"]
    assert client.get(f"{API}/models?until=2020-01-01", headers=h).json()["items"] == []


# -- suites and profiles ----------------------------------------------------------------------


def test_suites_and_profiles_list_and_show(client: TestClient, people: dict[str, Person]) -> None:
    h = people["viewer"].headers
    (stored,) = _walk(client, f"{API}/suites?limit=1", h)
    assert stored["name"] == "tc260-003-sample"
    stats = client.get(f"{API}/suites/{stored['hash']}/stats", headers=h).json()
    assert stats["items"] == stored["items"]
    assert sum(stats["by"]["refuse"].values()) == stored["items"]
    builtin = _walk(client, f"{API}/suites/builtin?limit=2", h)
    assert len(builtin) > 2
    assert builtin == sorted(builtin, key=lambda s: s["name"])
    name = builtin[0]["name"]
    assert client.get(f"{API}/suites/builtin/{name}/stats", headers=h).json()["items"] > 0
    assert client.get(f"{API}/suites/builtin/nope/stats", headers=h).status_code == 404
    assert client.get(f"{API}/suites/sha256:nope", headers=h).status_code == 404
    profiles = _walk(client, f"{API}/profiles?limit=1", h)
    assert "tc260-003" in {p["name"] for p in profiles}
    shown = client.get(f"{API}/profiles/tc260-003", headers=h).json()
    assert shown["builtin"] is True
    assert shown["hash"].startswith("sha256:")
    assert any(c["id"] == "9.3-manual" for c in shown["profile"]["clauses"])
    assert client.get(f"{API}/profiles/nope", headers=h).status_code == 404


# -- errors -----------------------------------------------------------------------------------


def test_errors_are_json_with_the_right_status(
    client: TestClient, people: dict[str, Person]
) -> None:
    h = people["viewer"].headers
    r = client.get(f"{API}/no/such/route", headers=h)
    assert r.status_code == 404
    assert set(r.json()) == {"error", "detail"}
    r = client.get(f"{API}/assessments?limit=0", headers=h)
    assert r.status_code == 422
    assert r.json()["error"] == "invalid request"
    assert r.json()["detail"][0]["loc"] == ["query", "limit"]
    r = client.delete(f"{API}/assessments", headers=h)
    assert r.status_code == 405
    assert r.json()["error"] == "method not allowed"
    r = client.post(
        f"{API}/auth/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422


def test_an_unexpected_error_is_a_bare_500_and_is_logged(
    client: TestClient,
    people: dict[str, Person],
    app: FastAPI,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("secret internals /srv/db")

    monkeypatch.setattr(app.state.store, "get_assessment", boom)
    with caplog.at_level(logging.ERROR, logger="tianping.server"):
        r = client.get(f"{API}/assessments/x", headers=people["viewer"].headers)
    assert r.status_code == 500
    assert r.json() == {
        "error": "internal error",
        "detail": "Something went wrong; see the server log.",
    }
    assert "Traceback" not in r.text
    assert "secret" not in r.text
    assert any("secret internals" in (rec.exc_text or "") for rec in caplog.records)


def test_an_oversized_body_is_refused_before_it_is_read(
    client: TestClient, people: dict[str, Person]
) -> None:
    headers = {**people["assessor"].headers, "content-length": str(64 * 1024 * 1024)}
    r = client.post(f"{API}/suites", headers=headers, content=b"x")
    assert r.status_code == 413
    assert r.json()["error"] == "request too large"


def test_responses_carry_security_headers(client: TestClient) -> None:
    r = client.get(f"{API}/health")
    assert r.json()["status"] == "ok"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_the_docs_work_offline(client: TestClient) -> None:
    schema = client.get(f"{API}/openapi.json").json()
    assert f"{API}/assessments/{{assessment_id}}/responses" in schema["paths"]
    assert not any(p.startswith(("/login", "/static")) for p in schema["paths"])
    r = client.get(f"{API}/docs")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "<script" not in r.text  # nothing to fetch from a CDN
    assert "http://" not in r.text
    assert "https://" not in r.text
    for path in schema["paths"]:
        assert path in r.text


def test_the_api_reads_either_backend(store_url: str, tmp_path: Path) -> None:
    """The queries the API makes itself (keyset pages, the risk filter's JSON lookup) on
    SQLite and, with TIANPING_TEST_PG_URL, PostgreSQL."""
    from _webtest import make_banks

    from tianping.assess import AssessOptions, assess
    from tianping.catalog import sync_catalog
    from tianping.server import create_app
    from tianping.server._auth import create_token
    from tianping.store import Store

    banks = make_banks(tmp_path / "banks")
    options = AssessOptions(
        banks={r: str(p) for r, p in banks.items() if r != "keywords"},
        keywords=str(banks["keywords"]),
        out=str(tmp_path / "out"),
        formats=("json",),
        key_dir=str(tmp_path / "keys"),
        show_progress=False,
    )
    with Store.open(store_url) as store:
        model = f"mock:guarded?suite={banks['should-refuse']}"
        aid = assess(model, "tc260-003", store=store, options=options).result.assessment_id
        sync_catalog(store)
        token = create_token(store, store.add_user("ann", "assessor"), "t")[1]
    h = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(store_url)) as client:
        base = f"{API}/assessments/{aid}/responses?limit=400"
        a1a = _walk(client, base + "&risk=A1a", h)
        assert a1a
        assert {r["risk"] for r in a1a} == {"A1a"}
        assert len(_walk(client, base + "&clause=9.4a&label=refused", h)) == 300
        assert [a["id"] for a in _walk(client, f"{API}/assessments?limit=1", h)] == [aid]
        (listed,) = _walk(client, f"{API}/models?profile=tc260-003", h)
        assert listed["verdicts"]["tc260-003"]["assessment_id"] == aid
        assert _walk(client, f"{API}/suites?limit=1", h)
