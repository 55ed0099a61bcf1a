"""The admin page: users (list, add) and API tokens (create, shown once; revoke). Admins only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from ..core import ConfigError, TianpingError
from ..store import User
from ..store._users import ROLES
from ._auth import create_token, hash_password, require
from ._pages_common import lang_of, render, store_of
from ._pages_i18n import t

router = APIRouter()

Admin = Annotated[User, Depends(require("admin"))]
MIN_PASSWORD = 8


def _page(
    request: Request,
    user: User,
    *,
    status: int = 200,
    error: str = "",
    notice: str = "",
    new_token: str = "",
    form: dict[str, str] | None = None,
) -> Response:
    store = store_of(request)
    return render(
        request,
        "admin.html.j2",
        user,
        status=status,
        title=t("admin_title", lang_of(request)),
        users=store.list_users(),
        tokens=store.list_tokens(),
        roles=ROLES,
        error=error,
        notice=notice,
        new_token=new_token,
        form=form or {"name": "", "role": "viewer"},
    )


@router.get("/admin")
def admin(request: Request, user: Admin, done: str = "") -> Response:
    lang = lang_of(request)
    notice = t("token_revoked", lang) if done == "revoked" else ""
    added = done.removeprefix("user:")
    if done.startswith("user:") and any(u.name == added for u in store_of(request).list_users()):
        notice = t("user_added", lang).format(name=added)
    return _page(request, user, notice=notice)


@router.post("/admin/users")
def add_user(
    request: Request,
    user: Admin,
    name: Annotated[str, Form(max_length=100)] = "",
    role: Annotated[str, Form(max_length=20)] = "viewer",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    form = {"name": name, "role": role}
    try:
        if role not in ROLES:
            raise ConfigError(f"Unknown role {role!r}: one of {', '.join(ROLES)}.")
        if len(password) < MIN_PASSWORD:
            raise ConfigError(f"A password needs at least {MIN_PASSWORD} characters.")
        added = store_of(request).add_user(name, role, hash_password(password))
    except TianpingError as exc:
        return _page(request, user, status=400, error=str(exc), form=form)
    return RedirectResponse(f"/admin?done=user:{added.name}", 303)


@router.post("/admin/tokens")
def new_token(
    request: Request,
    user: Admin,
    name: Annotated[str, Form(max_length=100)] = "",
    owner: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    store = store_of(request)
    try:
        if not name.strip():
            raise ConfigError("Give the token a name (what it is for).")
        holder = store.get_user(owner) if owner else user
        _id, token = create_token(store, holder, name.strip())
    except TianpingError as exc:
        return _page(request, user, status=400, error=str(exc))
    # Rendered, not redirected: the token is in this response only and never stored.
    return _page(request, user, new_token=token)


@router.post("/admin/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: int, user: Admin) -> Response:
    if not store_of(request).revoke_token(token_id):
        return _page(request, user, status=404, error=f"No token {token_id}.")
    return RedirectResponse("/admin?done=revoked", 303)
