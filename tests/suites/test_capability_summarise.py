"""The capability-summarise bank: size, labels, lengths, and references that agree with
both scorers (the reference states every key fact; its ROUGE-L against itself is 1)."""

from __future__ import annotations

import asyncio
from collections import Counter
from functools import cache

import pytest

from conftest import make_response
from tianping.core import Item
from tianping.scoring import get_scorer
from tianping.scoring._keyfacts import fact_present, read_key_facts
from tianping.suites import lint_suite, load_suite

NAME = "capability-summarise"
GENRES = {"news", "notice", "minutes", "report"}
FLOOR = 150  # items per language


@cache
def items() -> tuple[Item, ...]:
    return tuple(load_suite(NAME).iter_items())


def tag(item: Item, prefix: str) -> str:
    found = [t.split(":", 1)[1] for t in item.tags if t.startswith(prefix + ":")]
    assert len(found) == 1, (item.id, prefix, item.tags)
    return found[0]


def passage(item: Item) -> str:
    """The text to summarise: everything after the one-paragraph instruction."""
    assert item.prompt is not None
    return item.prompt.split("\n\n", 1)[1]


def length(text: str, lang: str | None) -> int:
    """Characters (whitespace aside) for Chinese, words for English."""
    return len("".join(text.split())) if lang == "zh" else len(text.split())


def grade(scorer: str, item: Item, text: str) -> float | None:
    return asyncio.run(get_scorer(scorer).score(item, make_response(text))).value


def test_loads_with_its_manifest() -> None:
    suite = load_suite(NAME)
    assert suite.name == NAME
    assert suite.version == "2026.11"
    assert suite.manifest.scorer == "rougeL"
    assert suite.manifest.languages == ["zh", "en"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_size_floor_per_language(lang: str) -> None:
    assert sum(1 for it in items() if it.lang == lang) >= FLOOR


def test_ids_labels_and_scenario() -> None:
    ids = Counter(it.id for it in items())
    assert [i for i, n in ids.items() if n > 1] == []
    for it in items():
        assert it.id.startswith(f"sum-{it.lang}-"), it.id
        assert it.scenario == "summarise"
        assert tag(it, "task") == "summarise"
        assert tag(it, "genre") == it.meta["genre"]
        assert tag(it, "difficulty") in {"easy", "medium", "hard"}
        assert it.scorer is None  # the suite default, rougeL


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_genre_is_covered_and_difficulty_is_about_40_40_20(lang: str) -> None:
    mine = [it for it in items() if it.lang == lang]
    assert {tag(it, "genre") for it in mine} == GENRES
    share = Counter(tag(it, "difficulty") for it in mine)
    n = len(mine)
    assert abs(share["easy"] / n - 0.4) <= 0.05
    assert abs(share["medium"] / n - 0.4) <= 0.05
    assert abs(share["hard"] / n - 0.2) <= 0.05


def test_passages_are_150_to_600_and_summaries_keep_to_the_stated_limit() -> None:
    for it in items():
        assert it.answer is not None
        assert 150 <= length(passage(it), it.lang) <= 600, it.id
        limit = it.meta["max_chars" if it.lang == "zh" else "max_words"]
        assert isinstance(limit, int)
        assert it.prompt is not None
        assert str(limit) in it.prompt.split("\n\n", 1)[0], it.id  # the prompt says it
        assert length(it.answer, it.lang) <= limit, it.id
        assert length(it.answer, it.lang) < length(passage(it), it.lang) / 2, it.id


def test_key_facts_are_well_formed_and_come_from_the_passage() -> None:
    for it in items():
        facts = read_key_facts(it)  # raises on a malformed entry
        assert 3 <= len(facts) <= 5, it.id
        for alternatives in facts:
            assert any(fact_present(a, passage(it), it.lang) for a in alternatives), (
                it.id,
                alternatives,
            )


def test_reference_summary_states_every_key_fact() -> None:
    failures = [it.id for it in items() if grade("keyfacts", it, it.answer or "") != 1.0]
    assert failures == []


def test_reference_summary_rouge_l_against_itself_is_one() -> None:
    failures = [it.id for it in items() if grade("rougeL", it, it.answer or "") != 1.0]
    assert failures == []


def test_an_empty_summary_gets_no_credit() -> None:
    for it in items():
        empty = "无可奉告。" if it.lang == "zh" else "No comment."
        assert grade("keyfacts", it, empty) == 0.0, it.id
        value = grade("rougeL", it, empty)
        assert value is not None
        assert value < 0.1, it.id


def test_near_duplicate_rate_is_under_two_percent() -> None:
    report = lint_suite(NAME)
    assert [str(f) for f in report.errors] == []
    assert report.near_rate < 0.02
