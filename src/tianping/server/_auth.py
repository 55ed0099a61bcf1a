"""Who is asking, and may they: passwords, sessions, CSRF, API tokens, login limits, roles.

* Passwords: argon2id (memory-hard) via ``argon2-cffi``.
* Browser sessions: the cookie ``tianping_session`` holds a random id; the store keeps
  only its SHA-256. HttpOnly, SameSite=Lax, Secure when the app is made with
  ``secure_cookies=True``. Each session has its own CSRF token.
* CSRF: every state-changing request made with a session cookie must carry the token,
  as the form field ``csrf_token`` or the header ``X-CSRF-Token``. Before login (the
  login form) the token is a random value in the cookie ``tianping_csrf``.
  Requests with a bearer token need none: no browser sends those on its own.
* API tokens: ``Authorization: Bearer tp_...``; only the SHA-256 is stored; shown once.
* Login limit: 5 failures within 5 minutes, per user name and per client address,
  then 429 until the window has passed (in memory: one process).
* Roles: admin > assessor > reviewer > viewer. ``require("reviewer")`` admits
  reviewers, assessors and admins.

Failures raise :class:`HTTPError`; the app turns it into JSON under ``/api`` and into a
redirect to ``/login?next=...`` (401) or an error page (403 ...) elsewhere.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from ..store import Store, User
from ..store._users import ROLES

SESSION_COOKIE = "tianping_session"
CSRF_COOKIE = "tianping_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SESSION_TTL_S = 12 * 3600
TOKEN_PREFIX = "tp_"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

_HASHER = PasswordHasher(type=Type.ID)
# Verified against when the user does not exist, so that a login for an unknown
# name costs as long as one for a known name.
_DUMMY_HASH = _HASHER.hash("tianping: no such user")


class HTTPError(Exception):
    """An error with an HTTP status, rendered as ``{"error": ..., "detail": ...}``."""

    def __init__(
        self,
        status: int,
        error: str,
        detail: object = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.detail = detail
        self.headers = headers or {}


# -- secrets --------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (with its own salt and parameters)."""
    if not password:
        raise ValueError("A password must not be empty.")
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; False for a missing or malformed hash."""
    if not password_hash:
        _verify_dummy(password)
        return False
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _verify_dummy(password: str) -> None:
    with contextlib.suppress(VerifyMismatchError, VerificationError, InvalidHashError):
        _HASHER.verify(_DUMMY_HASH, password)


def sha256_hex(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(store: Store, user: User, name: str) -> tuple[int, str]:
    """Issue an API token for ``user``: returns ``(id, token)``. Only its hash is stored;
    the token itself cannot be shown again."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = store.add_token(user.id, name, sha256_hex(token), token[:10])
    return token_id, token


# -- login rate limit -----------------------------------------------------------------------


class LoginLimiter:
    """Counts failed logins per key (user name, client address) in a sliding window."""

    def __init__(self, max_failures: int = 5, window_s: float = 300.0) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and now - q[0] > self.window_s:
            q.popleft()
        return q

    def retry_after(self, keys: list[str]) -> float | None:
        """Seconds until a login for any of ``keys`` is allowed again; None if allowed."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for key in keys:
                q = self._live(key, now)
                if len(q) >= self.max_failures:
                    wait = max(wait, self.window_s - (now - q[-self.max_failures]))
                if not q:
                    self._failures.pop(key, None)
        return wait if wait > 0 else None

    def failed(self, keys: list[str]) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._live(key, now).append(now)

    def succeeded(self, name_key: str) -> None:
        with self._lock:
            self._failures.pop(name_key, None)


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def authenticate(request: Request, name: str, password: str) -> User:
    """Check a user name and password, under the login rate limit.

    Raises :class:`HTTPError` 429 while a name or address is locked out (even for the
    right password) and 401 for a wrong name or password (the same message for both).
    """
    limiter: LoginLimiter = request.app.state.login_limiter
    name_key = "name:" + name.strip().casefold()
    keys = [name_key, "addr:" + client_address(request)]
    wait = limiter.retry_after(keys)
    if wait is not None:
        raise HTTPError(
            429,
            "too many failed logins",
            f"Try again in {int(wait) + 1} seconds.",
            headers={"Retry-After": str(int(wait) + 1)},
        )
    found = _store(request).login_record(name.strip())
    if not verify_password(found[1] if found else None, password) or found is None:
        limiter.failed(keys)
        raise HTTPError(401, "login failed", "Wrong user name or password.")
    limiter.succeeded(name_key)
    return found[0]


# -- sessions -------------------------------------------------------------------------------


def _set_cookie(request: Request, response: Response, key: str, value: str, max_age: int) -> None:
    response.set_cookie(
        key,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=bool(request.app.state.secure_cookies),
    )


def start_session(request: Request, response: Response, user: User) -> str:
    """Log ``user`` in: store a new session and set its cookie; returns its CSRF token.

    Any session the request came with is ended: a login always gets a fresh id."""
    earlier = request.cookies.get(SESSION_COOKIE)
    if earlier:
        _store(request).delete_session(sha256_hex(earlier))
    session_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    _store(request).add_session(sha256_hex(session_id), user.id, csrf, time.time() + SESSION_TTL_S)
    _set_cookie(request, response, SESSION_COOKIE, session_id, SESSION_TTL_S)
    request.state.auth = (user, "session", csrf)
    return csrf


def end_session(request: Request, response: Response) -> None:
    """Log out: forget the session in the store and clear its cookie."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        _store(request).delete_session(sha256_hex(session_id))
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=bool(request.app.state.secure_cookies),
    )
    request.state.auth = (None, None, None)


# -- who is asking --------------------------------------------------------------------------


def _resolve(request: Request) -> tuple[User | None, str | None, str | None]:
    """``(user, "token" | "session" | None, session CSRF token)``, once per request."""
    cached: tuple[User | None, str | None, str | None] | None = getattr(request.state, "auth", None)
    if cached is not None:
        return cached
    result: tuple[User | None, str | None, str | None] = (None, None, None)
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, credential = header.partition(" ")
        credential = credential.strip()
        if scheme.lower() == "bearer" and credential.startswith(TOKEN_PREFIX):
            user = _store(request).token_user(sha256_hex(credential))
            if user is not None:
                result = (user, "token", None)
        if result[0] is None:
            request.state.auth_problem = "The bearer token is not valid (or was revoked)."
    else:
        session_id = request.cookies.get(SESSION_COOKIE)
        if session_id:
            found = _store(request).session_user(sha256_hex(session_id))
            if found is not None:
                result = (found[0], "session", found[1])
    request.state.auth = result
    return result


def current_user(request: Request) -> User | None:
    """The user behind this request's bearer token or session cookie, or None."""
    return _resolve(request)[0]


def csrf_token(request: Request) -> str:
    """The CSRF token a form on this page must carry in its ``csrf_token`` field.

    For a logged-in user, the session's token; otherwise the pre-login token from the
    ``tianping_csrf`` cookie (a new one is made and the cookie set on the response).
    """
    _user, _via, session_csrf = _resolve(request)
    if session_csrf is not None:
        return session_csrf
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf_cookie", None)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf_cookie = token  # set on the response by the app's middleware
    return str(token)


async def _submitted_csrf(request: Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # Starlette caches it: the route reads it again for free
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


async def check_csrf(request: Request) -> None:
    """Dependency: refuse a state-changing request without the right CSRF token.

    Bearer-token requests are exempt. :func:`require` calls this itself; use it alone
    only on a route that admits anonymous users (the login form)."""
    if request.method in SAFE_METHODS:
        return
    _user, via, session_csrf = await run_in_threadpool(_resolve, request)
    if via == "token":
        return
    expected = session_csrf if via == "session" else request.cookies.get(CSRF_COOKIE)
    submitted = await _submitted_csrf(request)
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise HTTPError(
            403,
            "CSRF check failed",
            f"Send the form's {CSRF_FIELD} field or the {CSRF_HEADER} header; "
            "reload the page if it is old.",
        )


def require(*roles: str) -> Callable[[Request], Awaitable[User]]:
    """Dependency: the current user, who must hold at least the lowest-ranked of ``roles``
    (any role if none is named); 401 without credentials, 403 for too low a role.
    State-changing requests made with a session must also pass the CSRF check."""
    for role in roles:
        if role not in ROLES:
            raise ValueError(f"Unknown role {role!r}; roles are {', '.join(ROLES)}.")
    minimum = max(roles, key=ROLES.index) if roles else ROLES[-1]

    async def dependency(request: Request) -> User:
        user, _via, _csrf = await run_in_threadpool(_resolve, request)
        if user is None:
            problem = getattr(request.state, "auth_problem", None)
            raise HTTPError(
                401,
                "authentication required",
                problem or "Log in, or send an API token as 'Authorization: Bearer tp_...'.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not user.at_least(minimum):
            raise HTTPError(
                403, "forbidden", f"This needs the {minimum} role or above; you are {user.role}."
            )
        await check_csrf(request)
        return user

    dependency.__name__ = f"require_{minimum}"
    return dependency


__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "HTTPError",
    "LoginLimiter",
    "authenticate",
    "check_csrf",
    "create_token",
    "csrf_token",
    "current_user",
    "end_session",
    "hash_password",
    "require",
    "sha256_hex",
    "start_session",
    "verify_password",
]
