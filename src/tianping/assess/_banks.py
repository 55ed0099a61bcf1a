"""Resolving a profile's banks (built-in suites, or an assessor's own) and keyword library."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..core import ConfigError, Item, SuiteError
from ..standards import Profile
from ..suites import Suite, load_suite

KEYWORD_FILES = ("keywords.jsonl", "keywords.csv")


@dataclass(frozen=True)
class Bank:
    """One bank of an assessment: the role it plays, the suite and its items."""

    role: str
    suite: Suite
    items: tuple[Item, ...]


def roles_used(profile: Profile) -> list[str]:
    used: list[str] = []
    for c in profile.clauses:
        holder = c.draw or c.bank
        if holder is not None and holder.role not in used:
            used.append(holder.role)
    return used


def load_banks(profile: Profile, overrides: Mapping[str, str]) -> dict[str, Bank]:
    """The suite of every role the profile's clauses use; ``overrides`` maps role -> suite."""
    unknown = set(overrides) - set(profile.banks)
    if unknown:
        raise ConfigError(
            f"--bank names role(s) {', '.join(sorted(unknown))} that profile {profile.name} "
            f"does not use; its roles: {', '.join(sorted(profile.banks))}"
        )
    banks: dict[str, Bank] = {}
    for role in roles_used(profile):
        source = overrides.get(role, profile.banks[role])
        try:
            suite = load_suite(source)
        except SuiteError as exc:
            if role in overrides or exc.problems[0].line or len(exc.problems) > 1:
                raise
            raise ConfigError(
                f"profile {profile.name} draws its {role!r} bank from {source!r}: "
                f"{exc.problems[0].message}. Pass your own with --bank {role}=PATH"
            ) from exc
        banks[role] = Bank(role, suite, tuple(suite.iter_items()))
    return banks


def keyword_library(profile: Profile, override: str | None) -> Path | None:
    """The keyword library file: ``override``, or the profile's (a built-in name or a path)."""
    source = override or profile.keywords
    if source is None:
        return None
    path = Path(source)
    if path.is_file():
        return path
    from ..suites._builtin import DATA_DIR

    for name in KEYWORD_FILES:
        candidate = DATA_DIR / source / name
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"keyword library {source!r} is neither a file nor a built-in library; "
        "pass one with --keywords PATH (CSV or JSONL: term, risk, lang, severity)"
    )
