"""Finding, reading and validating profiles, with every problem's file and line."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from .._yaml import compose
from ..core import ConfigError, Problem, UnknownNameError
from ._schema import Profile

if TYPE_CHECKING:
    import yaml

PROFILES_DIR = Path(__file__).parent / "profiles"


class ProfileError(ConfigError):
    """A profile failed validation; ``problems`` lists every problem found."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"invalid profile {source}: {len(problems)} problem(s)\n{lines}")


@dataclass(frozen=True)
class LoadedProfile:
    """A validated profile, where it came from and the hash of its bytes."""

    profile: Profile
    path: Path
    hash: str


def builtin_profiles() -> dict[str, Path]:
    """Built-in profile name -> file."""
    return {p.stem: p for p in sorted(PROFILES_DIR.glob("*.yaml"))}


def _locate(name_or_path: str | os.PathLike[str]) -> Path:
    text = os.fspath(name_or_path)
    builtin = builtin_profiles()
    if text in builtin:
        return builtin[text]
    path = Path(text)
    if path.suffix in (".yaml", ".yml") or os.sep in text or path.exists():
        if not path.is_file():
            raise ConfigError(f"profile file {text} does not exist")
        return path
    raise UnknownNameError("profile", text, sorted(builtin))


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int:
    """The line of the deepest YAML node along ``loc`` (1-based; 0 if unknown)."""
    import yaml

    line = node.start_mark.line + 1 if node is not None else 0
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if str(k.value) == str(part)), None)
            if nxt is None:
                # Unknown key: point at the key itself.
                key = next((k for k, _ in node.value if str(k.value) == str(part)), None)
                return key.start_mark.line + 1 if key is not None else line
            node = nxt
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
        else:
            break
        line = node.start_mark.line + 1
    return line


def _path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc).replace(".[", "[")


def _message(err: Any, loc: tuple[int | str, ...]) -> str:
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] in ("extra_forbidden", "missing") and loc:
        what = "unknown field" if err["type"] == "extra_forbidden" else "missing field"
        msg, loc = f"{what} {str(loc[-1])!r}", loc[:-1]
    elif err["type"] not in ("value_error",) and "input" in err:
        shown = repr(err["input"])
        msg = f"{msg} (got {shown if len(shown) <= 60 else shown[:57] + '...'})"
    where = _path(loc)
    return f"{where}: {msg}" if where else msg


def _read(path: Path) -> tuple[Profile | None, list[Problem]]:

    where = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        return None, [Problem(where, 0, f"cannot read the profile: {exc.strerror}")]
    except UnicodeDecodeError:
        return None, [Problem(where, 0, "not UTF-8; save the profile as UTF-8")]
    node, data, problems = compose(where, text)
    if problems:
        return None, problems
    if not isinstance(data, dict):
        return None, [Problem(where, 1, "a profile must be a YAML mapping (name:, clauses:, ...)")]
    if isinstance(data.get("version"), int | float):
        data["version"] = str(data["version"])
    try:
        return Profile.model_validate(data), []
    except ValidationError as exc:
        problems = []
        errors = exc.errors()
        for err in errors:
            if err["type"] == "too_short" and any(
                len(e["loc"]) > len(err["loc"]) and e["loc"][: len(err["loc"])] == err["loc"]
                for e in errors
            ):
                continue  # "clauses: at least 1 item" only because a clause failed
            loc = tuple(
                p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))
            )
            problems.append(Problem(where, _line_of(node, loc), _message(err, loc)))
        return None, problems


def validate_profile(name_or_path: str | os.PathLike[str]) -> list[Problem]:
    """Every problem in a profile (an empty list when it is valid)."""
    return _read(_locate(name_or_path))[1]


def load_profile(name_or_path: str | os.PathLike[str]) -> LoadedProfile:
    """A built-in profile by name, or a profile file; :class:`ProfileError` if invalid."""
    path = _locate(name_or_path)
    profile, problems = _read(path)
    if profile is None:
        raise ProfileError(str(path), problems)
    digest = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    return LoadedProfile(profile, path, digest)
