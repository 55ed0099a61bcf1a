"""``check_coverage``: a bank's items against a bank requirement (clauses 8.2, 8.3a, 8.3b)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

from tianping.core import Item, normalize_risk, risks_in
from tianping.suites import check_coverage, check_coverages


@dataclass(frozen=True)
class Req:
    """A bank requirement as ``tianping.standards.BankRequirement`` defines it."""

    clause: str
    title: str
    group_by: Literal["risk", "aspect"]
    total: int
    floors: dict[str, int] = field(default_factory=dict)
    refuse: bool | None = None
    languages: tuple[str, ...] | None = None

    def matches(self, item: Item) -> bool:
        if "attack" in item.meta:
            return False
        if self.refuse is not None and item.refuse is not self.refuse:
            return False
        return self.languages is None or item.lang in self.languages

    def group_of(self, item: Item) -> str | None:
        if self.group_by == "risk":
            return item.risk
        aspect = item.meta.get("aspect")
        return aspect if isinstance(aspect, str) else None

    def required_groups(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for key, floor in self.floors.items():
            groups = [key] if self.group_by == "aspect" else risks_in(key) or [normalize_risk(key)]
            for g in groups:
                assert g is not None
                out[g] = max(out.get(g, 0), floor)
        return out


SHOULD_REFUSE = Req("8.3a", "Should-refuse bank", "risk", 5, {"A1": 2, "A2e": 1}, refuse=True)
BENIGN = Req("8.3b", "Should-not-refuse bank", "aspect", 3, {"history": 1, "gender": 2}, False)


def _items(*specs: dict[str, Any]) -> list[Item]:
    return [Item(id=f"i{n}", prompt="q", **spec) for n, spec in enumerate(specs)]


def test_totals_and_floors_per_risk() -> None:
    items = _items(
        *[{"risk": r, "refuse": True} for r in risks_in("A1") for _ in range(2)],
        {"risk": "A2e", "refuse": True},
        {"risk": "A3a", "refuse": True},  # matches, but in no group the clause names
        {"refuse": True},  # matches, no risk
        {"risk": "A1a", "refuse": False},  # filtered out by refuse
        {"risk": "A1a", "refuse": True, "meta": {"attack": "base64", "parent": "i0"}},
    )
    result = check_coverage(items, SHOULD_REFUSE)
    assert (result.matched, result.found, result.required) == (19, 17, 5)
    assert [g.group for g in result.groups] == [*risks_in("A1"), "A2e"]
    assert all(g.met for g in result.groups)
    assert result.other == {"A3a": 1}
    assert result.ungrouped == 1
    assert (result.applies, result.met, result.status) == (True, True, "met")


def test_a_missed_floor_and_total() -> None:
    items = _items({"risk": "A1a", "refuse": True}, {"risk": "A1b", "refuse": True})
    result = check_coverage(items, SHOULD_REFUSE)
    assert result.status == "MISSED"
    assert [(g.group, g.found, g.required) for g in result.missed][:3] == [
        ("A1a", 1, 2), ("A1b", 1, 2), ("A1c", 0, 2)
    ]  # fmt: skip
    assert len(result.missed) == 9
    text = str(result)
    assert text.startswith("clause 8.3a: Should-refuse bank (refuse=true): MISSED")
    assert "total 2 / 5, short by 3" in text
    assert "  A1c        0       2  MISSED (short by 2)\n" in text
    assert "0 of 9 floors met" in text


def test_enough_per_group_but_not_in_total() -> None:
    req = Req("x", "t", "risk", 10, {"A2e": 1})
    result = check_coverage(_items({"risk": "A2e"}), req)
    assert result.groups[0].met
    assert not result.met


def test_aspects() -> None:
    items = _items(
        {"refuse": False, "meta": {"aspect": "history"}},
        {"refuse": False, "meta": {"aspect": "gender"}},
        {"refuse": False, "meta": {"aspect": "culture"}},
        {"refuse": False},
    )
    result = check_coverage(items, BENIGN)
    assert [(g.group, g.found, g.met) for g in result.groups] == [
        ("history", 1, True), ("gender", 1, False)
    ]  # fmt: skip
    assert (result.found, result.other, result.ungrouped) == (2, {"culture": 1}, 1)
    assert "not counted, with no aspect: 1" in str(result)


def test_not_this_bank() -> None:
    result = check_coverage(_items({"refuse": True, "risk": "A1a"}), BENIGN)
    assert (result.applies, result.met, result.status) == (False, False, "not this bank")
    assert str(result) == (
        "clause 8.3b: Should-not-refuse bank (refuse=false): not this bank (no item matches)"
    )


def test_language_filter_and_no_floors() -> None:
    req = Req("x", "Chinese items", "risk", 2, languages=("zh",))
    result = check_coverage(_items({"lang": "zh"}, {"lang": "en"}, {"lang": "zh"}), req)
    assert (result.matched, result.found, result.met, result.groups) == (2, 2, True, ())
    assert "(lang in zh)" in str(result)


def test_several_requirements_in_one_pass() -> None:
    consumed = 0

    def items() -> Any:
        nonlocal consumed
        for item in _items({"refuse": True, "risk": "A2e"}, {"refuse": False}):
            consumed += 1
            yield item

    a, b = check_coverages(items(), [SHOULD_REFUSE, BENIGN])
    assert consumed == 2
    assert (a.matched, b.matched) == (1, 1)
    data = json.loads(json.dumps(a.to_json()))
    assert data["status"] == "MISSED"
    assert data["groups"][-1] == {"group": "A2e", "required": 1, "found": 1, "met": True}


def test_the_standards_bank_requirement_fits() -> None:
    standards = pytest.importorskip("tianping.standards")
    req = standards.BankRequirement(
        clause="8.3a", title="t", group_by="risk", total=1, floors={"A2": 1}, refuse=True
    )
    result = check_coverage(_items(*[{"risk": r, "refuse": True} for r in risks_in("A2")]), req)
    assert result.met
    assert len(result.groups) == 9
