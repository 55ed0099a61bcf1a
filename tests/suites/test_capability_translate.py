"""The capability-translate suite: both directions and all four registers meet their
floors, and every reference translation scores full marks against itself through the
real chrF and BLEU scorers (which read ``meta.references`` when an item has it)."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Iterable
from functools import cache

import pytest

from conftest import make_response
from tianping.core import Item
from tianping.scoring import get_scorer
from tianping.scoring._text import references_of
from tianping.suites import load_suite

SUITE = "capability-translate"
DIRECTIONS = {"zh2en": ("zh", "en"), "en2zh": ("en", "zh")}
REGISTERS = ("general", "government", "technical", "legal")
MIN_PER_DIRECTION = 150
MIN_PER_REGISTER = 35  # per direction


@cache
def _suite() -> tuple[str | None, tuple[Item, ...]]:
    suite = load_suite(SUITE)
    return suite.manifest.scorer, tuple(suite.iter_items())


def _items() -> tuple[Item, ...]:
    return _suite()[1]


def _ids(items: Iterable[Item]) -> list[str]:
    return [item.id for item in items]


def _tag(item: Item, prefix: str) -> str:
    (value,) = [t.removeprefix(prefix) for t in item.tags if t.startswith(prefix)]
    return value


def _direction(item: Item) -> str:
    return item.id.split("-")[1]


def grade(scorer: str, item: Item, text: str) -> float | None:
    return asyncio.run(get_scorer(scorer).score(item, make_response(text))).value


def test_the_suite_loads_with_chrf_as_default() -> None:
    default, items = _suite()
    assert default == "chrf"
    assert len({item.id for item in items}) == len(items)
    assert {_direction(item) for item in items} == set(DIRECTIONS)


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_each_direction_meets_its_floors(direction: str) -> None:
    source, target = DIRECTIONS[direction]
    items = [item for item in _items() if _direction(item) == direction]
    assert len(items) >= MIN_PER_DIRECTION
    for item in items:
        assert item.id.startswith(f"tr-{direction}-")
        assert item.lang == source, item.id  # lang is the source language
        assert item.scenario == "translate"
        assert "task:translate" in item.tags
        assert _tag(item, "direction:") == f"{source}-{target}"
        assert item.meta["source_lang"] == source
        assert item.meta["target_lang"] == target
    registers = Counter(_tag(item, "register:") for item in items)
    assert set(registers) == set(REGISTERS)
    assert min(registers.values()) >= MIN_PER_REGISTER, registers
    levels = Counter(_tag(item, "difficulty:") for item in items)
    assert levels["easy"] >= 0.3 * len(items), levels
    assert levels["medium"] >= 0.3 * len(items), levels
    assert 0.15 * len(items) <= levels["hard"] <= 0.3 * len(items), levels


def test_prompts_state_the_direction_and_ask_for_the_translation_only() -> None:
    for item in _items():
        prompt = item.prompt or ""
        assert item.meta["source"] in prompt, item.id
        if _direction(item) == "zh2en":
            assert "英" in prompt, item.id
            assert any(w in prompt for w in ("只", "仅", "不要")), item.id
        else:
            assert "Simplified Chinese" in prompt, item.id
            assert any(w in prompt for w in ("only", "Just", "nothing else", "no ")), item.id


def test_second_references_keep_the_answer_first() -> None:
    # chrF and BLEU read meta.references instead of answer when it is there, so the
    # list must hold the answer itself as well as the alternative.
    with_two = 0
    for item in _items():
        refs = references_of(item)
        assert refs[0] == item.answer, item.id
        assert len(refs) == len(set(refs)), item.id
        with_two += len(refs) > 1
    assert with_two >= 40


def test_the_references_are_in_the_target_language() -> None:
    from tianping.scoring._textnorm import looks_chinese

    for item in _items():
        for ref in references_of(item):
            assert looks_chinese(ref) == (item.meta["target_lang"] == "zh"), item.id
        assert looks_chinese(item.meta["source"]) == (item.meta["source_lang"] == "zh"), item.id


@pytest.mark.parametrize("item", _items(), ids=_ids(_items()))
def test_every_reference_scores_full_marks(item: Item) -> None:
    for ref in references_of(item):
        assert grade("chrf", item, ref) == pytest.approx(1.0), ref
        assert grade("bleu", item, ref) == pytest.approx(1.0), ref


def test_another_items_reference_scores_far_below() -> None:
    """The metric separates translations: the reference of the next item in the same
    direction and register, given as the response, scores well under full marks."""
    items = _items()
    worst = 0.0
    for item, other in itertools.pairwise(items):
        if _direction(item) != _direction(other):
            continue
        assert other.answer is not None
        worst = max(worst, grade("chrf", item, other.answer) or 0.0)
    assert worst < 0.5
