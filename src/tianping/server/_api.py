"""The REST API, mounted at ``/api/v1``: JSON in and out, every error as
``{"error": ..., "detail": ...}``, every list paginated with ``?limit=&cursor=``.

Authentication: ``Authorization: Bearer tp_...`` (``tianping tokens create``), or the
session cookie of the web UI (state-changing requests then need the CSRF token, as the
``X-CSRF-Token`` header). ``POST /auth/login`` starts such a session.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from .._version import __version__
from . import (
    _api_assessments,
    _api_library,
    _api_models,
    _api_profiles,
    _api_responses,
    _api_review,
)
from ._api_common import ERRORS, Anyone, ErrorBody
from ._auth import authenticate, end_session, start_session

router = APIRouter()


class Health(BaseModel):
    status: str
    version: str


class UserOut(BaseModel):
    id: int
    name: str
    role: str


class Login(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    password: Annotated[str, Field(min_length=1, max_length=1000)]


class Session(BaseModel):
    user: UserOut
    csrf_token: str = Field(description="Send as X-CSRF-Token with POSTs made with the cookie.")


@router.get("/health", response_model=Health, tags=["server"], summary="Is the server up")
def health() -> Health:
    """Needs no login: for load balancers and ``tianping serve`` checks."""
    return Health(status="ok", version=__version__)


@router.post(
    "/auth/login",
    response_model=Session,
    tags=["auth"],
    summary="Log in (session cookie)",
    responses={
        401: {"model": ErrorBody, "description": "Wrong name or password."},
        422: {"model": ErrorBody, "description": "Invalid parameters."},
        429: {"model": ErrorBody, "description": "Too many failed logins."},
    },
)
async def login(request: Request, response: Response, body: Login) -> Session:
    """Check the name and password and set the session cookie. Five failures in five
    minutes, for a name or from an address, lock it out for the rest of the window."""
    user = await run_in_threadpool(authenticate, request, body.name, body.password)
    csrf = await run_in_threadpool(start_session, request, response, user)
    return Session(user=UserOut(id=user.id, name=user.name, role=user.role), csrf_token=csrf)


@router.post("/auth/logout", status_code=204, tags=["auth"], summary="Log out", responses=ERRORS)
def logout(request: Request, response: Response, _user: Anyone) -> None:
    """End the session (with the CSRF token) and clear its cookie."""
    end_session(request, response)


@router.get("/auth/me", response_model=UserOut, tags=["auth"], summary="Who am I", responses=ERRORS)
def me(user: Anyone) -> UserOut:
    return UserOut(id=user.id, name=user.name, role=user.role)


router.include_router(_api_models.router)
router.include_router(_api_assessments.router)
router.include_router(_api_responses.router)
router.include_router(_api_review.router)
router.include_router(_api_library.router)
router.include_router(_api_profiles.router)
