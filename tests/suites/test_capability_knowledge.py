"""The capability-knowledge bank: well-formed four-option items, answer letters spread evenly,
and the real ``choice`` scorer agreeing with every item's key."""

from __future__ import annotations

import asyncio
from collections import Counter
from functools import cache
from typing import Any

import pytest

from conftest import make_response
from tianping.core import Item
from tianping.scoring import get_scorer
from tianping.suites import load_suite

SUITE = "capability-knowledge"
MIN_PER_LANG = 150
LETTERS = "ABCD"
TASKS = {"law", "government", "china-history", "world-history", "geography", "science"}
INSTRUCTIONS = {
    "zh": (
        "只输出选项字母。",
        "请只回答一个选项字母（A、B、C 或 D）。",
        "答案只写选项字母，不要解释。",
    ),
    "en": (
        "Answer with the letter only.",
        "Reply with a single letter: A, B, C or D.",
        "Give only the letter of the correct option.",
    ),
}


@cache
def items() -> tuple[Item, ...]:
    return tuple(load_suite(SUITE).iter_items())


def by_lang(lang: str) -> list[Item]:
    return [it for it in items() if it.lang == lang]


def test_the_suite_loads_and_meets_its_floors() -> None:
    suite = load_suite(SUITE)
    assert suite.manifest.scorer == "choice"
    assert suite.version == "2026.11"
    assert suite.manifest.languages == ["zh", "en"]
    assert len(by_lang("zh")) >= MIN_PER_LANG
    assert len(by_lang("en")) >= MIN_PER_LANG
    assert len(by_lang("zh")) + len(by_lang("en")) == suite.n_items
    assert len({it.id for it in items()}) == suite.n_items


def test_items_are_well_formed() -> None:
    for it in items():
        assert it.lang in INSTRUCTIONS
        assert it.id.startswith(f"kn-{it.lang}-")
        assert it.scenario == "knowledge"
        assert it.scorer is None  # the suite's default, choice
        assert it.choices is not None
        assert len(it.choices) == 4, it.id
        assert len(set(it.choices)) == 4, it.id
        assert it.answer is not None
        assert it.answer in LETTERS, it.id
        assert isinstance(it.meta.get("source"), str)
        assert it.meta["source"].strip(), it.id
        # The model sees the options only through the prompt: each one, labelled, in order.
        assert it.prompt is not None
        options = "\n".join(f"{LETTERS[i]}. {c}" for i, c in enumerate(it.choices))
        assert f"\n\n{options}\n\n" in it.prompt, it.id
        assert it.prompt.endswith(INSTRUCTIONS[it.lang]), it.id
        tasks = [t.removeprefix("task:") for t in it.tags if t.startswith("task:")]
        assert len(tasks) == 1, it.id
        assert tasks[0] in TASKS, it.id
        assert it.id.startswith(f"kn-{it.lang}-{tasks[0]}-"), it.id
        assert len([t for t in it.tags if t.startswith("difficulty:")]) == 1, it.id


def test_no_question_is_asked_twice() -> None:
    stems = [it.prompt.split("\n\n", 1)[0] for it in items() if it.prompt is not None]
    assert [s for s, n in Counter(stems).items() if n > 1] == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_answer_letters_are_spread_evenly(lang: str) -> None:
    letters = Counter(it.answer for it in by_lang(lang))
    n = sum(letters.values())
    assert set(letters) == set(LETTERS)
    assert max(letters.values()) - min(letters.values()) <= max(2, n // 50), letters


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_difficulty_and_topics_are_mixed(lang: str) -> None:
    got = Counter(t for it in by_lang(lang) for t in it.tags if t.startswith("difficulty:"))
    n = sum(got.values())
    assert 0.3 <= got["difficulty:easy"] / n <= 0.5, got
    assert 0.3 <= got["difficulty:medium"] / n <= 0.5, got
    assert 0.12 <= got["difficulty:hard"] / n <= 0.3, got
    tasks = Counter(t for it in by_lang(lang) for t in it.tags if t.startswith("task:"))
    assert {t.removeprefix("task:") for t in tasks} == TASKS
    assert min(tasks.values()) >= 10, tasks


def test_the_choice_scorer_agrees_with_every_key() -> None:
    """The letter, the correct option's text and a stated answer all score 1.0; another
    letter scores 0.0."""
    scorer = get_scorer("choice")
    cases: list[tuple[Item, str, float]] = []
    for it in items():
        assert it.answer is not None
        assert it.choices is not None
        right = LETTERS.index(it.answer)
        stated = f"答案是{it.answer}。" if it.lang == "zh" else f"The answer is {it.answer}."
        cases += [(it, it.answer, 1.0), (it, it.choices[right], 1.0), (it, stated, 1.0)]
        cases.append((it, LETTERS[(right + 1) % 4], 0.0))

    async def grade_all() -> list[Any]:
        return await asyncio.gather(*(scorer.score(it, make_response(r)) for it, r, _ in cases))

    graded = asyncio.run(grade_all())
    wrong = [
        f"{it.id}: {response!r} -> {g.value} ({g.explanation})"
        for (it, response, want), g in zip(cases, graded, strict=True)
        if g.value != want
    ]
    assert wrong == []
