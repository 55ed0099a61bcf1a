"""The web application: one store, the REST API at ``/api/v1`` and the pages at ``/``.

Errors never show a stack trace: :class:`HTTPError`, validation errors and Tianping's
own errors become ``{"error": ..., "detail": ...}`` (JSON under ``/api``, a page
elsewhere); anything unexpected is logged here and answered with a bare 500.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from .._version import __version__
from ..core import ConfigError, StoreError, SuiteError, TianpingError, UnknownNameError
from ..store import Store
from . import _api, _api_docs, _pages
from ._auth import CSRF_COOKIE, HTTPError, LoginLimiter

log = logging.getLogger("tianping.server")

API_PREFIX = "/api/v1"
MAX_BODY_BYTES = 21 * 1024 * 1024  # an upload of 20 MB plus its multipart framing

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        b"script-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'self'; "
        b"frame-ancestors 'none'; form-action 'self'",
    ),
]


def create_app(db: str | None = None, *, secure_cookies: bool = False) -> FastAPI:
    """The Tianping web app over the store at ``db`` (default: the user's database).

    ``secure_cookies`` marks cookies Secure: set it whenever the app is served over
    HTTPS (directly or behind a proxy)."""
    store = Store.open(db)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()

    app = FastAPI(
        title="Tianping",
        version=__version__,
        description="Assessments of LLMs against TC260-003 / GB/T 45654-2025, clause by clause.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # the default docs load JavaScript from a CDN; ours work offline
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.secure_cookies = secure_cookies
    app.state.login_limiter = LoginLimiter()
    app.include_router(_api.router, prefix=API_PREFIX)
    app.include_router(_api_docs.router, prefix=API_PREFIX)
    app.include_router(_pages.router, include_in_schema=False)
    app.state.error_page = _pages.error_page
    _add_error_handlers(app)
    app.add_middleware(_Guard)
    return app


# -- errors -------------------------------------------------------------------------------


def _is_api(request: Request) -> bool:
    return request.url.path == API_PREFIX or request.url.path.startswith(API_PREFIX + "/")


def _error_response(
    request: Request,
    status: int,
    error: str,
    detail: object = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    if _is_api(request):
        return JSONResponse({"error": error, "detail": detail}, status, headers=headers)
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", 303)
    page: Callable[[Request, int, str, object], Response] = request.app.state.error_page
    response = page(request, status, error, detail)
    response.headers.update(headers or {})
    return response


def _add_error_handlers(app: FastAPI) -> None:
    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPError)
        return _error_response(request, exc.status, exc.error, exc.detail, exc.headers)

    async def on_starlette(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        phrase = {404: "not found", 405: "method not allowed"}.get(exc.status_code, "error")
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail else None
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No such page: {request.url.path}"
        return _error_response(request, exc.status_code, phrase, detail, exc.headers)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        return _error_response(request, 422, "invalid request", problems)

    async def on_tianping(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, TianpingError)
        if isinstance(exc, UnknownNameError):
            return _error_response(request, 404, "not found", str(exc))
        if isinstance(exc, SuiteError):
            detail = [str(p) for p in exc.problems[:200]]
            return _error_response(request, 422, "invalid suite", detail)
        if isinstance(exc, ConfigError):
            return _error_response(request, 400, "invalid request", str(exc))
        if isinstance(exc, StoreError):
            log.error("store error on %s %s: %s", request.method, request.url.path, exc)
            return _error_response(request, 503, "database error", "See the server log.")
        return _error_response(request, 409, "cannot do that", str(exc))

    app.add_exception_handler(HTTPError, on_http_error)
    app.add_exception_handler(StarletteHTTPException, on_starlette)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(TianpingError, on_tianping)


class _TooLarge(Exception):
    pass


class _Guard:
    """Outermost layer: body size limit, security headers, the pre-login CSRF cookie,
    and the last word on unexpected exceptions (logged, answered with a bare 500)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        is_api = str(scope.get("path", "")).startswith(API_PREFIX)
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > MAX_BODY_BYTES:
                await _send_json(send, 413, "request too large", _too_large(), is_api)
                return
        started = False
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY_BYTES:
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in _SECURITY_HEADERS if k not in present]
                token = state.get("new_csrf_cookie")
                if token:
                    secure = "; Secure" if state.get("secure_cookies") else ""
                    cookie = f"{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}"
                    headers.append((b"set-cookie", cookie.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        app = scope.get("app")
        if app is not None:
            state["secure_cookies"] = bool(getattr(app.state, "secure_cookies", False))
        try:
            await self.app(scope, limited_receive, guarded_send)
        except _TooLarge:
            if not started:
                await _send_json(send, 413, "request too large", _too_large(), is_api)
        except Exception:
            log.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await _send_json(
                    send, 500, "internal error", "Something went wrong; see the server log.", is_api
                )


def _too_large() -> str:
    return f"The request body is over {MAX_BODY_BYTES // (1024 * 1024)} MB."


async def _send_json(send: Send, status: int, error: str, detail: str, is_api: bool) -> None:
    if is_api:
        body = json.dumps({"error": error, "detail": detail}).encode()
        ctype = b"application/json"
    else:
        body = (
            f"<!doctype html><meta charset='utf-8'><title>{status}</title>"
            f"<h1>{status} {html.escape(error)}</h1><p>{html.escape(detail)}</p>"
        ).encode()
        ctype = b"text/html; charset=utf-8"
    headers = [(b"content-type", ctype), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


__all__ = ["API_PREFIX", "MAX_BODY_BYTES", "create_app"]
