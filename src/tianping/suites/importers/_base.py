"""What every importer shares: the importer record, risk mapping, and writing the suite folder.

An importer reads a published bank and yields item records, each with the
file and line it came from, or a :class:`Problem`. :func:`write_suite`
validates every record as an Item, and only when all are valid writes the
folder (``suite.yaml``, ``items.jsonl`` and the source's licence files),
through a temporary folder renamed at the end, so a failed import writes
nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tianping.core import ConfigError, Problem, SuiteError

from .._problems import ItemChecker

Record = tuple[str, int, dict[str, Any]]
"""An item record: the file it was read from, its 1-based line, and the item's fields."""

LICENCE_PREFIXES = ("license", "licence", "notice", "copying")


@dataclass(frozen=True)
class ImportOptions:
    """What the caller adds to an import: a field map and fixed field values (jsonl, csv)."""

    columns: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)


Reader = Callable[[Path, ImportOptions], Iterator[Record | Problem]]


@dataclass(frozen=True)
class Importer:
    """One import format: how to read it, and what its suites say about themselves.

    ``licence`` is the source's licence (None: the caller names it);
    ``takes_map`` says whether ``--map``/``--set`` apply.
    """

    name: str
    suite_name: str | None
    licence: str | None
    description: str
    read: Reader
    scorer: str | None = None
    languages: tuple[str, ...] = ()
    takes_map: bool = False


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote."""

    out: str
    name: str
    source: str
    items: int
    should_refuse: int
    with_risk: int
    licence: str | None
    licence_files: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["licence_files"] = list(self.licence_files)
        return data

    def __str__(self) -> str:
        lines = [f"imported {self.items} items from {self.source} into {self.out} ({self.name})"]
        if self.should_refuse:
            lines.append(
                f"{self.should_refuse} should-refuse items; risk id set on {self.with_risk}, "
                f"{self.items - self.with_risk} without one (see meta.source_category)"
            )
        copied = ", ".join(self.licence_files) or "no licence file found beside the source"
        lines.append(f"licence: {self.licence or '(not given)'}; copied: {copied}")
        return "\n".join(lines)


def agreed_risk(labels: Iterable[str], table: Mapping[str, tuple[str | None, str]]) -> str | None:
    """The risk id the labels map to, when every mapped label agrees on one; else None."""
    risks = {table[label][0] for label in labels if label in table} - {None}
    return risks.pop() if len(risks) == 1 else None


def one_file(path: Path, patterns: tuple[str, ...], what: str) -> Path | Problem:
    """``path`` itself, or the single file in folder ``path`` matching one of ``patterns``."""
    if not path.exists():
        return Problem(str(path), 0, "no such file or folder")
    if path.is_file():
        return path
    found = sorted({p for pattern in patterns for p in path.glob(pattern) if p.is_file()})
    if len(found) == 1:
        return found[0]
    names = ", ".join(p.name for p in found) or "none"
    want = " or ".join(patterns)
    return Problem(str(path), 0, f"expected one {what} file ({want}) in this folder, found {names}")


def licence_files(source: Path) -> list[Path]:
    """The LICENSE/LICENCE/NOTICE/COPYING files in the source's folder."""
    folder = source if source.is_dir() else source.parent
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.name.lower().startswith(LICENCE_PREFIXES)
    )


def prepare_out(out: Path) -> Path:
    """A fresh temporary folder beside ``out``, once ``out`` is known to be free."""
    if out.exists() and not (out.is_dir() and not any(out.iterdir())):
        raise ConfigError(f"{out} already exists and is not empty; choose another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))


def finish_out(tmp: Path, out: Path) -> None:
    """Move the finished temporary folder into place."""
    if out.exists():
        out.rmdir()
    os.replace(tmp, out)


@dataclass
class Written:
    """Counts of what :func:`write_items` wrote, and the source files it read, in order."""

    items: int = 0
    should_refuse: int = 0
    with_risk: int = 0
    sources: list[str] = field(default_factory=list)


def write_items(records: Iterable[Record | Problem], target: Path) -> Written:
    """Validate every record and write the items as JSONL.

    Raises :class:`SuiteError` with every problem (file:line) if any record is invalid.
    """
    checker = ItemChecker()
    done = Written()
    with target.open("w", encoding="utf-8", newline="\n") as fh:
        for rec in records:
            if isinstance(rec, Problem):
                checker.problems.append(rec)
                continue
            source, line, obj = rec
            if source not in done.sources:
                done.sources.append(source)
            item = checker.check(obj, source, line)
            if item is None or checker.problems:
                continue
            data = item.model_dump(mode="json", exclude_defaults=True)
            fh.write(json.dumps(data, ensure_ascii=False) + "\n")
            done.items += 1
            done.should_refuse += item.refuse is True
            done.with_risk += item.risk is not None
    if not checker.problems and done.items == 0:
        where = done.sources[0] if done.sources else str(target)
        checker.problems.append(Problem(where, 0, "no items found"))
    if checker.problems:
        raise SuiteError(checker.problems)
    return done


def write_manifest(path: Path, data: dict[str, Any]) -> None:
    import yaml

    path.write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100), encoding="utf-8"
    )


def copy_licences(source: Path, folder: Path) -> tuple[str, ...]:
    """Copy the source's licence files into ``folder``; their names."""
    copied: list[str] = []
    for lic in licence_files(source):
        shutil.copyfile(lic, folder / lic.name)
        copied.append(lic.name)
    return tuple(copied)
