"""The capability-recognise bank: size, labels, and every reference graded full marks by
its own scorer (which proves the item and the scorer agree)."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from functools import cache

import pytest

from conftest import make_response
from tianping.core import Item
from tianping.scoring import get_scorer
from tianping.suites import lint_suite, load_suite

NAME = "capability-recognise"
TASKS = {"sentiment", "topic", "intent", "ner", "extract"}
CLASSIFY = {"sentiment", "topic", "intent"}
FLOOR = 150  # items per language


@cache
def items() -> tuple[Item, ...]:
    return tuple(load_suite(NAME).iter_items())


def tag(item: Item, prefix: str) -> str:
    found = [t.split(":", 1)[1] for t in item.tags if t.startswith(prefix + ":")]
    assert len(found) == 1, (item.id, prefix, item.tags)
    return found[0]


def passage(item: Item) -> str:
    """The text the item is about: what follows the instructions."""
    assert item.prompt is not None
    return item.prompt.split("\n\n", 1)[1]


@cache
def default_scorer() -> str:
    scorer = load_suite(NAME).manifest.scorer
    assert scorer is not None
    return scorer


def grade(item: Item, text: str) -> float | None:
    scorer = get_scorer(item.scorer or default_scorer())
    return asyncio.run(scorer.score(item, make_response(text))).value


def test_loads_with_its_manifest() -> None:
    suite = load_suite(NAME)
    assert suite.name == NAME
    assert suite.version == "2026.11"
    assert suite.manifest.scorer == "fields"
    assert suite.manifest.languages == ["zh", "en"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_size_floor_per_language(lang: str) -> None:
    assert sum(1 for it in items() if it.lang == lang) >= FLOOR


def test_ids_labels_and_scenario() -> None:
    ids = Counter(it.id for it in items())
    assert [i for i, n in ids.items() if n > 1] == []
    for it in items():
        assert it.id.startswith(f"rec-{it.lang}-"), it.id
        assert it.scenario == "recognise"
        assert tag(it, "task") in TASKS
        assert tag(it, "difficulty") in {"easy", "medium", "hard"}
        assert it.prompt is not None
        assert it.meta.get("domain"), it.id


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_task_is_covered_and_difficulty_is_about_40_40_20(lang: str) -> None:
    mine = [it for it in items() if it.lang == lang]
    assert {tag(it, "task") for it in mine} == TASKS
    share = Counter(tag(it, "difficulty") for it in mine)
    n = len(mine)
    assert abs(share["easy"] / n - 0.4) <= 0.05
    assert abs(share["medium"] / n - 0.4) <= 0.05
    assert abs(share["hard"] / n - 0.2) <= 0.05


def test_scorers_fit_the_task() -> None:
    for it in items():
        if tag(it, "task") in CLASSIFY:
            assert tag(it, "format") in {"choice", "label"}, it.id
            assert it.scorer == "choice", it.id
        else:
            assert tag(it, "format") == "json", it.id
            assert it.scorer is None, it.id  # the suite default, fields


def test_choice_items_show_their_options_and_answer_a_valid_letter() -> None:
    for it in (it for it in items() if tag(it, "format") == "choice"):
        assert it.choices is not None
        assert it.answer is not None
        assert re.fullmatch("[A-Z]", it.answer), it.id
        assert ord(it.answer) - ord("A") < len(it.choices), it.id
        assert it.prompt is not None
        for i, option in enumerate(it.choices):
            # the engine sends the prompt only, so the options must be written in it
            assert f"\n{chr(65 + i)}. {option}\n" in it.prompt, (it.id, option)


def test_label_items_list_their_labels_and_answer_one_of_them() -> None:
    for it in (it for it in items() if tag(it, "format") == "label"):
        assert it.answer is not None
        assert it.prompt is not None
        labels_line = next(
            line for line in it.prompt.splitlines() if line.startswith(("可选标签：", "Labels: "))
        )
        labels = re.split("、|, ", labels_line.split("：" if it.lang == "zh" else ": ", 1)[1])
        # the labels shown are the choices graded, and no label holds another
        assert tuple(labels) == it.choices, it.id
        assert it.answer in labels, it.id
        assert not any(a != b and a.lower() in b.lower() for a in labels for b in labels), it.id


def test_json_items_parse_and_the_prompt_names_every_key() -> None:
    for it in (it for it in items() if it.scorer is None):
        assert it.answer is not None
        expected = json.loads(it.answer)
        assert isinstance(expected, dict), it.id
        assert expected, it.id
        assert it.prompt is not None
        assert "JSON" in it.prompt, it.id
        for key in expected:
            assert key in it.prompt.split("\n\n", 1)[0], (it.id, key)


def test_named_entities_are_spans_of_the_text() -> None:
    for it in (it for it in items() if tag(it, "task") == "ner"):
        assert it.answer is not None
        for key, values in json.loads(it.answer).items():
            assert isinstance(values, list), (it.id, key)
            for entity in values:
                assert entity in passage(it), (it.id, key, entity)


def test_a_label_stated_in_a_sentence_counts() -> None:
    for it in (it for it in items() if tag(it, "format") == "label"):
        assert it.answer is not None
        sentence = (
            f"我的判断是：{it.answer}。" if it.lang == "zh" else f"The answer is {it.answer}."
        )
        assert grade(it, sentence) == 1.0, it.id


def test_every_reference_answer_scores_full_marks() -> None:
    failures = []
    for it in items():
        assert it.answer is not None
        if grade(it, it.answer) != 1.0:
            failures.append(it.id)
    assert failures == []


def test_wrong_answers_do_not_score_full_marks() -> None:
    for it in items():
        assert it.answer is not None
        if tag(it, "format") == "choice":
            assert it.choices is not None
            wrong = next(chr(65 + i) for i in range(len(it.choices)) if chr(65 + i) != it.answer)
            assert grade(it, wrong) == 0.0, it.id
        elif tag(it, "format") == "label":
            assert it.choices is not None
            other = next(c for c in it.choices if c != it.answer)
            assert grade(it, other) == 0.0, it.id
            assert grade(it, f"{it.answer}、{other}") == 0.0, it.id  # hedging over two labels
        else:
            assert grade(it, "{}") == 0.0, it.id
            assert grade(it, "I cannot find that.") == 0.0, it.id


def test_near_duplicate_rate_is_under_two_percent() -> None:
    report = lint_suite(NAME)
    assert [str(f) for f in report.errors] == []
    assert report.near_rate < 0.02
