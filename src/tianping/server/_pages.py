"""The web pages: server-rendered (Jinja2, autoescape on), readable in Chinese and English.

``router`` is mounted at ``/`` by :func:`tianping.server.create_app`; ``error_page``
is how the app shows an error to a browser. Pages:

* ``/login``, ``/logout``: a form with a CSRF token; the session cookie is set by
  :mod:`._auth`.
* ``/`` (catalog), ``/model?spec=``, ``/assessments/{id}``, ``/compare?a=&b=``:
  any signed-in user (viewers never see response texts).
* ``/review``: the keyboard-driven review queue (reviewers and above).
* ``/admin``: users and API tokens (admins only).

``?lang=zh|en`` switches the language and is remembered in a cookie. The CSS and
the review script are served from ``/static/`` out of the package: nothing at
view time comes from a network.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from ..store import User
from ._auth import (
    HTTPError,
    authenticate,
    check_csrf,
    current_user,
    end_session,
    require,
    start_session,
)
from ._pages_admin import router as admin_router
from ._pages_assessment import router as assessment_router
from ._pages_common import lang_of, render, static_response
from ._pages_i18n import t
from ._pages_models import router as models_router
from ._pages_review import router as review_router

router = APIRouter()
router.include_router(models_router)
router.include_router(assessment_router)
router.include_router(review_router)
router.include_router(admin_router)


def _safe_next(target: str) -> str:
    """A local path to go to after login: never another host (no open redirect)."""
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith("//") or parts.scheme or parts.netloc:
        return "/"
    if "\\" in target or any(ord(c) < 0x20 for c in target):
        return "/"
    return target


@router.get("/static/{name}")
def static(name: str) -> Response:
    return static_response(name)


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    user = current_user(request)
    if user is not None:
        return RedirectResponse(_safe_next(next), 303)
    lang = lang_of(request)
    return render(
        request,
        "login.html.j2",
        None,
        title=t("login", lang),
        next=_safe_next(next),
        error="",
        username="",
    )


@router.post("/login", dependencies=[Depends(check_csrf)])
def login(
    request: Request,
    username: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    lang = lang_of(request)
    try:
        user = authenticate(request, username, password)
    except HTTPError as exc:
        key = "login_throttled" if exc.status == 429 else "login_failed"
        return render(
            request,
            "login.html.j2",
            None,
            status=exc.status,
            headers=exc.headers,
            title=t("login", lang),
            next=_safe_next(next),
            error=t(key, lang),
            username=username,
        )
    response = RedirectResponse(_safe_next(next), 303)
    start_session(request, response, user)
    return response


@router.post("/logout")
def logout(request: Request, _user: Annotated[User, Depends(require())]) -> Response:
    response = RedirectResponse("/login", 303)
    end_session(request, response)
    return response


_HEADINGS = {403: "forbidden", 404: "not_found"}
_TITLES = {400: "bad_request_title", 422: "bad_request_title", 403: "forbidden_title"}
_TITLES[404] = "not_found_title"


def error_page(request: Request, status: int, error: str, detail: object) -> Response:
    """The page the app shows for an error (never a stack trace)."""
    lang = lang_of(request)
    lines: list[str] = [t(_HEADINGS[status], lang)] if status in _HEADINGS else []
    if isinstance(detail, str) and detail:
        lines.append(detail)
    elif isinstance(detail, list):
        lines += [str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail[:10]]
    user = getattr(request.state, "auth", (None,))[0]
    return render(
        request,
        "error.html.j2",
        user if isinstance(user, User) else None,
        status=status,
        title=f"{status}",
        code=status,
        heading=t(_TITLES.get(status, "error"), lang),
        lines=lines,
    )


__all__ = ["error_page", "router"]
