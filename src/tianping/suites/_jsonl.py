"""Reading JSONL item files line by line, with every problem located."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tianping.core import Problem

from ._hash import Digest

Record = tuple[int, dict[str, Any]]
"""A record: its 1-based line number and the JSON object read there."""

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def utf16_problem(path: str, head: bytes) -> Problem | None:
    """A problem if ``head`` (a file's first bytes) starts with a UTF-16 byte-order mark."""
    if head.startswith(_UTF16_BOMS):
        return Problem(path, 1, "not UTF-8 (looks like UTF-16); save the file as UTF-8")
    return None


class Utf8Tracker:
    """Decodes lines as UTF-8, remembering the first failure and how many lines failed.

    One problem per file, not one per line: a whole file in GBK would otherwise
    bury every other problem.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._first: tuple[int, str] | None = None
        self._count = 0

    def decode(self, raw: bytes, line: int) -> str | None:
        """The line's text, or None when it is not UTF-8."""
        if line == 1 and raw.startswith(_UTF8_BOM):
            raw = raw[len(_UTF8_BOM) :]
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self._count += 1
            if self._first is None:
                col = len(raw[: exc.start].decode("utf-8", errors="replace")) + 1
                self._first = (line, f"byte 0x{raw[exc.start]:02x} at column {col}")
            return None

    def problem(self) -> Problem | None:
        """The file's encoding problem, if any line failed to decode."""
        if self._first is None:
            return None
        line, what = self._first
        more = f"; {self._count - 1} more line(s) also fail" if self._count > 1 else ""
        return Problem(
            self.path,
            line,
            f"not UTF-8: {what} cannot be decoded{more} "
            "(perhaps GBK/GB18030 or Latin-1; save the file as UTF-8)",
        )


def jsonl_records(path: Path, digest: Digest | None = None) -> Iterator[Record | Problem]:
    """Yield each non-blank line's JSON object, or a problem for each bad line.

    Every byte read is fed to ``digest`` when one is given, so the file is read
    once for both checking and hashing. Blank lines are skipped. A file that
    cannot be read, or is UTF-16, yields one problem and nothing else.
    """
    where = str(path)
    tracker = Utf8Tracker(where)
    try:
        with path.open("rb") as fh:
            for line, raw in enumerate(fh, start=1):
                if digest is not None:
                    digest.update(raw)
                if line == 1 and (bad := utf16_problem(where, raw)) is not None:
                    yield bad
                    return
                text = tracker.decode(raw, line)
                if text is None or not text.strip():
                    continue
                try:
                    obj = json.loads(text)
                except json.JSONDecodeError as exc:
                    yield Problem(where, line, f"invalid JSON: {exc.msg} at column {exc.colno}")
                    continue
                if not isinstance(obj, dict):
                    kind = type(obj).__name__ if obj is not None else "null"
                    yield Problem(where, line, f"not a JSON object (got {_json_kind(kind)})")
                    continue
                yield line, obj
    except OSError as exc:
        yield Problem(where, 0, f"cannot read the file: {exc.strerror or exc}")
        return
    if (bad := tracker.problem()) is not None:
        yield bad


def _json_kind(py_name: str) -> str:
    return {
        "list": "an array",
        "str": "a string",
        "int": "a number",
        "float": "a number",
        "bool": "a boolean",
    }.get(py_name, py_name)
