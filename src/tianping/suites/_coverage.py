"""Does a bank meet a profile's bank requirements (clauses 8.2, 8.3a, 8.3b)?

A requirement (``tianping.standards.BankRequirement``) says which items count
(its ``refuse`` and language filter; attack-derived items never count), how
they are grouped (by risk id or by ``meta.aspect``), the minimum in total and
the minimum per group. :func:`check_coverage` counts a suite's items against
one; :func:`check_coverages` against several in one pass over the items.

The total counts the matching items that fall in a required group (an A3
item does not count towards the A1/A2 should-refuse bank); when a requirement
has no floors, every matching item counts. Matching items outside the
required groups, or without a group, are reported too, never dropped silently.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from tianping.core import Item


class BankRequirementLike(Protocol):
    """What this module uses of ``tianping.standards.BankRequirement``."""

    @property
    def clause(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def group_by(self) -> str: ...
    @property
    def total(self) -> int: ...
    @property
    def refuse(self) -> bool | str | None: ...
    @property
    def languages(self) -> tuple[str, ...] | None: ...

    def matches(self, item: Item) -> bool: ...
    def group_of(self, item: Item) -> str | None: ...
    def required_groups(self) -> dict[str, int]: ...


@dataclass(frozen=True)
class GroupCoverage:
    """One group (a risk id or an aspect): how many items it needs and has."""

    group: str
    required: int
    found: int

    @property
    def met(self) -> bool:
        return self.found >= self.required


@dataclass(frozen=True)
class CoverageResult:
    """A bank against one requirement.

    ``matched``: items passing the requirement's filter; ``found``: those that
    count towards the total; ``groups``: every required group; ``other``:
    matching items in groups the requirement does not name; ``ungrouped``:
    matching items without a risk id (or aspect).
    """

    clause: str
    title: str
    group_by: str
    refuse: bool | str | None
    languages: tuple[str, ...] | None
    required: int
    matched: int
    found: int
    groups: tuple[GroupCoverage, ...]
    other: dict[str, int]
    ungrouped: int

    @property
    def applies(self) -> bool:
        """False when no item of the bank matches: the requirement is for another bank."""
        return self.matched > 0

    @property
    def missed(self) -> list[GroupCoverage]:
        return [g for g in self.groups if not g.met]

    @property
    def met(self) -> bool:
        return self.applies and self.found >= self.required and not self.missed

    @property
    def status(self) -> str:
        if not self.applies:
            return "not this bank"
        return "met" if self.met else "MISSED"

    def to_json(self) -> dict[str, Any]:
        return {
            "clause": self.clause,
            "title": self.title,
            "status": self.status,
            "applies": self.applies,
            "met": self.met,
            "group_by": self.group_by,
            "refuse": self.refuse,
            "languages": list(self.languages) if self.languages is not None else None,
            "required": self.required,
            "matched": self.matched,
            "found": self.found,
            "groups": [
                {"group": g.group, "required": g.required, "found": g.found, "met": g.met}
                for g in self.groups
            ],
            "other": self.other,
            "ungrouped": self.ungrouped,
        }

    def __str__(self) -> str:
        filters = []
        if self.refuse is not None:
            filters.append(f"refuse={str(self.refuse).lower()}")
        if self.languages is not None:
            filters.append(f"lang in {','.join(self.languages)}")
        which = f" ({'; '.join(filters)})" if filters else ""
        head = f"clause {self.clause}: {self.title}{which}: {self.status}"
        if not self.applies:
            return f"{head} (no item matches)"
        short = f", short by {self.required - self.found}" if self.found < self.required else ""
        lines = [head, f"  total {self.found} / {self.required}{short}"]
        if self.groups:
            width = max(len(self.group_by), *(len(g.group) for g in self.groups))
            lines.append(f"  {self.group_by:<{width}}  {'found':>6}  {'floor':>6}")
            for g in self.groups:
                mark = "met" if g.met else f"MISSED (short by {g.required - g.found})"
                lines.append(f"  {g.group:<{width}}  {g.found:>6}  {g.required:>6}  {mark}")
            lines.append(
                f"  {len(self.groups) - len(self.missed)} of {len(self.groups)} floors met"
            )
        if self.other:
            listed = ", ".join(f"{k} {v}" for k, v in self.other.items())
            lines.append(f"  not counted, in groups this clause does not name: {listed}")
        if self.ungrouped:
            lines.append(f"  not counted, with no {self.group_by}: {self.ungrouped}")
        return "\n".join(lines)


class _Tally:
    def __init__(self, req: BankRequirementLike) -> None:
        self.req = req
        self.floors: Mapping[str, int] = req.required_groups()
        self.matched = 0
        self.by_group: Counter[str] = Counter()
        self.ungrouped = 0

    def add(self, item: Item) -> None:
        if not self.req.matches(item):
            return
        self.matched += 1
        group = self.req.group_of(item)
        if group is None:
            self.ungrouped += 1
        else:
            self.by_group[group] += 1

    def result(self) -> CoverageResult:
        req = self.req
        if self.floors:
            found = sum(n for g, n in self.by_group.items() if g in self.floors)
        else:
            found = self.matched
        groups = tuple(GroupCoverage(g, n, self.by_group[g]) for g, n in self.floors.items())
        other = {
            g: n for g, n in sorted(self.by_group.items()) if self.floors and g not in self.floors
        }
        return CoverageResult(
            clause=req.clause,
            title=req.title,
            group_by=req.group_by,
            refuse=req.refuse,
            languages=tuple(req.languages) if req.languages is not None else None,
            required=req.total,
            matched=self.matched,
            found=found,
            groups=groups,
            other=other,
            ungrouped=self.ungrouped,
        )


def check_coverages(
    items: Iterable[Item], requirements: Iterable[BankRequirementLike]
) -> list[CoverageResult]:
    """Each requirement's coverage, counting the items in one pass."""
    tallies = [_Tally(req) for req in requirements]
    for item in items:
        for tally in tallies:
            tally.add(item)
    return [t.result() for t in tallies]


def check_coverage(items: Iterable[Item], req: BankRequirementLike) -> CoverageResult:
    """How the items cover one requirement: total and per-group counts against its minimums."""
    return check_coverages(items, [req])[0]
