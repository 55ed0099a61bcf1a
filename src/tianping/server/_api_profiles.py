"""``/profiles``: the built-in profiles and those uploaded, one profile, and upload.

Uploaded profiles are kept as files in ``profiles/`` of Tianping's home, under the name
the file gives itself; a built-in name cannot be taken.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from .._home import data_home
from ._api_common import (
    ERRORS,
    Assessor,
    Cursor,
    ErrorBody,
    Limit,
    Page,
    Viewer,
    decode_cursor,
    page_of,
)
from ._api_library import problems_out, receive_upload
from ._auth import HTTPError

router = APIRouter(tags=["profiles"], responses=ERRORS)


class ProfileOut(BaseModel):
    name: str
    version: str
    title_zh: str
    title_en: str
    clauses: int
    builtin: bool


class ProfileDetail(ProfileOut):
    hash: str
    profile: dict[str, Any]


class UploadedProfile(ProfileOut):
    hash: str
    created: bool


def profiles_dir() -> Path:
    """Where uploaded profiles are kept: ``profiles/`` in Tianping's home."""
    return data_home() / "profiles"


def _profile_files() -> dict[str, tuple[Path, bool]]:
    from ..standards import builtin_profiles

    found = {p.stem: (p, False) for p in sorted(profiles_dir().glob("*.yaml"))}
    found.update({n: (p, True) for n, p in builtin_profiles().items()})
    return found


def _profile_out(name: str, path: Path, builtin: bool) -> ProfileOut:
    from ..standards import load_profile

    p = load_profile(path).profile
    return ProfileOut(
        name=name,
        version=p.version,
        title_zh=p.title.zh,
        title_en=p.title.en,
        clauses=len(p.clauses),
        builtin=builtin,
    )


@router.get("/profiles", response_model=Page[ProfileOut], summary="Profiles")
def list_profiles(
    request: Request, _user: Viewer, limit: Limit = 50, cursor: Cursor = None
) -> Page[ProfileOut]:
    """The built-in profiles and those uploaded, by name."""
    key = decode_cursor(cursor, (str,))
    files = sorted(_profile_files().items())
    chosen = [(n, v) for n, v in files if key is None or n > key[0]][: limit + 1]
    items = [_profile_out(n, path, builtin) for n, (path, builtin) in chosen]
    page, nxt = page_of(request, items, limit, lambda p: [p.name])
    return Page[ProfileOut](items=page, next=nxt)


@router.get("/profiles/{name}", response_model=ProfileDetail, summary="One profile")
def get_profile(name: str, _user: Viewer) -> ProfileDetail:
    """A profile's clauses: what each draws, scores and requires."""
    from ..core import UnknownNameError
    from ..standards import load_profile

    files = _profile_files()
    if name not in files:
        raise UnknownNameError("profile", name, files)
    path, builtin = files[name]
    loaded = load_profile(path)
    return ProfileDetail(
        **_profile_out(name, path, builtin).model_dump(),
        hash=loaded.hash,
        profile=loaded.profile.model_dump(mode="json"),
    )


@router.post(
    "/profiles",
    response_model=UploadedProfile,
    status_code=201,
    summary="Upload a profile",
    responses={
        409: {"model": ErrorBody, "description": "Another profile has that name."},
        413: {"model": ErrorBody, "description": "Over 20 MB."},
        415: {"model": ErrorBody, "description": "Not a .yaml file."},
        422: {"model": ErrorBody, "description": "Invalid profile: every problem and its line."},
    },
)
async def upload_profile(
    request: Request,
    _user: Assessor,
    file: Annotated[UploadFile, File(description="A profile, YAML.")],
) -> Any:
    """A profile YAML is validated and kept under its own name (``name:`` in the file).
    A built-in name, or another profile already under that name, is refused."""
    from ..standards import load_profile, validate_profile

    with tempfile.TemporaryDirectory(prefix="tianping-upload-") as tmp:
        folder = Path(tmp)
        path = await receive_upload(file, folder, (".yaml", ".yml"))
        problems = validate_profile(path)
        if problems:
            raise HTTPError(422, "invalid profile", problems_out(problems, folder))
        profile = load_profile(path).profile
        name = profile.name
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", name):
            raise HTTPError(
                422, "invalid profile", "A profile's name must be letters, digits, '.', '_', '-'."
            )
        files = _profile_files()
        data = path.read_bytes()
        created = True
        if name in files:
            existing, builtin = files[name]
            if builtin or existing.read_bytes() != data:
                why = "a built-in profile" if builtin else "another profile"
                raise HTTPError(
                    409, "name taken", f"{why} is named {name!r}: change 'name:' in the file."
                )
            created = False
        target = profiles_dir() / f"{name}.yaml"
        if created:
            target.parent.mkdir(parents=True, exist_ok=True)
            staged = target.with_suffix(".yaml.tmp")
            staged.write_bytes(data)
            os.replace(staged, target)
    out = UploadedProfile(
        **_profile_out(name, target, False).model_dump(),
        hash="sha256:" + hashlib.sha256(data).hexdigest(),
        created=created,
    )
    return JSONResponse(out.model_dump(), status_code=201 if created else 200)
