"""Suite manifests: the YAML file that names a suite and lists its item files."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError

from tianping.core import Problem

from .._yaml import compose
from ._csv import CsvMap
from ._problems import describe_error

if TYPE_CHECKING:
    pass


class SuiteManifest(BaseModel):
    """What a suite's ``suite.yaml`` says.

    ``items`` and ``include`` are paths relative to the manifest's folder:
    ``items`` lists ``.jsonl`` or ``.csv`` item files (a ``.csv`` needs the
    ``csv`` column map); ``include`` lists other manifests whose items come
    first, in order. ``scorer`` names the default scorer; when unset it is
    inherited from the first included suite that sets one. ``license`` is
    accepted for ``licence``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    version: str = "0"
    description: str = ""
    licence: str | None = Field(default=None, validation_alias=AliasChoices("licence", "license"))
    languages: list[str] = Field(default_factory=list)
    scorer: str | None = None
    items: list[str] = Field(default_factory=list)
    include: list[str] = Field(default_factory=list)
    csv: CsvMap | None = None


_KNOWN_KEYS = (*SuiteManifest.model_fields, "license")
# YAML reads `version: 2026.10` as the float 2026.1; these keys keep the text as written.
_TEXT_KEYS = ("name", "version")


def _known(loc: tuple[int | str, ...]) -> Iterable[str]:
    return CsvMap.model_fields if loc[:1] == ("csv",) else _KNOWN_KEYS


@dataclass
class ManifestRead:
    """A manifest as read: the model, its problems, and entry lines.

    ``manifest`` is None only when nothing usable could be read; with problems
    it holds what was valid (placeholders for the rest, the invalid keys named
    in ``dropped``), so that the item files can still be checked in the same pass.

    ``lines`` gives, for ``items`` and ``include``, the line of each entry, so
    a missing file is reported where it is named.
    """

    manifest: SuiteManifest | None
    problems: list[Problem] = field(default_factory=list)
    lines: dict[str, list[int]] = field(default_factory=dict)
    dropped: set[str] = field(default_factory=set)

    def line_of(self, key: str, index: int) -> int:
        """The line of entry ``index`` of list ``key`` (0 if unknown)."""
        lines = self.lines.get(key, [])
        return lines[index] if index < len(lines) else 0


def read_manifest(path: Path) -> ManifestRead:
    """Read and validate one manifest file, without following its includes."""
    import yaml

    where = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return ManifestRead(None, [Problem(where, 0, f"cannot read the manifest: {exc.strerror}")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return ManifestRead(None, [Problem(where, line, "not UTF-8; save the manifest as UTF-8")])
    node, data, problems = compose(where, text)
    if problems:
        return ManifestRead(None, problems)
    if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
        got = "an empty file" if data is None else f"a {type(data).__name__}"
        line = node.start_mark.line + 1 if node is not None else 0
        msg = f"a manifest must be a YAML mapping (name:, items:, ...), not {got}"
        return ManifestRead(None, [Problem(where, line, msg)])

    key_lines: dict[str, int] = {}
    read = ManifestRead(None)
    for key_node, value_node in node.value:
        key = str(key_node.value)
        line = key_node.start_mark.line + 1
        if key in key_lines:
            read.problems.append(Problem(where, line, f"key {key!r} appears twice"))
        key_lines.setdefault(key, line)
        if key in _TEXT_KEYS and isinstance(value_node, yaml.ScalarNode):
            value = data.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                data[key] = value_node.value
        if key in ("items", "include") and isinstance(value_node, yaml.SequenceNode):
            read.lines[key] = [n.start_mark.line + 1 for n in value_node.value]
    if "licence" in data and "license" in data:
        msg = "both 'licence' and 'license' given; keep one"
        read.problems.append(Problem(where, key_lines["license"], msg))
        del data["license"]
    if "name" not in data:
        read.problems.append(Problem(where, 0, "missing key 'name' (the suite's name)"))
        data["name"] = path.parent.name or "unnamed"
    try:
        read.manifest = SuiteManifest.model_validate(data)
    except ValidationError as exc:
        bad = {str(err["loc"][0]) for err in exc.errors() if err["loc"]}
        for err in exc.errors():
            line = key_lines.get(str(err["loc"][0]), 0) if err["loc"] else 0
            read.problems.append(Problem(where, line, describe_error(err, _known)))
        # Keep going without the bad keys, so the item files are still checked
        # and every problem is reported in one pass.
        read.dropped = bad
        rest = {k: v for k, v in data.items() if k not in bad}
        rest.setdefault("name", path.parent.name or "unnamed")
        with contextlib.suppress(ValidationError):
            read.manifest = SuiteManifest.model_validate(rest)
    return read
