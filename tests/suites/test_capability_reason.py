"""The capability-reason suite: every answer is recomputed from its ``meta.check``, and
the item's own scorer gives the reference answer full marks and a wrong answer none.

``meta.check`` is a Python expression evaluated with a few safe builtins, the modules
named in ``meta.check_modules`` (only ``datetime``, ``itertools``, ``math`` and
``statistics`` may be named), ``only(xs)`` (the single element of ``xs``: logic puzzles
enumerate every solution and so prove theirs is the only one) and, when the prompt
holds a Markdown table, ``table``: its rows as dicts keyed by the header, numbers
parsed ("18,400" -> 18400, "12%" -> 12). A check that reads ``table`` therefore
recomputes the answer from the very table the model sees.
"""

from __future__ import annotations

import asyncio
import datetime
import itertools
import math
import statistics
from collections import Counter
from collections.abc import Iterable
from functools import cache
from typing import Any

import pytest

from conftest import make_response
from tianping.core import Item
from tianping.scoring import get_scorer
from tianping.scoring._normalize import extract_number
from tianping.suites import load_suite

SUITE = "capability-reason"
LANGS = ("zh", "en")
TASKS = ("arithmetic", "units", "dates", "logic", "table", "forecast")
MIN_PER_LANG = 150
MIN_PER_TASK = 20  # per language
MODULES: dict[str, Any] = {
    "datetime": datetime,
    "itertools": itertools,
    "math": math,
    "statistics": statistics,
}
BUILTINS: dict[str, Any] = {
    name: getattr(__builtins__, name) if not isinstance(__builtins__, dict) else __builtins__[name]
    for name in (
        "abs", "all", "any", "bool", "dict", "divmod", "enumerate", "filter", "float", "int",
        "len", "list", "map", "max", "min", "next", "pow", "range", "reversed", "round", "set",
        "sorted", "str", "sum", "tuple", "zip",
    )
}  # fmt: skip


@cache
def _suite() -> tuple[str | None, tuple[Item, ...]]:
    suite = load_suite(SUITE)
    return suite.manifest.scorer, tuple(suite.iter_items())


def _items() -> tuple[Item, ...]:
    return _suite()[1]


def _tag(item: Item, prefix: str) -> str:
    (value,) = [t.removeprefix(prefix) for t in item.tags if t.startswith(prefix)]
    return value


def _ids(items: Iterable[Item]) -> list[str]:
    return [item.id for item in items]


def only(xs: Iterable[Any]) -> Any:
    found = list(xs)
    if len(found) != 1:
        raise AssertionError(f"expected exactly one solution, found {len(found)}: {found[:5]}")
    return found[0]


def _cell(text: str) -> Any:
    value = text.strip()
    plain = value.replace(",", "").removesuffix("%")
    for kind in (int, float):
        try:
            return kind(plain)
        except ValueError:
            pass
    return value


def parse_table(prompt: str) -> list[dict[str, Any]] | None:
    """The Markdown table in ``prompt`` as rows keyed by its header, or None."""
    lines = [ln.strip() for ln in prompt.splitlines() if ln.strip().startswith("|")]
    if not lines:
        return None
    rows = [ln.strip("|").split("|") for ln in lines]
    header = [c.strip() for c in rows[0]]
    assert set("".join(rows[1])) <= set("-: "), f"second table line is no separator: {lines[1]}"
    assert len(rows) > 3, "a table needs at least two data rows"
    for row in rows[2:]:
        assert len(row) == len(header), f"row {row} does not match header {header}"
    return [{h: _cell(c) for h, c in zip(header, row, strict=True)} for row in rows[2:]]


def recompute(item: Item) -> Any:
    """The value of the item's ``meta.check``."""
    names = item.meta["check_modules"]
    assert set(names) <= set(MODULES), f"unknown modules {set(names) - set(MODULES)}"
    env: dict[str, Any] = {"__builtins__": BUILTINS, "only": only}
    env.update({name: MODULES[name] for name in names})
    table = parse_table(item.prompt or "")
    if table is not None:
        env["table"] = table
    assert item.meta.get("check_uses_table", False) == (table is not None)
    return eval(item.meta["check"], env)


def grade(scorer: str, item: Item, text: str) -> float | None:
    return asyncio.run(get_scorer(scorer).score(item, make_response(text))).value


def scorer_of(item: Item) -> str:
    default = _suite()[0]
    assert default is not None
    return item.scorer or default


# -- the suite as a whole ---------------------------------------------------------------------


def test_the_suite_loads_with_numeric_as_default() -> None:
    default, items = _suite()
    assert default == "numeric"
    assert len({item.id for item in items}) == len(items)


@pytest.mark.parametrize("lang", LANGS)
def test_each_language_meets_its_floors(lang: str) -> None:
    items = [item for item in _items() if item.lang == lang]
    assert len(items) >= MIN_PER_LANG
    assert all(item.id.startswith(f"rsn-{lang}-") for item in items)
    assert all(item.scenario == "reason" for item in items)
    tasks = Counter(_tag(item, "task:") for item in items)
    assert set(tasks) == set(TASKS)
    assert min(tasks.values()) >= MIN_PER_TASK, tasks
    levels = Counter(_tag(item, "difficulty:") for item in items)
    assert set(levels) == {"easy", "medium", "hard"}
    # roughly 40/40/20
    assert levels["easy"] >= 0.3 * len(items), levels
    assert levels["medium"] >= 0.3 * len(items), levels
    assert 0.15 * len(items) <= levels["hard"] <= 0.3 * len(items), levels


def test_every_answer_has_a_check_and_a_fitting_scorer() -> None:
    for item in _items():
        assert item.answer, item.id
        assert isinstance(item.meta.get("check"), str), item.id
        assert isinstance(item.meta.get("check_modules"), list), item.id
        kind = scorer_of(item)
        assert kind in ("numeric", "normalized", "choice"), item.id
        if kind == "numeric":
            float(item.answer)  # plain numbers only: "1234.5", never "1,234.5 元"
        if kind == "choice":
            assert item.choices is not None
            assert item.answer in "ABCDEFG"[: len(item.choices)], item.id
            # the options are in the prompt, since nothing else shows them to the model
            for letter, text in zip("ABCDEFG", item.choices, strict=False):
                assert f"{letter}. {text}" in (item.prompt or ""), item.id


def test_prompts_say_what_to_output() -> None:
    for item in _items():
        prompt = item.prompt or ""
        if item.lang == "zh":
            assert "只" in prompt, item.id
        else:
            assert any(w in prompt for w in ("only", "Only", "Just", "just")), item.id


# -- every answer, recomputed and graded --------------------------------------------------------


@pytest.mark.parametrize("item", _items(), ids=_ids(_items()))
def test_the_check_recomputes_the_answer(item: Item) -> None:
    value = recompute(item)
    assert item.answer is not None
    kind = scorer_of(item)
    if kind == "numeric":
        assert not isinstance(value, (str, bool)), f"{item.id}: check gave {value!r}"
        assert math.isclose(float(value), float(item.answer), rel_tol=1e-9, abs_tol=1e-9), (
            f"{item.id}: check gives {value!r}, answer is {item.answer!r}"
        )
    elif kind == "choice":
        assert item.choices is not None
        assert value == item.choices["ABCDEFG".index(item.answer)], (
            f"{item.id}: check gives {value!r}, answer {item.answer} is "
            f"{item.choices['ABCDEFG'.index(item.answer)]!r}"
        )
    else:
        assert value == item.answer, f"{item.id}: check gives {value!r}, answer is {item.answer!r}"


@pytest.mark.parametrize("item", _items(), ids=_ids(_items()))
def test_the_reference_scores_full_marks_and_a_wrong_answer_none(item: Item) -> None:
    """Full marks for the reference (also phrased as a sentence), none for a wrong
    answer, and none for the prompt echoed back (no answer leaks from an example)."""
    assert item.answer is not None
    kind = scorer_of(item)
    assert grade(kind, item, item.answer) == 1.0
    assert item.prompt is not None
    assert grade(kind, item, item.prompt) == 0.0, "echoing the prompt must not pass"
    if kind == "numeric":
        want = float(item.answer)
        said = "答案：" if item.lang == "zh" else "The answer is "
        assert grade(kind, item, f"{said}{item.answer}") == 1.0
        assert extract_number(item.answer) == pytest.approx(want)
        wrong = want + max(1.0, abs(want) * 0.1)
        assert grade(kind, item, f"{wrong:g}") == 0.0
        assert grade(kind, item, f"{said}{wrong:g}") == 0.0
    elif kind == "choice":
        assert item.choices is not None
        right = "ABCDEFG".index(item.answer)
        assert grade(kind, item, item.choices[right]) == 1.0  # the option's text also counts
        other = "ABCDEFG"[(right + 1) % len(item.choices)]
        assert grade(kind, item, other) == 0.0
    else:
        assert grade(kind, item, f"**{item.answer}**") == 1.0
        assert grade(kind, item, f"{item.answer}x") == 0.0


def test_a_wrong_check_is_caught() -> None:
    """The recomputation is not vacuous: a check that disagrees fails it."""
    item = next(i for i in _items() if scorer_of(i) == "numeric")
    broken = item.model_copy(update={"meta": {**item.meta, "check": f"({item.meta['check']}) + 1"}})
    with pytest.raises(AssertionError):
        test_the_check_recomputes_the_answer(broken)


def test_only_rejects_puzzles_with_several_solutions() -> None:
    with pytest.raises(AssertionError, match="found 2"):
        only(p for p in itertools.permutations("ab"))
