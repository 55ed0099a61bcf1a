"""The loaded suite: what it is, its content hash, and streaming its items."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from tianping.core import Item, Problem, SuiteError

from ._csv import CsvMap, csv_records
from ._hash import Digest
from ._jsonl import Record, jsonl_records
from ._manifest import SuiteManifest
from ._problems import item_messages


def records(
    path: Path, cmap: CsvMap | None, digest: Digest | None = None
) -> Iterator[Record | Problem]:
    """The records of one item file: CSV through its column map, else JSONL."""
    if cmap is not None:
        return csv_records(path, cmap, digest)
    return jsonl_records(path, digest)


@dataclass(frozen=True)
class Suite:
    """A validated suite. Items are not held in memory; :meth:`iter_items` reads them.

    ``source`` is the absolute path of what was loaded (manifest or ``.jsonl``);
    ``manifest`` is the effective manifest (``scorer`` inherited through
    ``include:``); ``files`` lists every item file, absolute, in load order;
    ``hash`` is ``"sha256:<hex>"`` over the suite's content, the same wherever
    the folder lies (see :mod:`tianping.suites._hash` for the exact definition).
    """

    name: str
    version: str
    source: str
    manifest: SuiteManifest
    hash: str
    n_items: int
    files: tuple[str, ...]
    _csv_maps: tuple[CsvMap | None, ...] = field(default=(), repr=False, compare=False)

    def iter_items(self) -> Iterator[Item]:
        """Read the items from disk again, in file order, one at a time.

        Raises :class:`SuiteError` if a file no longer validates (it changed
        since loading); compare ``hash`` with a fresh :func:`load_suite` to
        detect edits that still validate.
        """
        for i, name in enumerate(self.files):
            cmap = self._csv_maps[i] if i < len(self._csv_maps) else None
            for rec in records(Path(name), cmap):
                if isinstance(rec, Problem):
                    raise SuiteError([rec])
                line, obj = rec
                try:
                    yield Item.model_validate(obj)
                except ValidationError as exc:
                    raise SuiteError([Problem(name, line, m) for m in item_messages(exc)]) from None
