"""Uploading suites and profiles: validated first, size-limited, nothing kept on failure."""

from __future__ import annotations

import json
import re

import pytest
from _webtest import Person
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tianping.server._api_library import MAX_UPLOAD_BYTES
from tianping.server._api_profiles import profiles_dir
from tianping.standards import builtin_profiles

API = "/api/v1"


def _items(n: int) -> bytes:
    rows = [{"id": f"q{i}", "prompt": f"question {i}", "answer": str(i)} for i in range(n)]
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def _suites(app: FastAPI) -> int:
    from sqlalchemy import func, select

    from tianping.store._tables import suites

    with app.state.store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(suites)).scalar_one())


def _profile(name: str) -> bytes:
    text = builtin_profiles()["tc260-003"].read_text(encoding="utf-8")
    return re.sub(r"^name: .*$", f"name: {name}", text, count=1, flags=re.M).encode()


def test_a_valid_suite_is_stored_once(
    client: TestClient, people: dict[str, Person], app: FastAPI
) -> None:
    h = people["assessor"].headers
    files = {"file": ("my bank.jsonl", _items(12), "application/x-ndjson")}
    r = client.post(f"{API}/suites", headers=h, files=files, data={"version": "2"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["name"], body["version"], body["items"]) == ("my_bank", "2", 12)
    assert body["created"] is True
    assert body["source"] == "upload:my_bank.jsonl"
    stored = client.get(f"{API}/suites/{body['hash']}", headers=h).json()
    assert stored["items"] == 12
    stats = client.get(f"{API}/suites/{body['hash']}/stats", headers=h).json()
    assert stats["items"] == 12
    again = client.post(f"{API}/suites", headers=h, files=files, data={"version": "2"})
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["hash"] == body["hash"]


def test_an_invalid_suite_names_file_and_line_and_stores_nothing(
    client: TestClient, people: dict[str, Person], app: FastAPI
) -> None:
    before = _suites(app)
    bad = _items(2) + b'{"id": "q9", "prompt": "x", "risk": "Z9"}\n{not json\n'
    files = {"file": ("bank.jsonl", bad, "application/x-ndjson")}
    r = client.post(f"{API}/suites", headers=people["assessor"].headers, files=files)
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "invalid suite"
    where = {(p["path"], p["line"]) for p in body["detail"]}
    assert ("bank.jsonl", 3) in where
    assert ("bank.jsonl", 4) in where
    assert "tianping-upload" not in r.text  # no server paths
    assert _suites(app) == before


def test_a_blank_suite_name_falls_back_to_the_file_name(
    client: TestClient, people: dict[str, Person]
) -> None:
    files = {"file": ("bank.jsonl", _items(1), "application/x-ndjson")}
    r = client.post(
        f"{API}/suites", headers=people["assessor"].headers, files=files, data={"name": " "}
    )
    assert r.status_code == 201  # a blank name falls back to the file's
    assert r.json()["name"] == "bank"


def test_uploads_are_size_limited_and_typed(
    client: TestClient, people: dict[str, Person], app: FastAPI
) -> None:
    before = _suites(app)
    h = people["assessor"].headers
    big = b'{"id": "x", "prompt": "' + b"a" * (MAX_UPLOAD_BYTES + 10) + b'"}\n'
    r = client.post(f"{API}/suites", headers=h, files={"file": ("big.jsonl", big, "text/plain")})
    assert r.status_code == 413
    assert r.json()["error"] in ("upload too large", "request too large")
    r = client.post(f"{API}/suites", headers=h, files={"file": ("x.csv", b"a,b\n", "text/csv")})
    assert r.status_code == 415
    r = client.post(f"{API}/suites", headers=h, files={"file": ("x.jsonl", b"", "text/plain")})
    assert r.status_code == 422
    r = client.post(f"{API}/suites", headers=h)
    assert r.status_code == 422
    assert _suites(app) == before


def test_a_valid_profile_is_kept_under_its_name(
    client: TestClient, people: dict[str, Person]
) -> None:
    h = people["assessor"].headers
    files = {"file": ("mine.yaml", _profile("lab-2026"), "application/yaml")}
    r = client.post(f"{API}/profiles", headers=h, files=files)
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "lab-2026"
    assert r.json()["builtin"] is False
    assert (profiles_dir() / "lab-2026.yaml").read_bytes() == _profile("lab-2026")
    listed = client.get(f"{API}/profiles", headers=h).json()["items"]
    assert "lab-2026" in {p["name"] for p in listed}
    shown = client.get(f"{API}/profiles/lab-2026", headers=h).json()
    assert shown["profile"]["name"] == "lab-2026"
    assert client.post(f"{API}/profiles", headers=h, files=files).json()["created"] is False
    other = {"file": ("mine.yaml", _profile("lab-2026") + b"\n# changed\n", "application/yaml")}
    assert client.post(f"{API}/profiles", headers=h, files=other).status_code == 409
    builtin = {"file": ("x.yaml", _profile("tc260-003"), "application/yaml")}
    r = client.post(f"{API}/profiles", headers=h, files=builtin)
    assert r.status_code == 409
    assert "built-in" in r.json()["detail"]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (b"name: broken\nversion: 1\nclauses: [\n", None),  # not YAML
        (None, 0),  # a clause with an unknown kind, located by line
    ],
)
def test_an_invalid_profile_names_its_line_and_keeps_nothing(
    client: TestClient, people: dict[str, Person], text: bytes | None, line: int | None
) -> None:
    if text is None:
        good = _profile("lab-bad").decode()
        text = good.replace("kind: rate", "kind: ratio", 1).encode()
        line = next(i for i, ln in enumerate(good.splitlines(), 1) if "kind: rate" in ln)
    files = {"file": ("lab.yaml", text, "application/yaml")}
    r = client.post(f"{API}/profiles", headers=people["assessor"].headers, files=files)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "invalid profile"
    assert all(p["path"] == "lab.yaml" for p in body["detail"])
    if line:
        assert line in {p["line"] for p in body["detail"]}
    assert not (profiles_dir() / "lab-bad.yaml").exists()
    assert not (profiles_dir() / "broken.yaml").exists()


def test_viewers_and_reviewers_cannot_upload(client: TestClient, people: dict[str, Person]) -> None:
    for role in ("viewer", "reviewer"):
        files = {"file": ("x.jsonl", _items(1), "application/x-ndjson")}
        r = client.post(f"{API}/suites", headers=people[role].headers, files=files)
        assert r.status_code == 403
