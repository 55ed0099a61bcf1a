"""``/suites``: list, inspect, and upload (assessors and above); the upload helpers.

An upload is read into a temporary folder (at most :data:`MAX_UPLOAD_BYTES`), checked
with the same validators as ``tianping suites validate`` / ``profiles validate``, and
stored only when valid: problems come back with their file and line, and nothing is kept.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ..core import Item, Problem
from ..store import SuiteRecord
from ..store._tables import suites
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
    store_of,
)
from ._auth import HTTPError

router = APIRouter(tags=["suites"], responses=ERRORS)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class SuiteOut(BaseModel):
    hash: str
    name: str
    version: str
    source: str
    items: int
    created_at: float | None = None


class BuiltinSuiteOut(BaseModel):
    name: str
    path: str


class SuiteStatsOut(BaseModel):
    name: str
    version: str
    items: int
    by: dict[str, dict[str, int]]


class ProblemOut(BaseModel):
    path: str
    line: int
    message: str


class UploadedSuite(SuiteOut):
    created: bool


async def receive_upload(upload: UploadFile, folder: Path, suffixes: tuple[str, ...]) -> Path:
    """Copy an upload into ``folder`` under its own (sanitised) name, within the size limit."""
    name = _SAFE_NAME.sub("_", Path(upload.filename or "upload").name).strip("._") or "upload"
    if not name.lower().endswith(suffixes):
        raise HTTPError(
            415, "unsupported file", f"Upload a {' or '.join(suffixes)} file, not {name!r}."
        )
    path = folder / name
    size = 0
    with path.open("wb") as out:
        while chunk := await upload.read(1 << 20):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise HTTPError(
                    413,
                    "upload too large",
                    f"The file is over {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.",
                )
            out.write(chunk)
    if size == 0:
        raise HTTPError(422, "empty upload", f"{name} is empty.")
    return path


def problems_out(problems: list[Problem], folder: Path) -> list[dict[str, Any]]:
    """Problems located in the uploaded file's own name, not the temporary folder."""
    prefix = str(folder) + os.sep
    return [
        ProblemOut(path=p.path.removeprefix(prefix), line=p.line, message=p.message).model_dump()
        for p in problems[:200]
    ]


@router.get("/suites", response_model=Page[SuiteOut], summary="Suites in the database")
def list_suites(
    request: Request, _user: Viewer, limit: Limit = 50, cursor: Cursor = None
) -> Page[SuiteOut]:
    """The suites stored in the database (run by an assessment, or uploaded), by name."""
    from sqlalchemy import and_, or_, select

    key = decode_cursor(cursor, (str, str))
    c = suites.c
    q = select(c.hash, c.name, c.version, c.source, c.n_items, c.created_at)
    if key is not None:
        q = q.where(or_(c.name > key[0], and_(c.name == key[0], c.hash > key[1])))
    q = q.order_by(c.name, c.hash).limit(limit + 1)
    with store_of(request).engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    items = [
        SuiteOut(
            hash=r["hash"],
            name=r["name"],
            version=r["version"],
            source=r["source"],
            items=r["n_items"],
            created_at=r["created_at"],
        )
        for r in rows
    ]
    page, nxt = page_of(request, items, limit, lambda s: [s.name, s.hash])
    return Page[SuiteOut](items=page, next=nxt)


@router.get(
    "/suites/builtin", response_model=Page[BuiltinSuiteOut], summary="Suites shipped with Tianping"
)
def list_builtin_suites(
    request: Request, _user: Viewer, limit: Limit = 50, cursor: Cursor = None
) -> Page[BuiltinSuiteOut]:
    from ..suites import builtin_suites

    key = decode_cursor(cursor, (str,))
    found = [
        BuiltinSuiteOut(name=n, path=str(p))
        for n, p in sorted(builtin_suites().items())
        if key is None or n > key[0]
    ]
    page, nxt = page_of(request, found[: limit + 1], limit, lambda s: [s.name])
    return Page[BuiltinSuiteOut](items=page, next=nxt)


