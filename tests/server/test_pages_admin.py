"""The admin page: users and API tokens, admins only, every form with its CSRF token."""

from __future__ import annotations

import re
from typing import Any

from _pages_helpers import csrf_of, no_traceback, sign_in
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tianping.store import Store

EVIL = "<script>alert(1)</script>"


def test_add_user_and_sign_in_as_them(
    app: FastAPI, client: TestClient, people: dict[str, Any]
) -> None:
    token = sign_in(client, "admin", people["admin"].password)
    r = client.post(
        "/admin/users",
        data={"csrf_token": token, "name": "李四", "role": "reviewer", "password": "long enough"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(r.headers["location"] + "&lang=zh").text
    assert "已添加用户 李四" in page
    store: Store = app.state.store
    assert store.get_user("李四").role == "reviewer"
    other = TestClient(app)
    sign_in(other, "李四", "long enough")
    assert other.get("/review").status_code == 200
    assert other.get("/admin").status_code == 403


def test_add_user_errors_are_shown(client: TestClient, people: dict[str, Any]) -> None:
    token = sign_in(client, "admin", people["admin"].password)
    for data, message in [
        ({"name": "viewer", "role": "viewer", "password": "long enough"}, "already exists"),
        ({"name": "x", "role": "boss", "password": "long enough"}, "Unknown role"),
        ({"name": "y", "role": "viewer", "password": "short"}, "at least 8"),
    ]:
        r = client.post("/admin/users", data={"csrf_token": token, **data})
        assert r.status_code == 400
        assert message in r.text
        no_traceback(r.text)
    forged = client.post(
        "/admin/users", data={"name": "z", "role": "admin", "password": "long enough"}
    )
    assert forged.status_code == 403


def test_user_names_are_escaped(app: FastAPI, client: TestClient, people: dict[str, Any]) -> None:
    from tianping.server._auth import hash_password

    store: Store = app.state.store
    store.add_user(EVIL, "viewer", hash_password("long enough"))
    sign_in(client, "admin", people["admin"].password)
    page = client.get("/admin").text
    assert EVIL not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    evil = TestClient(app)
    sign_in(evil, EVIL, "long enough")
    assert EVIL not in evil.get("/").text  # their name in the header, escaped


def test_token_shown_once_then_revoked(
    app: FastAPI, client: TestClient, people: dict[str, Any]
) -> None:
    token = sign_in(client, "admin", people["admin"].password)
    r = client.post(
        "/admin/tokens", data={"csrf_token": token, "name": "ci robot", "owner": "viewer"}
    )
    assert r.status_code == 200
    found = re.search(r'id="new-token" class="token-value">(tp_[A-Za-z0-9_\-]+)<', r.text)
    assert found is not None
    secret = found.group(1)
    assert r.headers["cache-control"] == "no-store"
    listed = client.get("/admin").text
    assert secret not in listed
    assert "ci robot" in listed
    assert secret[:10] in listed
    api = TestClient(app)
    auth = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/models", headers=auth).status_code == 200
    store: Store = app.state.store
    token_id = next(t.id for t in store.list_tokens() if t.name == "ci robot")
    revoke = client.post(
        f"/admin/tokens/{token_id}/revoke", data={"csrf_token": csrf_of(listed)},
        follow_redirects=False,
    )  # fmt: skip
    assert revoke.status_code == 303
    assert api.get("/api/v1/models", headers=auth).status_code == 401
    assert client.post("/admin/tokens/99999/revoke", data={"csrf_token": token}).status_code == 404
    unnamed = client.post("/admin/tokens", data={"csrf_token": token, "name": " "})
    assert unnamed.status_code == 400


def test_only_admins_manage(client: TestClient, people: dict[str, Any]) -> None:
    token = sign_in(client, "assessor", people["assessor"].password)
    assert client.get("/admin").status_code == 403
    data = {"csrf_token": token, "name": "n", "role": "admin", "password": "long enough"}
    assert client.post("/admin/users", data=data).status_code == 403
    assert client.post("/admin/tokens", data={"csrf_token": token, "name": "t"}).status_code == 403
    assert "/admin" not in client.get("/").text  # no admin link in the menu
