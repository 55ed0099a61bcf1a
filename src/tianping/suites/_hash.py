"""The suite hash: a sha256 over a canonical, location-independent serialisation.

The hashed text is, line by line::

    tianping-suite-hash v1
    file ["items.jsonl", "<sha256 of the file's bytes>", null]
    file ["extra/more.csv", "<sha256>", {"columns": {...}, "defaults": {...}, "delimiter": ","}]
    suite {"name": "...", "scorer": null, "version": "..."}

with one ``file`` line per item file in load order (included suites' files
first), each named by its path relative to the folder of the manifest that
lists it, in POSIX form. A CSV file also carries its column map, since the map
decides what items the bytes become. The whole is UTF-8 JSON with sorted keys.
Moving or copying a suite folder therefore keeps its hash; changing any byte
of any item file, a file's name, the order of files, a column map, or the
suite's name, version or default scorer changes it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Protocol

_HEADER = b"tianping-suite-hash v1\n"


class Digest(Protocol):
    """A running digest of one file's bytes (a ``hashlib`` object)."""

    def update(self, data: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


def _canon(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


class SuiteHasher:
    """Builds the suite hash one file at a time (see the module docstring)."""

    def __init__(self) -> None:
        self._outer = hashlib.sha256(_HEADER)

    @staticmethod
    def file_digest() -> Digest:
        """A fresh digest to feed one file's bytes into; pass it back to ``add_file``."""
        return hashlib.sha256()

    def add_file(self, rel: str, digest: Digest, csv_map: dict[str, Any] | None) -> None:
        """Record one item file: its relative path, its bytes' digest and any column map."""
        self._outer.update(b"file " + _canon([rel, digest.hexdigest(), csv_map]) + b"\n")

    def finish(self, name: str, version: str, scorer: str | None) -> str:
        """The hash, ``"sha256:<hex>"``, once every file has been added."""
        meta = {"name": name, "scorer": scorer, "version": version}
        self._outer.update(b"suite " + _canon(meta) + b"\n")
        return f"sha256:{self._outer.hexdigest()}"
