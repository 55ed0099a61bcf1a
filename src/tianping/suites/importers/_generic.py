"""Any bank in JSONL or CSV, through a field map: ``--map FIELD=COLUMN``, ``--set FIELD=VALUE``.

CSV goes through :class:`CsvMap` and the same row reader as :func:`import_csv`
(without ``--map``, the columns named like item fields are taken as they are).
JSONL records are items already, or with ``--map`` are read like CSV rows: a
mapped key missing from a record is a problem at its line, and text values of
``refuse``, ``choices``, ``tags``, ``messages``, ``meta`` and ``params`` are
converted as CSV cells are.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tianping.core import ConfigError, Item, Problem, SuiteError

from .._csv import CsvMap, _convert, csv_records
from .._jsonl import jsonl_records
from .._problems import describe_error
from ._base import Importer, ImportOptions, Record, one_file

_CONVERTED = frozenset({"refuse", "choices", "tags", "messages", "meta", "params"})


def parse_pairs(pairs: list[str], option: str) -> dict[str, str]:
    """``["a=b", ...]`` as a dict; a pair without ``=`` is a :class:`ConfigError`."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{option} takes FIELD=VALUE, not {pair!r}")
        out[key.strip()] = value
    return out


def convert_defaults(values: dict[str, str]) -> dict[str, Any]:
    """``--set`` values read as CSV cells are (``refuse=yes`` is True, ``tags=a|b`` a list)."""
    out: dict[str, Any] = {}
    for field, text in values.items():
        if field not in Item.model_fields:
            raise ConfigError(f"--set: {field!r} is not an item field")
        try:
            out[field] = _convert(field, text)
        except ValueError as exc:
            raise ConfigError(f"--set {field}: {exc}") from None
    return out


def column_map(where: str, options: ImportOptions, delimiter: str = ",") -> CsvMap:
    """The options as a validated :class:`CsvMap`, or a SuiteError naming the problem."""
    try:
        return CsvMap(columns=options.columns, defaults=options.defaults, delimiter=delimiter)
    except ValidationError as exc:
        msgs = [describe_error(err, lambda _loc: CsvMap.model_fields) for err in exc.errors()]
        raise SuiteError([Problem(where, 0, f"field map: {m}") for m in msgs]) from None


def _jsonl_file(path: Path) -> Path | Problem:
    return one_file(path, ("*.jsonl",), "JSONL")


def read_jsonl(path: Path, options: ImportOptions) -> Iterator[Record | Problem]:
    file = _jsonl_file(path)
    if isinstance(file, Problem):
        yield file
        return
    where = str(file)
    cmap = column_map(where, options) if options.columns else None
    for rec in jsonl_records(file):
        if isinstance(rec, Problem):
            yield rec
            continue
        line, obj = rec
        if cmap is None:
            yield where, line, {**options.defaults, **obj}
            continue
        data = dict(cmap.defaults)
        problems: list[str] = []
        for field, key in cmap.columns.items():
            if key not in obj:
                problems.append(f"missing key {key!r} (for {field!r})")
                continue
            value = obj[key]
            if value is None or value == "":
                continue
            try:
                data[field] = (
                    _convert(field, value)
                    if isinstance(value, str) and field in _CONVERTED
                    else value
                )
            except ValueError as exc:
                problems.append(f"key {key!r} (field {field!r}): {exc}")
        if problems:
            yield from (Problem(where, line, p) for p in problems)
        else:
            yield where, line, data


def read_csv(path: Path, options: ImportOptions) -> Iterator[Record | Problem]:
    file = one_file(path, ("*.csv", "*.tsv"), "CSV")
    if isinstance(file, Problem):
        yield file
        return
    where = str(file)
    delimiter = "\t" if file.suffix.lower() == ".tsv" else ","
    if not options.columns:
        # Without a map, columns named like item fields are those fields.
        with file.open(encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh, delimiter=delimiter), [])
        named = {h.strip(): h.strip() for h in header if h.strip() in Item.model_fields}
        options = ImportOptions(named, options.defaults)
    cmap = column_map(where, options, delimiter)
    for rec in csv_records(file, cmap):
        yield rec if isinstance(rec, Problem) else (where, rec[0], rec[1])


JSONL = Importer(
    name="jsonl",
    suite_name=None,
    licence=None,
    description="Items imported from JSONL by tianping suites import.",
    read=read_jsonl,
    takes_map=True,
)
CSV = Importer(
    name="csv",
    suite_name=None,
    licence=None,
    description="Items imported from CSV by tianping suites import.",
    read=read_csv,
    takes_map=True,
)
