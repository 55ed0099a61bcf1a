"""What every API route shares: roles as dependencies, cursors, pages and error models."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Path, Query, Request
from pydantic import BaseModel, Field

from ..store import Store, User
from ._auth import HTTPError, current_user, require

T = TypeVar("T")

MAX_LIMIT = 500
DEFAULT_LIMIT = 50

Anyone = Annotated[User, Depends(require())]
Viewer = Annotated[User, Depends(require("viewer"))]
Reviewer = Annotated[User, Depends(require("reviewer"))]
Assessor = Annotated[User, Depends(require("assessor"))]
Admin = Annotated[User, Depends(require("admin"))]

RowId = Annotated[int, Path(ge=1, le=2**31 - 1, description="A row id.")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page (1 to {MAX_LIMIT}).")]
Cursor = Annotated[
    str | None,
    Query(max_length=1000, description="Where the page starts: the `next` of the page before."),
]


class ErrorBody(BaseModel):
    """Every error: a short phrase and what to do about it."""

    error: str
    detail: Any = None


class Page(BaseModel, Generic[T]):
    """One page of a list; ``next`` is the URL of the next page (null on the last)."""

    items: list[T]
    next: str | None = Field(default=None, description="URL of the next page; null at the end.")


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "A bad cursor or filter."},
    401: {"model": ErrorBody, "description": "No valid token or session."},
    403: {"model": ErrorBody, "description": "Role too low, or CSRF check failed."},
    404: {"model": ErrorBody, "description": "No such thing."},
    422: {"model": ErrorBody, "description": "Invalid parameters."},
}


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def encode_cursor(key: list[Any]) -> str:
    raw = json.dumps(key, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, types: tuple[type, ...]) -> list[Any] | None:
    """The key a cursor holds, checked against ``types``; 400 for anything else."""
    if cursor is None or cursor == "":
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise HTTPError(400, "invalid cursor", "Pass the `next` URL of a page as it is.") from exc
    ok = isinstance(key, list) and len(key) == len(types)
    ok = ok and all(_fits(v, t) for v, t in zip(key, types, strict=False))
    if not ok:
        raise HTTPError(400, "invalid cursor", "Pass the `next` URL of a page as it is.")
    return list(key)


def _fits(value: object, kind: type) -> bool:
    if isinstance(value, bool):
        return kind is bool
    if kind is float:
        return isinstance(value, int | float)
    return isinstance(value, kind)


def next_url(request: Request, key: list[Any] | None) -> str | None:
    if key is None:
        return None
    return str(request.url.include_query_params(cursor=encode_cursor(key)))


def page_of(request: Request, rows: list[T], limit: int, key_of: Any) -> tuple[list[T], str | None]:
    """Trim ``rows`` (fetched with ``limit + 1``) to a page and the next page's URL."""
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, next_url(request, key_of(rows[-1]))
    return rows, None


def sees_raw(user: User | None) -> bool:
    """Whether ``user`` may read raw answers to harmful prompts (reviewers and above)."""
    return user is not None and user.at_least("reviewer")


def sees_scores(user: User | None) -> bool:
    """Whether ``user`` may see automatic scores: everyone but reviewers, who label items
    blind to them (an item's scores are in its row of the responses and in the reports)."""
    return user is not None and user.role != "reviewer"


def harmful(item: dict[str, Any]) -> bool:
    """Whether an item is a should-refuse test or asks for content in a risk area:
    its raw answers are hidden from viewers."""
    refuse = item.get("refuse")
    return refuse is True or (refuse is None and bool(item.get("risk")))


__all__ = [
    "ERRORS",
    "Admin",
    "Anyone",
    "Assessor",
    "Cursor",
    "ErrorBody",
    "Limit",
    "Page",
    "Reviewer",
    "RowId",
    "Viewer",
    "current_user",
    "decode_cursor",
    "encode_cursor",
    "harmful",
    "next_url",
    "page_of",
    "sees_raw",
    "sees_scores",
    "store_of",
]
