"""in-toto Statement v1: subjects (name + digest) and a predicate about them."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._errors import AttestationError

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://tianping.dev/assessment/v1"

_HEX64 = re.compile(r"[0-9a-f]{64}")


def canonical_json(obj: Any) -> bytes:
    """The bytes Tianping hashes and signs: sorted keys, no spaces, UTF-8 (not ``\\u`` escapes).

    Raises :class:`AttestationError` when ``obj`` is not JSON (a set, a datetime, NaN ...).
    """
    try:
        text = json.dumps(
            obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise AttestationError(f"not JSON-serialisable: {exc}") from exc
    return text.encode()


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in chunks (reports can be large)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Subject:
    """One thing a statement is about: a name and its sha256 (lowercase hex)."""

    name: str
    sha256: str

    def __post_init__(self) -> None:
        if not self.name:
            raise AttestationError("a subject needs a name")
        if not _HEX64.fullmatch(self.sha256):
            raise AttestationError(
                f"subject {self.name}: sha256 must be 64 lowercase hex digits, got {self.sha256!r}"
            )

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "digest": {"sha256": self.sha256}}


def file_subject(path: str | Path, name: str | None = None) -> Subject:
    """A subject for a file: sha256 of its bytes, named by its file name unless ``name`` is given.

    ``tianping verify`` finds a subject's file next to the attestation by this name.
    """
    p = Path(path)
    try:
        return Subject(name or p.name, sha256_file(p))
    except FileNotFoundError as exc:
        raise AttestationError(f"cannot make a subject of {p}: file not found") from exc
    except IsADirectoryError as exc:
        raise AttestationError(f"cannot make a subject of {p}: it is a directory") from exc
    except OSError as exc:
        raise AttestationError(f"cannot read {p}: {exc.strerror or exc}") from exc


def json_subject(name: str, obj: Any) -> Subject:
    """A subject for a JSON record (e.g. ``model:<spec>`` and the model's identity record):
    sha256 of its canonical JSON."""
    return Subject(name, hashlib.sha256(canonical_json(obj)).hexdigest())


def make_statement(
    subjects: Sequence[Subject],
    predicate: Mapping[str, Any],
    *,
    predicate_type: str = PREDICATE_TYPE,
) -> dict[str, Any]:
    """An in-toto Statement v1 about ``subjects`` (at least one; names unique).

    The predicate is copied through canonical JSON, so later changes to the caller's
    mapping do not reach the statement, and anything that is not JSON fails here.
    """
    if not subjects:
        raise AttestationError("a statement needs at least one subject")
    names = [s.name for s in subjects]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise AttestationError(f"duplicate subject name(s): {', '.join(dupes)}")
    if not isinstance(predicate, Mapping):
        raise AttestationError(
            f"the predicate must be a JSON object, got {type(predicate).__name__}"
        )
    return {
        "_type": STATEMENT_TYPE,
        "subject": [s.to_json() for s in subjects],
        "predicateType": predicate_type,
        "predicate": json.loads(canonical_json(dict(predicate))),
    }


def statement_problems(statement: Any) -> list[str]:
    """What keeps ``statement`` from being an in-toto Statement v1 (empty when it is one)."""
    if not isinstance(statement, dict):
        return [f"not an in-toto Statement v1 (a JSON {_json_kind(statement)}, not an object)"]
    kind = statement.get("_type")
    if kind != STATEMENT_TYPE:
        return [f"not an in-toto Statement v1 (_type is {kind!r})"]
    problems: list[str] = []
    subjects = statement.get("subject")
    if not isinstance(subjects, list) or not subjects:
        problems.append("statement has no subjects")
    else:
        for i, s in enumerate(subjects):
            ok = (
                isinstance(s, dict)
                and isinstance(s.get("name"), str)
                and isinstance(s.get("digest"), dict)
                and s["digest"]
                and all(isinstance(v, str) for v in s["digest"].values())
            )
            if not ok:
                problems.append(f"subject {i + 1} is malformed: needs a name and a digest")
    if not isinstance(statement.get("predicateType"), str):
        problems.append("statement has no predicateType")
    if "predicate" in statement and not isinstance(statement["predicate"], dict):
        problems.append("predicate is not a JSON object")
    return problems


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "null" if value is None else type(value).__name__
