"""The ``keyfacts`` scorer: the share of an item's key facts a response states."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from conftest import make_response
from tianping.core import ConfigError, Item
from tianping.scoring import Graded, Scorer, get_scorer
from tianping.scoring._keyfacts import fact_present, read_key_facts

FACTS: list[Any] = [["3月1日", "三月一日"], "120元", "市民中心"]


def item(facts: Any = FACTS, lang: str | None = "zh") -> Item:
    meta = {} if facts is None else {"key_facts": facts}
    return Item(id="i", prompt="概括下文", answer="参考摘要", lang=lang, meta=meta)


def grade(text: str | None, it: Item | None = None, *, blocked: bool = False) -> Graded:
    scorer = get_scorer("keyfacts")
    return asyncio.run(scorer.score(it or item(), make_response(text, blocked=blocked)))


def test_registered() -> None:
    scorer = get_scorer("keyfacts")
    assert isinstance(scorer, Scorer)
    assert (scorer.name, scorer.version) == ("keyfacts", "1")


def test_all_facts_present() -> None:
    g = grade("自3月1日起，市民中心办理该业务收费120元。")
    assert (g.value, g.label) == (1.0, "complete")
    assert g.explanation == "3 of 3 key facts present"


def test_any_alternative_counts() -> None:
    assert grade("三月一日起在市民中心办理，每件120元").value == 1.0


def test_missing_facts_are_named() -> None:
    g = grade("自3月1日起开始办理。")
    assert g.value == pytest.approx(1 / 3)
    assert g.label == "partial"
    assert "missing: '120元', '市民中心'" in g.explanation


def test_none_present() -> None:
    g = grade("无可奉告。")
    assert (g.value, g.label) == (0.0, "none")


@pytest.mark.parametrize(
    ("phrase", "text", "found"),
    [
        ("3月1日", "从 3 月 1 日起", True),  # spaces beside Chinese characters do not count
        ("120元", "收费１２０元", True),  # full-width digits
        ("1200元", "收费1,200元", True),  # thousands separator
        ("24小时", "拨12345，24小时内上门", True),  # a full-width comma separates numbers
        ("市民中心", "市民中心", True),
        ("台湾", "臺灣", True),  # traditional characters
        ("12", "共120人", False),  # a number does not match inside a longer number
        ("12人", "共112人", False),
        ("art", "we start now", False),  # nor a word inside a word
        ("Amara Mensah", "Amara Mensah's story", True),  # a possessive is still the name
        ("St Anne's", "at St Anne’s Primary", True),
        ("Art", "the ART museum", True),  # case
        ("£2.4 million", "It cost £2.4 million.", True),
        ("1 March", "from 1 March 2026", True),
        ("1 March", "from 11 March", False),
        ("", "anything", False),
    ],
)
def test_fact_present(phrase: str, text: str, found: bool) -> None:
    assert fact_present(phrase, text) is found


def test_english() -> None:
    it = item(["£40", ["30 June", "June 30"], "library"], lang="en")
    g = grade("The library fine rises to £40 from June 30.", it)
    assert g.value == 1.0
    g = grade("The libraries fine rises to £400.", it)
    assert g.value == 0.0


def test_a_response_over_the_length_limit_is_noted_not_penalised() -> None:
    it = Item(
        id="i",
        prompt="Summarise in 5 words",
        lang="en",
        meta={"key_facts": ["£40", "library"], "max_words": 5},
    )
    long = grade("The library fine rises to £40 from the end of June this year.", it)
    assert long.value == 1.0
    assert long.explanation.endswith("the response is 13 words, over the item's limit of 5")
    short = grade("Library fine: £40.", it)
    assert short.explanation == "2 of 2 key facts present"
    zh = Item(id="i", prompt="概括", lang="zh", meta={"key_facts": ["120元"], "max_chars": 4})
    assert "over the item's limit of 4" in grade("收费 120元 起", zh).explanation


def test_max_length_ratio_fails_a_response_far_over_the_limit() -> None:
    it = Item(id="i", prompt="p", lang="en", meta={"key_facts": ["£40"], "max_words": 4})
    strict = get_scorer("keyfacts", max_length_ratio=2)
    long = "one two three four five six seven eight £40"
    echo = asyncio.run(strict.score(it, make_response(long)))
    assert (echo.value, echo.label) == (0.0, "too_long")
    assert "more than 2 times the limit" in echo.explanation
    # within the ratio: graded as usual, with the note
    near = asyncio.run(strict.score(it, make_response("the fine is now £40")))
    assert (near.value, near.label) == (1.0, "complete")
    assert "over the item's limit of 4" in near.explanation
    # an item without a limit is never too long
    free = Item(id="i", prompt="p", lang="en", meta={"key_facts": ["£40"]})
    assert asyncio.run(strict.score(free, make_response("x " * 500 + "£40"))).value == 1.0


@pytest.mark.parametrize("ratio", [0, -1, "x", True])
def test_max_length_ratio_must_be_positive(ratio: object) -> None:
    with pytest.raises(ConfigError, match="positive"):
        get_scorer("keyfacts", max_length_ratio=ratio)


def test_no_response_and_blocked() -> None:
    g = grade(None)
    assert (g.value, g.label) == (None, "no_response")
    g = grade(None, blocked=True)
    assert (g.value, g.label) == (0.0, "refused_by_service")


@pytest.mark.parametrize(
    ("facts", "label", "words"),
    [
        (None, "no_reference", "no meta.key_facts"),
        ([], "bad_reference", "non-empty list"),
        ("120元", "bad_reference", "non-empty list"),
        (["120元", []], "bad_reference", "entry 2"),
        (["120元", 120], "bad_reference", "entry 2"),
        (["120元", ["3月1日", ""]], "bad_reference", "entry 2"),
        ([["。。"]], "bad_reference", "entry 1"),
    ],
)
def test_malformed_key_facts_cannot_be_graded(facts: Any, label: str, words: str) -> None:
    g = grade("自3月1日起收费120元", item(facts))
    assert (g.value, g.label) == (None, label)
    assert words in g.explanation


def test_read_key_facts_gives_alternatives() -> None:
    assert read_key_facts(item()) == [["3月1日", "三月一日"], ["120元"], ["市民中心"]]
