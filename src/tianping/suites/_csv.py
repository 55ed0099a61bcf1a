"""CSV item files: the column map and reading rows as item records."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tianping.core import Item, Problem

from ._hash import Digest
from ._jsonl import Record, Utf8Tracker, utf16_problem
from ._problems import did_you_mean

_TRUE = frozenset({"yes", "y", "true", "t", "1", "是", "对", "真"})
_FALSE = frozenset({"no", "n", "false", "f", "0", "否", "错", "假"})


class _Reader(Protocol):
    # What we use of a csv.reader; its concrete class is private to _csv.
    line_num: int

    def __next__(self) -> list[str]: ...


class CsvMap(BaseModel):
    """How CSV columns become item fields.

    ``columns`` maps an Item field to the CSV column holding it (it must map
    ``id`` and one of ``prompt`` or ``messages``); ``defaults`` gives fields that
    are the same on every row (a ``risk`` or ``lang``, say) and applies where a
    mapped cell is empty. Cells are read as: ``refuse`` yes/no, true/false, 1/0
    or 是/否; ``choices`` a JSON array or ``|``-separated; ``tags``
    ``|``-separated; ``messages`` a JSON array; ``meta`` and ``params`` JSON
    objects; anything else as text.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    columns: dict[str, str]
    delimiter: str = ","
    defaults: dict[str, Any] = Field(default_factory=dict)

    @field_validator("columns", "defaults")
    @classmethod
    def _item_fields(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            if name not in Item.model_fields:
                raise ValueError(
                    f"{name!r} is not an item field{did_you_mean(name, Item.model_fields)}"
                )
        return value

    @field_validator("delimiter")
    @classmethod
    def _one_char(cls, value: str) -> str:
        if len(value) != 1:
            raise ValueError(f"the delimiter must be one character, not {value!r}")
        return value

    @model_validator(mode="after")
    def _has_input(self) -> CsvMap:
        if "id" not in self.columns:
            raise ValueError("the column map must map 'id' to a column")
        if "prompt" not in self.columns and "messages" not in self.columns:
            raise ValueError("the column map must map 'prompt' or 'messages' to a column")
        return self


def _json_cell(text: str, want: type, what: str) -> Any:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(value, want):
        raise ValueError(f"should be a JSON {what}")
    return value


def _convert(field: str, text: str) -> Any:
    if field == "refuse":
        key = text.strip().lower()
        if key in _TRUE or key in _FALSE:
            return key in _TRUE
        raise ValueError(f"cannot read {text!r} as yes/no (use yes/no, true/false, 1/0 or 是/否)")
    if field == "choices":
        if text.lstrip().startswith("["):
            return _json_cell(text, list, "array")
        return [part.strip() for part in text.split("|")]
    if field == "tags":
        return [part.strip() for part in text.split("|") if part.strip()]
    if field == "messages":
        return _json_cell(text, list, "array")
    if field in ("meta", "params"):
        return _json_cell(text, dict, "object")
    return text


def _check_bytes(path: Path, digest: Digest | None) -> Problem | None:
    # CSV records may span lines, so encoding is checked (and the bytes hashed)
    # in a first pass where a line number is still meaningful.
    tracker = Utf8Tracker(str(path))
    with path.open("rb") as fh:
        for line, raw in enumerate(fh, start=1):
            if digest is not None:
                digest.update(raw)
            if line == 1 and (bad := utf16_problem(str(path), raw)) is not None:
                return bad
            tracker.decode(raw, line)
    return tracker.problem()


def csv_records(
    path: Path, cmap: CsvMap, digest: Digest | None = None
) -> Iterator[Record | Problem]:
    """Yield each data row as an item record (line = the row's first line), or its problems.

    Row 1 is the header. Blank rows are skipped. Cells are converted as
    :class:`CsvMap` describes; the records still need validating as Items.
    """
    where = str(path)
    try:
        bad = _check_bytes(path, digest)
        if bad is not None:
            yield bad
            return
        with path.open(encoding="utf-8-sig", newline="") as fh:
            yield from _rows(where, csv.reader(fh, delimiter=cmap.delimiter, strict=True), cmap)
    except OSError as exc:
        yield Problem(where, 0, f"cannot read the file: {exc.strerror or exc}")


def _rows(where: str, reader: _Reader, cmap: CsvMap) -> Iterator[Record | Problem]:
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        return
    except csv.Error as exc:
        yield Problem(where, 1, f"bad CSV header: {exc}")
        return
    missing = [
        f"{col!r} (for {field!r})" for field, col in cmap.columns.items() if col not in header
    ]
    if missing:
        yield Problem(
            where,
            1,
            f"missing column(s) {', '.join(missing)}; the header has: {', '.join(header)}",
        )
        return
    index = {field: header.index(col) for field, col in cmap.columns.items()}
    prev = reader.line_num
    while True:
        try:
            row: list[str] = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Problem(where, prev + 1, f"bad CSV row: {exc}")
            prev = reader.line_num
            continue
        start, prev = prev + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield Problem(
                where, start, f"row has {len(row)} cells but the header has {len(header)}"
            )
            continue
        obj = dict(cmap.defaults)
        ok = True
        for field, i in index.items():
            cell = row[i]
            if not cell.strip():
                continue
            try:
                obj[field] = _convert(field, cell)
            except ValueError as exc:
                ok = False
                col = cmap.columns[field]
                yield Problem(where, start, f"column {col!r} (field {field!r}): {exc}")
        if ok:
            yield start, obj
