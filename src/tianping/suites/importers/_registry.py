"""The import formats by name, and :func:`import_suite`."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from tianping.core import ConfigError, UnknownNameError

from . import _advbench, _donotanswer, _generic, _harmbench, _humaneval
from ._base import (
    Importer,
    ImportOptions,
    ImportResult,
    copy_licences,
    finish_out,
    prepare_out,
    write_items,
    write_manifest,
)

IMPORTERS: dict[str, Importer] = {
    imp.name: imp
    for imp in (
        _donotanswer.IMPORTER,
        _harmbench.IMPORTER,
        _advbench.IMPORTER,
        _humaneval.IMPORTER,
        _generic.JSONL,
        _generic.CSV,
    )
}


def importer_names() -> list[str]:
    """The formats ``import_suite`` reads."""
    return list(IMPORTERS)


def get_importer(name: str) -> Importer:
    """The importer of a format; :class:`UnknownNameError` (with suggestions) if none."""
    try:
        return IMPORTERS[name]
    except KeyError:
        raise UnknownNameError("import format", name, IMPORTERS) from None


def import_suite(
    fmt: str,
    path: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str] | None = None,
    name: str | None = None,
    licence: str | None = None,
    columns: dict[str, str] | None = None,
    defaults: dict[str, Any] | None = None,
) -> ImportResult:
    """Import a published bank as a suite folder; return what was written.

    ``fmt`` is one of :func:`importer_names`; ``path`` the source file (or the
    folder holding it). The folder ``out`` (default: the suite's name in the
    working directory; it must not exist, or be empty) gets ``suite.yaml``,
    ``items.jsonl`` and the licence files found beside the source. ``columns``
    (item field -> column or key) and ``defaults`` (fixed field values) apply
    to the ``jsonl`` and ``csv`` formats. Every problem in the source is
    reported at once, with file and line, as a :class:`SuiteError`, and then
    nothing is written.
    """
    importer = get_importer(fmt)
    if not importer.takes_map and (columns or defaults):
        raise ConfigError(f"--map and --set apply to the jsonl and csv formats, not {fmt}")
    source = Path(path)
    suite_name = name or importer.suite_name or source.stem.removesuffix(".jsonl")
    target = Path(out) if out is not None else Path(suite_name)
    options = ImportOptions(dict(columns or {}), dict(defaults or {}))
    tmp = prepare_out(target)
    try:
        done = write_items(importer.read(source, options), tmp / "items.jsonl")
        copied = copy_licences(source, tmp) if source.exists() else ()
        used_licence = licence or importer.licence
        manifest: dict[str, Any] = {
            "name": suite_name,
            "version": "1",
            "description": f"{importer.description} Source: {_names(done.sources)}.",
        }
        if used_licence:
            manifest["licence"] = used_licence
        if importer.languages:
            manifest["languages"] = list(importer.languages)
        if importer.scorer:
            manifest["scorer"] = importer.scorer
        manifest["items"] = ["items.jsonl"]
        write_manifest(tmp / "suite.yaml", manifest)
        finish_out(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return ImportResult(
        out=str(target),
        name=suite_name,
        source=str(source),
        items=done.items,
        should_refuse=done.should_refuse,
        with_risk=done.with_risk,
        licence=used_licence,
        licence_files=copied,
    )


def _names(files: list[str]) -> str:
    names = [Path(f).name for f in files]
    return names[0] if len(names) == 1 else f"{len(names)} files ({', '.join(names)})"
