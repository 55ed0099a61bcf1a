"""Vendor presets: base URL, key variable and quirks, read from ``presets.yaml``.

A vendor's quirks are data, not branches in the adapter: which parameters it
renames, drops or clamps, and which error codes mean a content-safety block,
an exhausted quota or a rate limit. Users can override any field with
``--presets FILE`` or the ``TIANPING_PRESETS`` variable (same format; entries
merge over the built-ins by name).
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..core import ConfigError, UnknownNameError

Meaning = Literal["content_filter", "quota", "rate_limit", "auth", "server", "reject"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ErrorRule(_Strict):
    """Classify a response. Every given condition must hold; codes allow a ``*`` suffix."""

    status: tuple[int, ...] | None = None
    code: tuple[str, ...] | None = None
    message: tuple[str, ...] | None = None
    means: Meaning

    @field_validator("status", "message", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        if value is None or isinstance(value, list | tuple):
            return value
        return [value]

    @field_validator("code", mode="before")
    @classmethod
    def _codes_as_text(cls, value: Any) -> Any:
        # One code or a list; numeric codes (Zhipu 1301) are compared as text.
        if value is None:
            return None
        values = value if isinstance(value, list | tuple) else [value]
        return [str(v) for v in values]

    def matches(self, status: int, codes: list[str], message: str) -> bool:
        if self.status is not None and status not in self.status:
            return False
        if self.code is not None and not any(_code_match(p, c) for p in self.code for c in codes):
            return False
        if self.message is not None:
            low = message.lower()
            if not any(m.lower() in low for m in self.message):
                return False
        return True


def _code_match(pattern: str, code: str) -> bool:
    if pattern.endswith("*"):
        return code.startswith(pattern[:-1])
    return code == pattern


class ParamRule(_Strict):
    """Parameter changes for the models whose name matches ``match`` (a regex)."""

    match: str = ".*"
    rename: dict[str, str] = Field(default_factory=dict)
    drop: tuple[str, ...] = ()
    set: dict[str, Any] = Field(default_factory=dict)
    temperature: tuple[float, float] | None = None
    temperature_exclusive: tuple[bool, bool] = (False, False)
    max_tokens_limit: int | None = None

    @field_validator("match")
    @classmethod
    def _regex(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"bad regex {value!r}: {exc}") from exc
        return value


class Preset(_Strict):
    """A named vendor endpoint."""

    vendor: str
    title: str
    base_url: str
    key_env: str | None = None
    key_required: bool = True
    auth_header: str = "Authorization"
    auth_scheme: str = "Bearer"
    headers: dict[str, str] = Field(default_factory=dict)
    example_models: tuple[str, ...] = ()
    params: tuple[ParamRule, ...] = ()
    errors: tuple[ErrorRule, ...] = ()
    refusal_finish_reasons: tuple[str, ...] = ("content_filter", "sensitive")
    code_paths: tuple[str, ...] = ()
    rpm: int | None = None
    quirks: tuple[str, ...] = ()
    confidence: str = ""


class PresetFile(_Strict):
    #: Rules tried after each preset's own (for conventions many vendors share).
    default_errors: tuple[ErrorRule, ...] = ()
    presets: dict[str, Preset]


BUILTIN = Path(__file__).with_name("presets.yaml")


def _read(path: Path) -> dict[str, Any]:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"Cannot read presets file {path}: {exc}") from exc
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with a 'presets' key")
    return data


def _parse(path: Path, data: dict[str, Any]) -> PresetFile:
    try:
        return PresetFile.model_validate(data)
    except ValidationError as exc:
        lines = [f"  {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ConfigError(f"{path}: invalid presets:\n" + "\n".join(lines)) from None


def load_presets(extra: str | None = None) -> dict[str, Preset]:
    """Built-in presets, with entries from ``extra`` (or ``TIANPING_PRESETS``) merged over them.

    A user file's entries are merged field by field over a built-in preset of the
    same name, or added as new presets; its ``default_errors`` are tried before
    the built-in ones. Every preset ends with the shared default rules.
    """
    return _load(extra or os.environ.get("TIANPING_PRESETS") or None)[0]


def generic_preset(extra: str | None = None) -> Preset:
    """The conventions of any OpenAI-compatible server (``openai-compat:``): no key
    required, and only the shared default error rules."""
    defaults = _load(extra or os.environ.get("TIANPING_PRESETS") or None)[1]
    return Preset(
        vendor="any",
        title="OpenAI-compatible server",
        base_url="",
        key_required=False,
        errors=defaults,
    )


@lru_cache(maxsize=8)
def _load(extra: str | None) -> tuple[dict[str, Preset], tuple[ErrorRule, ...]]:
    # Cached by the override file's path: a test (or user) naming a new file gets it.
    builtin = _parse(BUILTIN, _read(BUILTIN))
    presets = dict(builtin.presets)
    defaults = builtin.default_errors
    if extra:
        path = Path(extra)
        raw = _read(path)
        entries = raw.get("presets") or {}
        if not isinstance(entries, dict):
            raise ConfigError(f"{path}: 'presets' must be a mapping of name to fields")
        user_defaults = _parse(
            path, {"default_errors": raw.get("default_errors") or [], "presets": {}}
        ).default_errors
        defaults = user_defaults + defaults
        for name, fields in entries.items():
            if fields is not None and not isinstance(fields, dict):
                raise ConfigError(f"{path}: preset {name!r} must be a mapping of fields")
            base = presets[name].model_dump() if name in presets else {}
            merged = {**base, **(fields or {})}
            presets[name] = _parse(path, {"presets": {name: merged}}).presets[name]
    final = {
        name: p.model_copy(update={"errors": p.errors + defaults}) for name, p in presets.items()
    }
    return final, defaults


def get_preset(name: str, extra: str | None = None) -> Preset:
    presets = load_presets(extra)
    if name not in presets:
        raise UnknownNameError("preset", name, [*presets, "openai-compat", "mock"])
    return presets[name]
