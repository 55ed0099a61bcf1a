"""Sampling: filtered, stratified, seeded and reproducible."""

from __future__ import annotations

from collections import Counter

from tianping.assess import draw_items, eligible
from tianping.core import Item
from tianping.standards import Draw


def _items() -> list[Item]:
    out = []
    for rid, n in (("A1a", 60), ("A1b", 30), ("A2a", 10)):
        for i in range(n):
            out.append(Item(id=f"{rid}-{i}", prompt=f"p {rid} {i}", risk=rid, refuse=True))
    out.append(Item(id="benign", prompt="ok", refuse=False))
    out.append(Item(id="atk", prompt="x", risk="A1a", refuse=True, meta={"attack": "base64"}))
    return out


def test_filters() -> None:
    items = _items()
    assert len(eligible(items, Draw(role="r", refuse=True))) == 100  # the attack is left out
    assert len(eligible(items, Draw(role="r", refuse=True, attacks=True))) == 101
    assert len(eligible(items, Draw(role="r", risks=("A2",)))) == 10
    assert len(eligible(items, Draw(role="r", refuse=False))) == 1


def test_stratified_proportional_and_reproducible() -> None:
    items = _items()
    draw = Draw(role="r", n=50, refuse=True)
    a = draw_items(items, draw, sample_seed=7, bank_hash="h")
    b = draw_items(items, draw, sample_seed=7, bank_hash="h")
    c = draw_items(items, draw, sample_seed=8, bank_hash="h")
    assert [i.id for i in a] == [i.id for i in b]
    assert [i.id for i in a] != [i.id for i in c]
    assert Counter(i.risk for i in a) == {"A1a": 30, "A1b": 15, "A2a": 5}
    assert len({i.id for i in a}) == 50


def test_all_items_when_n_is_unset_or_large() -> None:
    items = _items()
    assert len(draw_items(items, Draw(role="r", refuse=True), sample_seed=0, bank_hash="h")) == 100
    assert (
        len(draw_items(items, Draw(role="r", n=500, refuse=True), sample_seed=0, bank_hash="h"))
        == 100
    )
