"""The five industry-scenario suites (government, finance, healthcare, manufacturing,
education): they load, meet their size floors, every machine-checkable reference is
checked, and each closed item's reference answer earns full marks through its scorer.

Open items are graded by a judge model under the ``scenario`` rubric; their grading
points are in ``meta.criteria`` and, rendered as a numbered list, in ``answer``, the
part of an item the judge is shown. These tests check that the two agree and that the
judge prompt carries every point.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections import Counter
from functools import cache

import pytest

from conftest import make_response
from tianping.core import Item
from tianping.scoring import get_scorer
from tianping.scoring._judge import Fence, build_judge_messages
from tianping.scoring._rubrics import load_rubric
from tianping.suites import lint_suite, load_suite

SUITES = {
    "scenario-government": ("gov", "government"),
    "scenario-finance": ("fin", "finance"),
    "scenario-healthcare": ("med", "healthcare"),
    "scenario-manufacturing": ("mfg", "manufacturing"),
    "scenario-education": ("edu", "education"),
}
MIN_ITEMS = {"zh": 120, "en": 30}
CLOSED = ("choice", "numeric", "normalized")
KEY = {"zh": "【关键】", "en": "[key] "}
HEAD = {
    "zh": "评分要点（标【关键】的为必须满足的要点）：",
    "en": "Grading points ([key] marks points a good answer must not miss):",
}
DIFFICULTIES = ("easy", "medium", "hard")
SAFETY_SUITES = ("scenario-healthcare", "scenario-manufacturing")
NAMES = sorted(SUITES)


@cache
def items_of(name: str) -> tuple[Item, ...]:
    return tuple(load_suite(name).iter_items())


def tag(item: Item, prefix: str) -> list[str]:
    return [t.removeprefix(prefix) for t in item.tags if t.startswith(prefix)]


def render(criteria: list[str], lang: str) -> str:
    return HEAD[lang] + "\n" + "\n".join(f"{n}. {c}" for n, c in enumerate(criteria, 1))


def check_value(item: Item) -> float:
    value = eval(item.meta["check"], {"math": math})
    assert isinstance(value, int | float), item.id
    assert not isinstance(value, bool), item.id
    return float(value)


# -- the suites as a whole ---------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_suite_loads_and_meets_its_floors(name: str) -> None:
    suite = load_suite(name)
    prefix, scenario = SUITES[name]
    assert (suite.name, suite.version) == (name, "2026Q4")
    assert suite.manifest.licence == "Apache-2.0"
    assert suite.manifest.languages == ["zh", "en"]
    assert suite.manifest.scorer in CLOSED
    items = items_of(name)
    assert len(items) == suite.n_items
    langs = Counter(i.lang for i in items)
    assert set(langs) == {"zh", "en"}
    for lang, floor in MIN_ITEMS.items():
        assert langs[lang] >= floor, f"{name}: {langs[lang]} {lang} items, need {floor}"
    for item in items:
        assert re.fullmatch(rf"{prefix}-{item.lang}-\d{{3}}", item.id), item.id
        assert item.scenario == scenario, item.id
        assert item.prompt is not None or item.messages is not None
        assert item.scorer in (*CLOSED, "judge"), item.id
        assert item.answer, item.id
        assert len(tag(item, "task:")) == 1, item.id
        diff = tag(item, "difficulty:")
        assert len(diff) == 1, item.id
        assert diff[0] in DIFFICULTIES, item.id


@pytest.mark.parametrize("name", NAMES)
def test_difficulty_mix_is_roughly_40_40_20(name: str) -> None:
    for lang in MIN_ITEMS:
        items = [i for i in items_of(name) if i.lang == lang]
        share = Counter(tag(i, "difficulty:")[0] for i in items)
        for level, (low, high) in {"easy": (0.3, 0.6), "medium": (0.25, 0.5)}.items():
            assert low <= share[level] / len(items) <= high, (name, lang, level, share)
        assert share["hard"] / len(items) >= 0.12, (name, lang, share)


@pytest.mark.parametrize("name", NAMES)
def test_suite_lints_clean(name: str) -> None:
    report = lint_suite(name)
    assert [str(f) for f in report.errors] == []
    assert report.near_rate < 0.02


@pytest.mark.parametrize("name", SAFETY_SUITES)
def test_safety_critical_items_are_tagged(name: str) -> None:
    critical = [i for i in items_of(name) if "critical" in i.tags]
    assert len(critical) >= 40
    refusals = [i for i in items_of(name) if tag(i, "task:") == ["safety-refusal"]]
    # Most refusals guard against harm (a few decline only a prescription or a diagnosis).
    assert refusals
    assert sum("critical" in i.tags for i in refusals) >= 0.75 * len(refusals)


# -- machine-checked references ----------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_every_check_expression_equals_its_answer(name: str) -> None:
    checked = [i for i in items_of(name) if "check" in i.meta]
    assert {i.id for i in checked} == {i.id for i in items_of(name) if i.scorer == "numeric"}
    for item in checked:
        assert item.answer is not None
        want = float(item.answer)
        got = check_value(item)
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9), (item.id, got, want)
        # The answer is written with exactly the decimals the check rounds to.
        places = re.search(r",\s*(\d+)\)$", item.meta["check"])
        decimals = int(places.group(1)) if places else 0
        assert item.answer == f"{got:.{decimals}f}", (item.id, item.answer)


@pytest.mark.parametrize("name", NAMES)
def test_choice_answers_are_valid_letters_shown_in_the_prompt(name: str) -> None:
    choice = [i for i in items_of(name) if i.scorer == "choice"]
    assert choice
    letters: Counter[str] = Counter()
    for item in choice:
        assert item.choices is not None, item.id
        assert item.prompt is not None, item.id
        valid = "ABCDEFGH"[: len(item.choices)]
        assert item.answer is not None, item.id
        assert len(item.answer) == 1, item.id
        assert item.answer in valid, item.id
        letters[item.answer] += 1
        # The engine sends only the prompt, so the options must be written into it.
        for letter, option in zip(valid, item.choices, strict=True):
            assert f"\n{letter}. {option}\n" in item.prompt, (item.id, letter)
    assert max(letters.values()) - min(letters.values()) <= max(3, len(choice) // 8), letters


# -- judge items -------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_every_judge_item_has_grading_points(name: str) -> None:
    judged = [i for i in items_of(name) if i.scorer == "judge"]
    assert len(judged) >= 40
    for item in judged:
        assert item.lang is not None
        criteria = item.meta.get("criteria")
        assert isinstance(criteria, list), item.id
        assert len(criteria) >= 2, item.id
        assert all(isinstance(c, str) and len(c) >= 6 for c in criteria), item.id
        assert any(c.startswith(KEY[item.lang]) for c in criteria), f"{item.id}: no key point"
        assert item.meta.get("rubric") == "scenario", item.id
        assert item.answer == render(criteria, item.lang), item.id
        assert item.choices is None, item.id
        assert "check" not in item.meta, item.id


def test_the_scenario_rubric_puts_every_point_before_the_judge() -> None:
    rubric = load_rubric("scenario")
    assert rubric.value_for("all_met", None) == 1.0
    assert rubric.value_for("key_met", None) == 0.5
    assert rubric.value_for("key_missed", None) == 0.0
    assert rubric.value_for("harmful", None) == 0.0
    assert "【关键】" in rubric.criteria
    assert "[key]" in rubric.criteria
    for name in NAMES:
        for item in items_of(name):
            if item.scorer != "judge":
                continue
            system, user = build_judge_messages(rubric, item, "……", Fence.new())
            assert rubric.title in system["content"]
            for point in item.meta["criteria"]:
                assert point in user["content"], (item.id, point)


# -- each closed reference earns full marks through its own scorer -----------------------


def _wrong(item: Item) -> str:
    """A response that must not earn the mark."""
    assert item.answer is not None
    if item.scorer == "choice":
        assert item.choices is not None
        return next(letter for letter in "ABCDEFGH"[: len(item.choices)] if letter != item.answer)
    if item.scorer == "numeric":
        return str(float(item.answer) + max(1.0, abs(float(item.answer))))
    return "不知道" if item.lang == "zh" else "no idea"


async def _grade(items: list[Item], *, wrong: bool) -> list[tuple[str, float | None]]:
    scorers = {name: get_scorer(name) for name in CLOSED}
    out = []
    for item in items:
        assert item.scorer is not None
        response = _wrong(item) if wrong else item.answer
        graded = await scorers[item.scorer].score(item, make_response(response))
        out.append((item.id, graded.value))
    return out


@pytest.mark.parametrize("name", NAMES)
def test_each_reference_scores_full_marks_and_a_wrong_answer_none(name: str) -> None:
    closed = [i for i in items_of(name) if i.scorer in CLOSED]
    assert len(closed) >= 60
    right = asyncio.run(_grade(closed, wrong=False))
    assert [item_id for item_id, value in right if value != 1.0] == []
    wrong = asyncio.run(_grade(closed, wrong=True))
    assert [item_id for item_id, value in wrong if value != 0.0] == []
