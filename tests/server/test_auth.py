"""Authentication and its defences: argon2id, sessions, cookies, CSRF, tokens, login limit."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from _webtest import PASSWORD, Person, login
from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient

from tianping.server import create_app
from tianping.server._auth import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    LoginLimiter,
    check_csrf,
    csrf_token,
    hash_password,
    verify_password,
)


def _rows(app_db: str, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(app_db.removeprefix("sqlite:///")) as conn:
        return conn.execute(query).fetchall()


# -- passwords ----------------------------------------------------------------------------


def test_passwords_are_hashed_with_argon2id_and_salted() -> None:
    a, b = hash_password("s3cret pass"), hash_password("s3cret pass")
    assert a.startswith("$argon2id$")
    assert "m=65536" in a  # memory-hard: 64 MiB per hash
    assert a != b  # salted
    assert verify_password(a, "s3cret pass")
    assert not verify_password(a, "s3cret pasS")
    assert not verify_password(None, "s3cret pass")
    assert not verify_password("not a hash", "s3cret pass")


def test_stored_password_is_the_argon2id_hash(
    client: TestClient, people: dict[str, Person], app_db: str
) -> None:
    (stored,) = _rows(app_db, "select password_hash from users where name = 'viewer'")[0]
    assert isinstance(stored, str)
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


# -- sessions and cookies -------------------------------------------------------------------


def test_login_sets_a_httponly_samesite_session_cookie_whose_id_is_stored_hashed(
    client: TestClient, people: dict[str, Person], app_db: str
) -> None:
    r = client.post("/api/v1/auth/login", json={"name": "viewer", "password": PASSWORD})
    assert r.status_code == 200
    assert r.json()["user"] == {"id": people["viewer"].user.id, "name": "viewer", "role": "viewer"}
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    flags = [f.strip().lower() for f in cookie.split(";")]
    assert "httponly" in flags
    assert "samesite=lax" in flags
    assert "path=/" in flags
    assert "secure" not in flags  # plain HTTP by default
    session_id = cookie.split(";")[0].split("=", 1)[1]
    stored = [row[0] for row in _rows(app_db, "select id_hash from sessions")]
    assert stored == [hashlib.sha256(session_id.encode()).hexdigest()]
    assert session_id not in stored
    assert client.get("/api/v1/auth/me").json()["name"] == "viewer"


def test_logging_in_again_replaces_the_session(
    client: TestClient, people: dict[str, Person], app_db: str
) -> None:
    login(client, "viewer")
    first = client.cookies.get(SESSION_COOKIE)
    login(client, "viewer")
    assert client.cookies.get(SESSION_COOKIE) != first
    assert _rows(app_db, "select count(*) from sessions") == [(1,)]


def test_secure_cookies_marks_the_session_cookie_secure(app_db: str) -> None:
    from tianping.server._auth import hash_password as hp

    app = create_app(app_db, secure_cookies=True)
    app.state.store.add_user("sam", "viewer", hp(PASSWORD))
    with TestClient(app, base_url="https://testserver") as c:
        r = c.post("/api/v1/auth/login", json={"name": "sam", "password": PASSWORD})
        assert r.status_code == 200
        flags = [f.strip().lower() for f in r.headers["set-cookie"].split(";")]
        assert "secure" in flags
        assert "httponly" in flags
        assert "samesite=lax" in flags


def test_logout_ends_the_session_in_the_store(
    client: TestClient, people: dict[str, Person], app_db: str
) -> None:
    csrf = login(client, "viewer")
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert _rows(app_db, "select count(*) from sessions") == [(0,)]
    assert client.get("/api/v1/auth/me").status_code == 401


def test_a_disabled_user_loses_sessions_and_tokens(
    client: TestClient, people: dict[str, Person], app: FastAPI
) -> None:
    login(client, "viewer")
    app.state.store.update_user("viewer", disabled=True)
    assert client.get("/api/v1/auth/me").status_code == 401
    r = client.get("/api/v1/auth/me", headers=people["viewer"].headers)
    assert r.status_code == 401
    r = client.post("/api/v1/auth/login", json={"name": "viewer", "password": PASSWORD})
    assert r.status_code == 401


def test_a_forged_session_cookie_is_not_a_session(
    client: TestClient, people: dict[str, Person]
) -> None:
    client.cookies.set(SESSION_COOKIE, "made-up")
    assert client.get("/api/v1/auth/me").status_code == 401


# -- CSRF --------------------------------------------------------------------------------


def test_a_session_post_without_the_csrf_token_is_refused(
    client: TestClient, people: dict[str, Person], app_db: str
) -> None:
    csrf = login(client, "viewer")
    for headers in ({}, {"X-CSRF-Token": "wrong"}, {"X-CSRF-Token": ""}):
        r = client.post("/api/v1/auth/logout", headers=headers)
        assert r.status_code == 403, headers
        assert r.json()["error"] == "CSRF check failed"
    r = client.post("/api/v1/auth/logout", data={"csrf_token": "wrong"})
    assert r.status_code == 403
    assert _rows(app_db, "select count(*) from sessions") == [(1,)]  # still logged in
    # the form field works as well as the header
    assert client.post("/api/v1/auth/logout", data={"csrf_token": csrf}).status_code == 204


def test_each_session_has_its_own_csrf_token(app: FastAPI, people: dict[str, Person]) -> None:
    with TestClient(app) as a, TestClient(app) as b:
        token_a, token_b = login(a, "viewer"), login(b, "viewer")
        assert token_a != token_b
        assert b.post("/api/v1/auth/logout", headers={"X-CSRF-Token": token_a}).status_code == 403


def test_a_bearer_token_request_needs_no_csrf_token(
    client: TestClient, people: dict[str, Person]
) -> None:
    r = client.post("/api/v1/auth/logout", headers=people["viewer"].headers)
    assert r.status_code == 204


def test_an_anonymous_form_is_checked_against_the_pre_login_csrf_cookie(app: FastAPI) -> None:
    # The login form's protection: the page sets a random cookie and puts the same
    # value in the form; a cross-site form can do neither.
    @app.get("/_test/form")
    def form(request: Request) -> dict[str, str]:
        return {"csrf": csrf_token(request)}

    @app.post("/_test/form", dependencies=[Depends(check_csrf)])
    def submit() -> dict[str, bool]:
        return {"ok": True}

    with TestClient(app) as c:
        r = c.get("/_test/form")
        token = r.json()["csrf"]
        cookie = r.headers["set-cookie"]
        assert cookie.startswith(f"{CSRF_COOKIE}={token};")
        assert "httponly" in cookie.lower()
        assert "samesite=lax" in cookie.lower()
        assert c.get("/_test/form").json()["csrf"] == token  # stable while the cookie lives
        assert c.post("/_test/form", data={"csrf_token": token}).status_code == 200
        assert c.post("/_test/form", data={"csrf_token": "forged"}).status_code == 403
        assert c.post("/_test/form").status_code == 403
        c.cookies.clear()
        assert c.post("/_test/form", data={"csrf_token": token}).status_code == 403


# -- API tokens ------------------------------------------------------------------------------


def test_a_token_is_shown_once_and_only_its_hash_is_stored(
    client: TestClient, people: dict[str, Person], app_db: str, app: FastAPI
) -> None:
    token = people["viewer"].token
    assert token.startswith("tp_")
    assert len(token) > 40
    rows = _rows(app_db, "select token_hash, prefix from tokens")
    assert (hashlib.sha256(token.encode()).hexdigest(), token[:10]) in rows
    assert all(token not in (h, p) for h, p in rows)
    listed = app.state.store.list_tokens()
    assert all(not hasattr(t, "token") and not hasattr(t, "token_hash") for t in listed)
    assert client.get("/api/v1/auth/me", headers=people["viewer"].headers).status_code == 200


def test_a_revoked_or_malformed_token_is_refused(
    client: TestClient, people: dict[str, Person], app: FastAPI
) -> None:
    store = app.state.store
    (mine,) = store.list_tokens(people["viewer"].user.id)
    assert store.revoke_token(mine.id)
    r = client.get("/api/v1/auth/me", headers=people["viewer"].headers)
    assert r.status_code == 401
    assert "revoked" in r.json()["detail"]
    assert r.headers["www-authenticate"] == "Bearer"
    for header in ("Bearer", "Bearer tp_nope", "Basic dmlld2VyOng=", "tp_x"):
        r = client.get("/api/v1/auth/me", headers={"Authorization": header})
        assert r.status_code == 401, header
    assert not store.revoke_token(99999)


def test_a_token_records_its_last_use(
    client: TestClient, people: dict[str, Person], app: FastAPI
) -> None:
    store = app.state.store
    assert store.list_tokens(people["viewer"].user.id)[0].last_used_at is None
    client.get("/api/v1/auth/me", headers=people["viewer"].headers)
    assert store.list_tokens(people["viewer"].user.id)[0].last_used_at is not None


# -- login rate limit ------------------------------------------------------------------------


def test_five_failed_logins_lock_the_name_out_even_for_the_right_password(
    client: TestClient, people: dict[str, Person]
) -> None:
    for _ in range(5):
        r = client.post("/api/v1/auth/login", json={"name": "viewer", "password": "nope"})
        assert r.status_code == 401
        assert r.json() == {"error": "login failed", "detail": "Wrong user name or password."}
    r = client.post("/api/v1/auth/login", json={"name": "viewer", "password": PASSWORD})
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) > 0
    assert r.json()["error"] == "too many failed logins"


def test_the_limit_also_counts_per_client_address(
    client: TestClient, people: dict[str, Person]
) -> None:
    # Spraying one password over many names from one address is stopped too.
    for name in ("a", "b", "c", "d", "e"):
        r = client.post("/api/v1/auth/login", json={"name": name, "password": "guess"})
        assert r.status_code == 401
    r = client.post("/api/v1/auth/login", json={"name": "viewer", "password": PASSWORD})
    assert r.status_code == 429


def test_an_unknown_name_and_a_wrong_password_read_the_same(
    client: TestClient, people: dict[str, Person]
) -> None:
    a = client.post("/api/v1/auth/login", json={"name": "nobody", "password": "x"})
    b = client.post("/api/v1/auth/login", json={"name": "viewer", "password": "x"})
    assert (a.status_code, a.json()) == (b.status_code, b.json())


def test_the_limiter_forgets_failures_after_its_window(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr("tianping.server._auth.time.monotonic", lambda: now[0])
    limiter = LoginLimiter(max_failures=5, window_s=300)
    keys = ["name:x", "addr:1.2.3.4"]
    for _ in range(5):
        assert limiter.retry_after(keys) is None
        limiter.failed(keys)
    wait = limiter.retry_after(keys)
    assert wait is not None
    assert 299 <= wait <= 300
    now[0] += 301
    assert limiter.retry_after(keys) is None
    limiter.failed(keys)
    limiter.succeeded("name:x")
    assert limiter.retry_after(["name:x"]) is None


def test_successful_login_clears_the_name_count(
    client: TestClient, people: dict[str, Person]
) -> None:
    for _ in range(3):
        client.post("/api/v1/auth/login", json={"name": "viewer", "password": "nope"})
    login(client, "viewer")
    # two more failures would have made five; the name's count restarted at login
    for _ in range(2):
        client.post("/api/v1/auth/login", json={"name": "viewer", "password": "nope"})
    # the address has seen 5 failures by now, so it is the address that locks
    r = client.post("/api/v1/auth/login", json={"name": "viewer", "password": PASSWORD})
    assert r.status_code == 429


def test_passwordless_users_cannot_log_in(client: TestClient, app: FastAPI, tmp_path: Path) -> None:
    app.state.store.add_user("robot", "assessor", None)
    r = client.post("/api/v1/auth/login", json={"name": "robot", "password": "anything"})
    assert r.status_code == 401
