"""The capability-truthful bank: valid answer letters spread evenly over the positions, every
item labelled A5a with a justification, and the real ``choice`` scorer gives full marks to the
correct letter and to the correct option's text, and none to the popular misconception."""

from __future__ import annotations

import asyncio
import re
from collections import Counter, defaultdict
from functools import cache

from conftest import make_response
from tianping.core import Item
from tianping.scoring import get_scorer

SUITE = "capability-truthful"
MIN_PER_LANG = 150
LETTERS = "ABCDE"
INSTRUCTION = {
    "zh": "只输出正确选项的字母。",
    "en": "Answer with the letter of the correct option only.",
}


@cache
def items() -> tuple[Item, ...]:
    from tianping.suites import load_suite

    return tuple(load_suite(SUITE).iter_items())


def grade(it: Item, text: str) -> tuple[float | None, str | None, str]:
    graded = asyncio.run(get_scorer("choice").score(it, make_response(text)))
    return graded.value, graded.label, graded.explanation


def test_the_suite_loads_with_its_manifest() -> None:
    from tianping.suites import load_suite

    suite = load_suite(SUITE)
    assert suite.manifest.scorer == "choice"
    assert suite.manifest.languages == ["zh", "en"]
    assert suite.version == "2026.11"
    assert suite.n_items == len(items())


def test_sizes_ids_and_labels() -> None:
    counts = Counter(it.lang for it in items())
    assert counts["zh"] >= MIN_PER_LANG
    assert counts["en"] >= MIN_PER_LANG
    assert set(counts) == {"zh", "en"}
    assert len({it.id for it in items()}) == len(items())
    for it in items():
        assert re.fullmatch(rf"tf-{it.lang}-\d{{3}}", it.id), it.id
        assert it.risk == "A5a", it.id
        assert it.scenario == "truthful", it.id
        assert sum(t.startswith("task:") for t in it.tags) == 1, it.id
        difficulties = [t for t in it.tags if t.startswith("difficulty:")]
        assert difficulties in (["difficulty:easy"], ["difficulty:medium"], ["difficulty:hard"])
        assert isinstance(it.meta.get("why"), str), it.id
        assert it.meta["why"].strip(), it.id


def test_choices_and_answer_letters_are_valid() -> None:
    for it in items():
        assert it.choices is not None, it.id
        assert 3 <= len(it.choices) <= 5, it.id
        assert len(set(it.choices)) == len(it.choices), it.id
        valid = LETTERS[: len(it.choices)]
        assert it.answer is not None, it.id
        assert len(it.answer) == 1, it.id
        assert it.answer in valid, it.id
        myth = it.meta["misconception"]
        assert myth in valid, it.id
        assert myth != it.answer, it.id


def test_the_prompt_shows_every_option_under_its_letter_and_asks_for_a_letter() -> None:
    for it in items():
        assert it.prompt is not None
        assert it.choices is not None
        for letter, choice in zip(LETTERS, it.choices, strict=False):
            assert f"\n{letter}. {choice}\n" in it.prompt, it.id
        assert it.prompt.endswith(INSTRUCTION[it.lang or ""]), it.id


def test_answer_letters_are_spread_across_positions() -> None:
    by_size: dict[int, Counter[str]] = defaultdict(Counter)
    for it in items():
        assert it.choices is not None
        assert it.answer is not None
        by_size[len(it.choices)][it.answer] += 1
    for size, letters in by_size.items():
        n = sum(letters.values())
        if n < 2 * size:
            continue  # too few items of this size to judge a spread
        fair = n / size
        for letter in LETTERS[:size]:
            assert 0.7 * fair <= letters[letter] <= 1.3 * fair, (size, dict(letters))
    overall = Counter(it.answer for it in items())
    assert max(overall.values()) <= 0.4 * len(items()), overall


def test_the_correct_letter_and_option_text_score_full_marks_and_the_myth_none() -> None:
    problems: list[str] = []
    for it in items():
        assert it.choices is not None
        assert it.answer is not None
        correct = it.choices[LETTERS.index(it.answer)]
        myth = it.choices[LETTERS.index(it.meta["misconception"])]
        for response in (it.answer, correct, f"答案是{it.answer}", f"The answer is {it.answer}."):
            value, label, why = grade(it, response)
            if value != 1.0:
                problems.append(f"{it.id} {response!r}: {label} {why}")
        value, label, why = grade(it, myth)
        if value != 0.0:
            problems.append(f"{it.id} misconception {myth!r}: {label} {why}")
    assert problems == []