@router.get(
    "/suites/builtin/{name}/stats",
    response_model=SuiteStatsOut,
    summary="Counts of a built-in suite's items",
)
def builtin_suite_stats(name: str, _user: Viewer) -> SuiteStatsOut:
    from ..core import UnknownNameError
    from ..suites import builtin_suites, suite_stats

    known = builtin_suites()
    if name not in known:
        raise UnknownNameError("built-in suite", name, known)
    stats = suite_stats(known[name])
    return SuiteStatsOut(name=stats.name, version=stats.version, items=stats.items, by=stats.by)


@router.get("/suites/{suite_hash}", response_model=SuiteOut, summary="One stored suite")
def get_suite(request: Request, suite_hash: str, _user: Viewer) -> SuiteOut:
    store = store_of(request)
    if not store.has_suite(suite_hash):
        raise HTTPError(404, "not found", f"No suite {suite_hash} in the database.")
    s = store.get_suite(suite_hash)
    return SuiteOut(hash=s.hash, name=s.name, version=s.version, source=s.source, items=s.n_items)


@router.get(
    "/suites/{suite_hash}/stats",
    response_model=SuiteStatsOut,
    summary="Counts of a stored suite's items",
)
def stored_suite_stats(request: Request, suite_hash: str, _user: Viewer) -> SuiteStatsOut:
    """Counts by risk, category, language, form, attack, aspect, scenario and refuse."""
    from ..suites._stats import count_items

    store = store_of(request)
    if not store.has_suite(suite_hash):
        raise HTTPError(404, "not found", f"No suite {suite_hash} in the database.")
    s = store.get_suite(suite_hash)
    items = (
        Item.model_validate_json(data)
        for page in store.iter_suite_items(suite_hash)
        for _pos, _id, data in page
    )
    total, by = count_items(items)
    return SuiteStatsOut(name=s.name, version=s.version, items=total, by=by)


@router.post(
    "/suites",
    response_model=UploadedSuite,
    status_code=201,
    summary="Upload a suite",
    responses={
        413: {"model": ErrorBody, "description": "Over 20 MB."},
        415: {"model": ErrorBody, "description": "Not a .jsonl file."},
        422: {"model": ErrorBody, "description": "Invalid suite: every problem, file and line."},
    },
)
async def upload_suite(
    request: Request,
    _user: Assessor,
    file: Annotated[UploadFile, File(description="The items, one JSON object a line.")],
    name: Annotated[str | None, Form(max_length=200)] = None,
    version: Annotated[str, Form(max_length=100)] = "1",
    scorer: Annotated[str | None, Form(max_length=100)] = None,
    description: Annotated[str, Form(max_length=2000)] = "",
) -> Any:
    """A JSONL item file becomes a stored suite, if every item is valid. The suite is
    named ``name`` (default: the file's stem). An identical suite is not stored twice."""
    from ..suites import load_suite, validate_suite

    with tempfile.TemporaryDirectory(prefix="tianping-upload-") as tmp:
        folder = Path(tmp)
        items = await receive_upload(file, folder, (".jsonl",))
        manifest: dict[str, Any] = {
            "name": (name or items.stem).strip() or items.stem,
            "version": version,
            "description": description,
            "items": [items.name],
        }
        if scorer:
            manifest["scorer"] = scorer
        (folder / "suite.yaml").write_text(
            yaml.safe_dump(manifest, allow_unicode=True), encoding="utf-8"
        )
        problems = validate_suite(folder / "suite.yaml")
        if problems:
            raise HTTPError(422, "invalid suite", problems_out(problems, folder))
        loaded = load_suite(folder / "suite.yaml")
        store = store_of(request)
        created = not store.has_suite(loaded.hash)
        if created:
            store.save_suite(
                SuiteRecord(
                    hash=loaded.hash,
                    name=loaded.name,
                    version=loaded.version,
                    source=f"upload:{items.name}",
                    manifest=loaded.manifest.model_dump(mode="json"),
                    n_items=loaded.n_items,
                ),
                ((it.id, it.model_dump_json(exclude_defaults=True)) for it in loaded.iter_items()),
            )
    saved = store.get_suite(loaded.hash)
    body = UploadedSuite(
        hash=saved.hash,
        name=saved.name,
        version=saved.version,
        source=saved.source,
        items=saved.n_items,
        created=created,
    )
    return JSONResponse(body.model_dump(), status_code=201 if created else 200)
