"""From what the caller named to the ordered list of item files: lookup and ``include:``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from tianping.core import Problem

from ._builtin import builtin_suites, manifest_in
from ._csv import CsvMap
from ._manifest import SuiteManifest, read_manifest
from ._problems import did_you_mean

_MANIFEST_SUFFIXES = (".yaml", ".yml")
_ITEM_SUFFIXES = (".jsonl", ".csv")


@dataclass(frozen=True)
class ItemFile:
    """One item file of a suite: absolute path, path relative to its manifest, column map."""

    path: Path
    rel: str
    csv: CsvMap | None


@dataclass
class Plan:
    """What a suite consists of, before its item files are read."""

    source: Path | None = None
    manifest: SuiteManifest | None = None
    files: list[ItemFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def short(self, path: str) -> str:
        """``path`` relative to the suite's folder where it lies inside it."""
        if self.source is not None:
            try:
                return Path(path).relative_to(self.source.parent).as_posix()
            except ValueError:
                pass
        return path


def _absolute(path: Path) -> Path:
    # Lexical, not resolve(): keep the caller's symlinked layout in what we show.
    return Path(os.path.abspath(path))


def _locate(path_or_name: str | os.PathLike[str]) -> tuple[Path | None, list[Problem]]:
    given = os.fspath(path_or_name)
    path = Path(given)
    if path.is_dir():
        manifest = manifest_in(path)
        if manifest is None:
            return None, [Problem(given, 0, "this folder has no suite.yaml")]
        return _absolute(manifest), []
    if path.exists():
        return _absolute(path), []
    looks_like_name = not isinstance(path_or_name, os.PathLike) and not (
        {"/", os.sep} & set(given) or path.suffix.lower() in (*_MANIFEST_SUFFIXES, *_ITEM_SUFFIXES)
    )
    if looks_like_name:
        builtins = builtin_suites()
        if given in builtins:
            return builtins[given], []
        known = ", ".join(sorted(builtins)) or "(none)"
        msg = (
            f"no such file, and no built-in suite named {given!r}"
            f"{did_you_mean(given, builtins)}; built-in suites: {known}"
        )
        return None, [Problem(given, 0, msg)]
    return None, [Problem(given, 0, "no such file")]


class _Expander:
    def __init__(self) -> None:
        self.files: list[ItemFile] = []
        self.problems: list[Problem] = []
        self.declared = 0
        self._done: set[Path] = set()

    def expand(self, path: Path, stack: tuple[Path, ...]) -> SuiteManifest | None:
        read = read_manifest(path)
        self.problems.extend(read.problems)
        # An invalid items:/include: is already reported; "no item files" would be noise.
        self.declared += len({"items", "include"} & read.dropped)
        manifest = read.manifest
        if manifest is None:
            return None
        where, folder, key = str(path), path.parent, path.resolve()
        self._done.add(key)
        inherited: str | None = None
        for i, entry in enumerate(manifest.include):
            line = read.line_of("include", i)
            target = _absolute(folder / entry)
            target_key = target.resolve()
            chain = (*stack, key)
            if target_key in chain:
                # Named from the top suite's folder: most manifests are called suite.yaml.
                base = chain[0].parent
                loop = [*chain[chain.index(target_key) :], target_key]
                names = [Path(os.path.relpath(p, base)).as_posix() for p in loop]
                msg = f"include cycle: {' -> '.join(names)}"
                self.problems.append(Problem(where, line, msg))
            elif target.suffix.lower() not in _MANIFEST_SUFFIXES:
                msg = f"include {entry!r} is not a manifest (.yaml or .yml)"
                self.problems.append(Problem(where, line, msg))
            elif not target.is_file():
                self.problems.append(Problem(where, line, f"include not found: {entry!r}"))
            elif target_key not in self._done:  # a suite reached twice (a diamond) counts once
                sub = self.expand(target, chain)
                if inherited is None and sub is not None:
                    inherited = sub.scorer
        for i, entry in enumerate(manifest.items):
            self.declared += 1
            self._item(where, folder, entry, read.line_of("items", i), manifest.csv)
        if manifest.scorer is None and inherited is not None:
            manifest = manifest.model_copy(update={"scorer": inherited})
        return manifest

    def _item(self, where: str, folder: Path, entry: str, line: int, cmap: CsvMap | None) -> None:
        target = _absolute(folder / entry)
        suffix = target.suffix.lower()
        if suffix not in _ITEM_SUFFIXES:
            msg = f"item file {entry!r} must be .jsonl or .csv"
            self.problems.append(Problem(where, line, msg))
        elif not target.is_file():
            self.problems.append(Problem(where, line, f"item file not found: {entry!r}"))
        elif suffix == ".csv" and cmap is None:
            msg = f"item file {entry!r} is CSV, but the manifest has no 'csv:' column map"
            self.problems.append(Problem(where, line, msg))
        else:
            rel = Path(os.path.relpath(target, folder)).as_posix()
            self.files.append(ItemFile(target, rel, cmap if suffix == ".csv" else None))


def make_plan(path_or_name: str | os.PathLike[str]) -> Plan:
    """Find the suite and list its item files in load order, with any problems so far."""
    source, problems = _locate(path_or_name)
    if source is None:
        return Plan(problems=problems)
    suffix = source.suffix.lower()
    if suffix == ".jsonl":
        manifest = SuiteManifest(name=source.stem, items=[source.name])
        return Plan(source, manifest, [ItemFile(source, source.name, None)])
    if suffix == ".csv":
        msg = "a CSV file is loaded through a manifest with a 'csv:' column map"
        return Plan(source, problems=[Problem(str(source), 0, msg)])
    if suffix not in _MANIFEST_SUFFIXES:
        msg = "not a suite: give a .yaml manifest, a .jsonl file, a suite folder or a built-in name"
        return Plan(source, problems=[Problem(str(source), 0, msg)])
    expander = _Expander()
    top = expander.expand(source, ())
    if top is not None and expander.declared == 0:
        msg = "the suite has no item files: list some under 'items:' or 'include:' a suite"
        expander.problems.append(Problem(str(source), 0, msg))
    return Plan(source, top, expander.files, expander.problems)
