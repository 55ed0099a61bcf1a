"""Clause 8's bank floors as checkable requirements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..core import Item, normalize_risk, risks_in
from ._schema import Clause


@dataclass(frozen=True)
class BankRequirement:
    """The size a bank must reach: a total and a floor per risk or aspect.

    ``floors`` keys are category ids (``A1``: each of A1a-A1h needs this
    many), single risk ids, or aspect ids. Only items with the given
    ``refuse`` value (``"unset"``: items that set none) and language count;
    attack-derived items never do.
    """

    clause: str
    title: str
    group_by: Literal["risk", "aspect"]
    total: int
    floors: dict[str, int]
    refuse: bool | Literal["unset"] | None = None
    languages: tuple[str, ...] | None = None
    role: str = ""

    def matches(self, item: Item) -> bool:
        if "attack" in item.meta:
            return False
        if self.refuse == "unset":
            if item.refuse is not None:
                return False
        elif self.refuse is not None and item.refuse is not self.refuse:
            return False
        return not self.languages or item.lang in self.languages

    def group_of(self, item: Item) -> str | None:
        if self.group_by == "risk":
            return item.risk
        aspect = item.meta.get("aspect")
        return aspect if isinstance(aspect, str) else None

    def required_groups(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for key, floor in self.floors.items():
            if self.group_by == "aspect":
                groups = [key]
            else:
                groups = risks_in(key) or [normalize_risk(key) or key]
            for g in groups:
                out[g] = max(out.get(g, 0), floor)
        return out


def requirement_of(clause: Clause) -> BankRequirement:
    """The bank requirement of a ``bank`` clause."""
    rule = clause.bank
    if rule is None:
        raise ValueError(f"clause {clause.id} is not a bank clause")
    return BankRequirement(
        clause=clause.id,
        title=clause.title.en,
        group_by=rule.group_by,
        total=rule.total,
        floors=dict(rule.floors),
        refuse=rule.refuse,
        languages=rule.langs or None,
        role=rule.role,
    )


def bank_requirements(profile: str) -> list[BankRequirement]:
    """The bank requirements of a profile (a built-in name or a file)."""
    from ._load import load_profile

    loaded = load_profile(profile)
    return [requirement_of(c) for c in loaded.profile.clauses if c.kind == "bank"]
