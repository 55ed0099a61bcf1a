"""The matching scorers: exact, normalized, choice, numeric and regex."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tianping.core import ConfigError, Item, Response
from tianping.scoring import Graded, Scorer, get_scorer
from tianping.scoring._match import (
    ChoiceScorer,
    ExactScorer,
    NormalizedScorer,
    NumericScorer,
    RegexScorer,
)

EN = ("London", "Paris", "Berlin", "Madrid")
ZH = ("上海", "北京", "广州", "深圳")


def item(**fields: Any) -> Item:
    return Item(id="i", prompt="Which one?", **fields)


def response(text: str | None, **fields: Any) -> Response:
    status = "done" if text is not None else "failed"
    return Response(
        run_id="r", item_id="i", position=0, request_key="k", status=status, text=text, **fields
    )


def grade(scorer: Scorer, it: Item, text: str | None, **fields: Any) -> Graded:
    return asyncio.run(scorer.score(it, response(text, **fields)))


ALL_SCORERS = [ExactScorer(), NormalizedScorer(), ChoiceScorer(), NumericScorer(), RegexScorer()]
ANY_ITEM = item(answer="B", choices=EN, target="Paris")


def test_registered_by_name() -> None:
    assert isinstance(get_scorer("exact"), ExactScorer)
    assert get_scorer("normalized", contains=True).contains is True  # type: ignore[attr-defined]
    assert isinstance(get_scorer("choice"), ChoiceScorer)
    assert get_scorer("numeric", rel_tol=0.01).rel_tol == 0.01  # type: ignore[attr-defined]
    assert isinstance(get_scorer("regex"), RegexScorer)
    with pytest.raises(ConfigError):
        get_scorer("numeric", tolerance=0.1)


@pytest.mark.parametrize("scorer", ALL_SCORERS, ids=lambda s: s.name)
def test_no_response(scorer: Scorer) -> None:
    graded = grade(scorer, ANY_ITEM, None, error="timeout")
    assert (graded.value, graded.label) == (None, "no_response")


@pytest.mark.parametrize("scorer", ALL_SCORERS, ids=lambda s: s.name)
def test_refused_by_service(scorer: Scorer) -> None:
    graded = grade(scorer, ANY_ITEM, "", refused_by_service=True, vendor_code="content_filter")
    assert (graded.value, graded.label) == (0.0, "refused_by_service")
    assert "content_filter" in graded.explanation
    blocked_without_text = grade(scorer, ANY_ITEM, None, refused_by_service=True)
    assert blocked_without_text.label == "refused_by_service"


@pytest.mark.parametrize(
    ("answer", "text", "value"),
    [
        ("Paris", "Paris", 1.0),
        ("Paris", "  Paris\n", 1.0),
        ("  Paris ", "Paris", 1.0),
        ("Paris", "paris", 0.0),
        ("Paris", "Paris.", 0.0),
        ("北京", "北京", 1.0),
        ("北京", "北京。", 0.0),
    ],
)
def test_exact(answer: str, text: str, value: float) -> None:
    graded = grade(ExactScorer(), item(answer=answer), text)
    assert graded.value == value
    assert repr(answer.strip()) in graded.explanation


def test_exact_without_reference() -> None:
    assert grade(ExactScorer(), item(), "Paris").value is None


@pytest.mark.parametrize(
    ("answer", "text", "value"),
    [
        ("Paris", "paris.", 1.0),
        ("Paris", "  **PARIS**  ", 1.0),
        ("ABC123", "ＡＢＣ１２３", 1.0),
        ("台湾", "臺灣", 1.0),
        ("发展", "發展", 1.0),
        ("经济发展", "經濟發展。", 1.0),
        ("北京，上海", "北京、上海", 1.0),
        ("New York", "new   york!", 1.0),
        ("Paris", "The answer is Paris.", 0.0),
        ("Paris", "Lyon", 0.0),
    ],
)
def test_normalized(answer: str, text: str, value: float) -> None:
    assert grade(NormalizedScorer(), item(answer=answer), text).value == value


@pytest.mark.parametrize(
    ("answer", "text", "value"),
    [
        ("Paris", "The answer is Paris.", 1.0),
        ("台湾", "答案是：臺灣。", 1.0),
        ("Paris", "London", 0.0),
    ],
)
def test_normalized_contains(answer: str, text: str, value: float) -> None:
    graded = grade(NormalizedScorer(contains=True), item(answer=answer), text)
    assert graded.value == value
    assert "contain" in graded.explanation


@pytest.mark.parametrize(
    ("choices", "answer", "text", "value", "label"),
    [
        (EN, "B", "The answer is B.", 1.0, "B"),
        (EN, "b", "Answer: B", 1.0, "B"),
        (EN, "B", "A good question... the answer is C", 0.0, "C"),
        (EN, "B", "**B**", 1.0, "B"),
        (EN, "B", "Paris", 1.0, "B"),
        (EN, "B", "A or B", 0.0, "none"),
        (EN, "B", "I cannot answer that.", 0.0, "none"),
        (ZH, "B", "答案是 B", 1.0, "B"),
        (ZH, "B", "正确答案为（D）", 0.0, "D"),
        (ZH, "B", "A 和 C 都对", 0.0, "none"),
        (ZH, "北京", "选B", 1.0, "B"),  # answer given as the option's text
    ],
)
def test_choice(choices: tuple[str, ...], answer: str, text: str, value: float, label: str) -> None:
    graded = grade(ChoiceScorer(), item(choices=choices, answer=answer), text)
    assert (graded.value, graded.label) == (value, label)
    assert graded.explanation.startswith("expected B")


def test_choice_explanation_quotes_the_evidence() -> None:
    graded = grade(ChoiceScorer(), item(choices=EN, answer="B"), "The answer is B.")
    assert graded.explanation == "expected B, found B via 'answer is B'"


def test_choice_without_choices_or_with_a_bad_reference() -> None:
    graded = grade(ChoiceScorer(), item(answer="B"), "B")
    assert graded.value is None
    assert "no choices" in graded.explanation
    graded = grade(ChoiceScorer(), item(choices=EN, answer="Z"), "B")
    assert (graded.value, graded.label) == (None, "bad_reference")


@pytest.mark.parametrize(
    ("answer", "text", "value"),
    [
        ("42", "答案是 42", 1.0),
        ("42", "The answer is 42.0.", 1.0),
        ("3.5", "x = 3.5", 1.0),
        ("1234.5", "It costs 1,234.5 yuan.", 1.0),
        ("-7", "The temperature falls to -7 degrees.", 1.0),
        ("0.75", "3/4", 1.0),
        ("12", "答案：十二", 1.0),
        ("305", "一共三百零五人", 1.0),
        ("1,000", "1000", 1.0),
        ("42", "The answer is 43.", 0.0),
        ("0.1", "0.1000001", 1.0),
        ("0", "答案是0", 1.0),
    ],
)
def test_numeric(answer: str, text: str, value: float) -> None:
    assert grade(NumericScorer(), item(answer=answer), text).value == value


def test_numeric_tolerances_and_bad_input() -> None:
    it = item(answer="100")
    assert grade(NumericScorer(), it, "101").value == 0.0
    assert grade(NumericScorer(rel_tol=0.02), it, "101").value == 1.0
    assert grade(NumericScorer(abs_tol=1.5), it, "101").value == 1.0
    no_number = grade(NumericScorer(), it, "I don't know.")
    assert (no_number.value, no_number.label) == (0.0, "no_number")
    assert grade(NumericScorer(), item(answer="十二"), "12").value == 1.0
    assert grade(NumericScorer(), item(answer="many"), "12").label == "bad_reference"
    with pytest.raises(ValueError, match="negative"):
        NumericScorer(rel_tol=-1)


@pytest.mark.parametrize(
    ("fields", "text", "value"),
    [
        ({"target": r"\bparis\b"}, "The answer is Paris.", 1.0),
        ({"target": r"^answer:\s*b$"}, "ANSWER: B", 1.0),
        ({"target": r"start.*end"}, "start\nmiddle\nend", 1.0),
        ({"target": r"北京|首都"}, "中国的首都是北京。", 1.0),
        ({"target": r"\d{3}"}, "only 42 here", 0.0),
        ({"answer": "Paris"}, "paris", 1.0),  # no target: the answer is the pattern
        ({"target": "Lyon", "answer": "Paris"}, "Paris", 0.0),  # target wins
    ],
)
def test_regex(fields: dict[str, str], text: str, value: float) -> None:
    assert grade(RegexScorer(), item(**fields), text).value == value


def test_regex_flags_and_invalid_pattern() -> None:
    assert grade(RegexScorer(ignore_case=False), item(target="paris"), "Paris").value == 0.0
    assert grade(RegexScorer(dotall=False), item(target="a.b"), "a\nb").value == 0.0
    graded = grade(RegexScorer(), item(target="(unclosed"), "anything")
    assert (graded.value, graded.label) == (None, "bad_pattern")
    assert "invalid pattern" in graded.explanation
    assert grade(RegexScorer(), item(), "anything").value is None


def test_scorers_have_names_and_versions() -> None:
    assert [s.name for s in ALL_SCORERS] == ["exact", "normalized", "choice", "numeric", "regex"]
    assert all(s.version == "1" and isinstance(s, Scorer) for s in ALL_SCORERS)
