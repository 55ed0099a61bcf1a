"""What every page shares: the Jinja2 environment, the language, the layout's context.

Templates live in ``server/templates`` (autoescape on, undefined names are errors);
CSS and the review script in ``server/static``, served by :mod:`._pages` itself so
that the pages need nothing from a network at view time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache, partial
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined

from .._version import __version__
from ..store import Store, User
from ._auth import CSRF_FIELD, csrf_token
from ._pages_i18n import LANG_COOKIE, ROLE_KEYS, check_lang, filing_word, outcome_word, t

STATIC_FILES = {"tianping.css": "text/css", "review.js": "text/javascript"}
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("tianping.server", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["day"] = day
    return env


@cache
def static_bytes(name: str) -> bytes:
    """The bytes of one file of ``server/static`` (only the names in STATIC_FILES)."""
    if name not in STATIC_FILES:
        raise KeyError(name)
    return (resources.files("tianping.server") / "static" / name).read_bytes()


@cache
def static_url(name: str) -> str:
    """``/static/NAME?v=HASH``: a changed file gets a new URL, so it may be cached long."""
    digest = hashlib.sha256(static_bytes(name)).hexdigest()[:12]
    return f"/static/{name}?v={digest}"


def when(ts: float | None) -> str:
    """A UNIX time as ``YYYY-MM-DD HH:MM`` (UTC); a dash for none."""
    if ts is None:
        return "—"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")


def day(ts: float | None) -> str:
    if ts is None:
        return "—"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def lang_of(request: Request) -> str:
    """``?lang=`` if given, else the language cookie, else the browser's first choice (zh)."""
    chosen = check_lang(request.query_params.get("lang")) or check_lang(
        request.cookies.get(LANG_COOKIE)
    )
    if chosen:
        return chosen
    accept = request.headers.get("accept-language", "").strip().lower()
    return "en" if accept.startswith("en") else "zh"


def url_with(request: Request, **changes: Any) -> str:
    """This page's path and query with ``changes`` (a None value drops the parameter)."""
    params: dict[str, str] = {k: v for k, v in request.query_params.items() if k != "lang"}
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    query = urlencode(params)
    return request.url.path + (f"?{query}" if query else "")


def query(**params: Any) -> str:
    """``?a=1&b=2`` from the non-empty ``params`` (empty string when there are none)."""
    kept = {k: str(v) for k, v in params.items() if v is not None and v != ""}
    return "?" + urlencode(kept) if kept else ""


def render(
    request: Request,
    template: str,
    user: User | None,
    *,
    status: int = 200,
    title: str = "",
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render ``template`` with the layout's context; remembers ``?lang=`` in a cookie."""
    lang = lang_of(request)
    html = render_string(request, template, user, title=title, **context)
    response = HTMLResponse(html, status_code=status, headers=dict(headers or {}))
    response.headers["Cache-Control"] = "no-store"
    asked = check_lang(request.query_params.get("lang"))
    if asked and asked != request.cookies.get(LANG_COOKIE):
        response.set_cookie(
            LANG_COOKIE,
            lang,
            max_age=LANG_COOKIE_MAX_AGE,
            path="/",
            httponly=True,
            samesite="lax",
            secure=bool(request.app.state.secure_cookies),
        )
    return response


def render_string(
    request: Request, template: str, user: User | None, *, title: str = "", **context: Any
) -> str:
    lang = lang_of(request)
    base = {
        "lang": lang,
        "t": partial(t, lang=lang),
        "word": partial(outcome_word, lang=lang),
        "filing_word": partial(filing_word, lang=lang),
        "role_word": lambda role: t(ROLE_KEYS[role], lang) if role in ROLE_KEYS else role,
        "user": user,
        "is_admin": user is not None and user.role == "admin",
        "can_review": user is not None and user.at_least("reviewer"),
        "csrf_field": CSRF_FIELD,
        "csrf": csrf_token(request),
        "path": request.url.path,
        "url_with": partial(url_with, request),
        "lang_url": {code: url_with(request, lang=code) for code in ("zh", "en")},
        "query": query,
        "static": static_url,
        "title": title,
        "version": __version__,
    }
    base.update(context)
    return environment().get_template(template).render(**base)


def static_response(name: str) -> Response:
    try:
        data = static_bytes(name)
    except KeyError:
        return Response(status_code=404)
    return Response(
        data,
        media_type=STATIC_FILES[name] + "; charset=utf-8",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )
