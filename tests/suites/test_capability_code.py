"""The capability-code bank: every reference passes its hidden tests, every broken solution fails.

Both go through the real ``code`` scorer (the sandbox included), all items at once.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter, defaultdict
from functools import cache
from typing import Any

from conftest import make_response
from tianping.core import Item
from tianping.scoring import get_scorer
from tianping.suites import load_suite

SUITE = "capability-code"
MIN_PER_LANG = 100
MIN_ASSERTS = 5


@cache
def items() -> tuple[Item, ...]:
    return tuple(load_suite(SUITE).iter_items())


def fenced(code: str) -> str:
    """The code as a model is asked to answer: one python block, with a word around it."""
    return f"Here is the function:\n\n```python\n{code}```\n"


def test_the_suite_loads_with_its_manifest() -> None:
    suite = load_suite(SUITE)
    assert suite.manifest.scorer == "code"
    assert suite.manifest.languages == ["zh", "en"]
    assert suite.version == "2026.11"
    assert suite.n_items == len(items())


def test_each_problem_is_set_once_per_language_with_the_same_tests() -> None:
    by_problem: dict[str, dict[str, Item]] = defaultdict(dict)
    for it in items():
        assert it.lang is not None
        assert it.id.startswith(f"code-{it.lang}-")
        assert it.lang not in by_problem[it.meta["problem"]], it.id
        by_problem[it.meta["problem"]][it.lang] = it
    counts = Counter(it.lang for it in items())
    assert counts["zh"] >= MIN_PER_LANG
    assert counts["en"] >= MIN_PER_LANG
    for problem, pair in by_problem.items():
        assert set(pair) == {"zh", "en"}, problem
        zh, en = pair["zh"], pair["en"]
        assert zh.tests == en.tests, problem
        assert zh.meta == en.meta, problem
        assert zh.tags == en.tags, problem
    assert len({it.id for it in items()}) == len(items())


def test_items_are_well_formed() -> None:
    difficulties: Counter[str] = Counter()
    for it in items():
        entry = it.meta["entry_point"]
        assert set(it.meta) == {"problem", "entry_point", "reference", "broken"}, it.id
        assert it.scenario == "code"
        assert it.scorer is None  # the suite's default, code
        assert it.prompt is not None
        assert "```python" in it.prompt
        # The prompt shows the signature the tests call.
        assert re.search(rf"^def {entry}\(", it.prompt, re.M), it.id
        assert it.tests is not None
        assert len(re.findall(r"^\s*assert ", it.tests, re.M)) >= MIN_ASSERTS, it.id
        assert re.search(rf"\b{entry}\(", it.tests), it.id
        for code in (it.meta["reference"], it.meta["broken"]):
            assert re.search(rf"^def {entry}\(", code, re.M), it.id
        assert it.meta["reference"] != it.meta["broken"]
        assert "task:code" in it.tags
        (difficulty,) = [t for t in it.tags if t.startswith("difficulty:")]
        difficulties[difficulty] += 1
        assert any(t.startswith("topic:") for t in it.tags)
    total = sum(difficulties.values())
    assert set(difficulties) == {"difficulty:easy", "difficulty:medium", "difficulty:hard"}
    assert 0.3 <= difficulties["difficulty:easy"] / total <= 0.5
    assert 0.3 <= difficulties["difficulty:medium"] / total <= 0.5
    assert 0.12 <= difficulties["difficulty:hard"] / total <= 0.3


def test_references_pass_and_broken_solutions_fail_in_the_sandbox() -> None:
    scorer = get_scorer("code")

    async def grade_all() -> list[Any]:
        jobs = []
        for it in items():
            jobs.append(scorer.score(it, make_response(fenced(it.meta["reference"]))))
            jobs.append(scorer.score(it, make_response(fenced(it.meta["broken"]))))
        return await asyncio.gather(*jobs)

    graded = asyncio.run(grade_all())
    problems = []
    for i, it in enumerate(items()):
        good, bad = graded[2 * i], graded[2 * i + 1]
        if good.value != 1.0:
            problems.append(f"{it.id} reference: {good.label}: {good.explanation}")
        if bad.value != 0.0:
            problems.append(f"{it.id} broken: {bad.label}: {bad.explanation}")
    assert problems == []
