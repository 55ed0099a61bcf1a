"""The capability-instruct bank: every item's instructions parse, every reference response
follows all of them through the real ``instruct`` scorer, and for every instruction type the
bank uses a hand-made response that breaks it scores below 1."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Callable
from functools import cache
from typing import Any

from conftest import make_response
from tianping.core import Item
from tianping.scoring import get_scorer
from tianping.scoring._instruct import CHECKERS, Instruction, check_instruction, parse_instructions

SUITE = "capability-instruct"
MIN_PER_LANG = 150
DIFFICULTIES = {"easy", "medium", "hard"}


@cache
def items() -> tuple[Item, ...]:
    from tianping.suites import load_suite

    return tuple(load_suite(SUITE).iter_items())


def score(it: Item, text: str) -> float | None:
    return asyncio.run(get_scorer("instruct").score(it, make_response(text))).value


def test_the_suite_loads_with_its_manifest() -> None:
    from tianping.suites import load_suite

    suite = load_suite(SUITE)
    assert suite.manifest.scorer == "instruct"
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
        assert re.fullmatch(rf"ins-{it.lang}-\d{{3}}", it.id), it.id
        assert it.scenario == "instruct", it.id
        assert it.prompt, it.id
        assert sum(t.startswith("task:") for t in it.tags) == 1, it.id
        (difficulty,) = (t.split(":", 1)[1] for t in it.tags if t.startswith("difficulty:"))
        assert difficulty in DIFFICULTIES, it.id
        assert isinstance(it.meta.get("reference"), str), it.id
        assert it.meta["reference"].strip(), it.id
        assert 1 <= len(it.meta["instructions"]) <= 3, it.id


def test_every_instruction_type_used_exists_and_its_parameters_are_valid() -> None:
    used = Counter(ins["type"] for it in items() for ins in it.meta["instructions"])
    assert set(used) <= set(CHECKERS), set(used) - set(CHECKERS)
    for it in items():
        parse_instructions(it)  # raises ConfigError naming the item


def test_the_bank_uses_every_instruction_type() -> None:
    used = {ins["type"] for it in items() for ins in it.meta["instructions"]}
    assert used == set(CHECKERS)


def test_every_reference_follows_all_its_instructions() -> None:
    failed = [
        f"{it.id}: {graded.explanation}"
        for it in items()
        if (
            graded := asyncio.run(
                get_scorer("instruct").score(it, make_response(it.meta["reference"]))
            )
        ).value
        != 1.0
    ]
    assert failed == []


# -- hand-made violations, one recipe per instruction type ------------------------------------


def _units(kind: str, lang: str, k: int) -> str:
    """A text holding exactly ``k`` of what ``kind`` counts."""
    zh = lang == "zh"
    parts = {
        "chars": ["字" if zh else "x"] * k,
        "words": ["word"] * k,
        "sentences": ["这是一句。" if zh else "This is one."] * k,
        "bullets": ["- item\n"] * k,
        "numbered": [f"{i + 1}. item\n" for i in range(k)],
        "headings": ["# Heading\n"] * k,
        "bold": ["**bold** "] * k,
        "placeholders": ["[field] "] * k,
    }
    if kind == "paragraphs":
        return "\n\n".join(["Text."] * k) or "..."
    return ("" if kind == "chars" else " ").join(parts[kind]) or "..."


def _count_breaker(ins: Instruction, lang: str) -> str:
    p = _p(ins)
    low = p.exactly if p.exactly is not None else p.at_least
    k = 0 if low else p.at_most + 1  # none of them, or one too many
    if ins.type == "frequency":
        return ("其他内容" if lang == "zh" else "other words") + f" {p.word}" * k
    return _units(ins.type, lang, k)


def _p(ins: Instruction) -> Any:
    """The instruction's parameters, untyped: each recipe knows its own type's fields."""
    return ins.params


def _without(text: str, words: tuple[str, ...]) -> str:
    for w in words:
        text = re.sub(re.escape(w), "", text, flags=re.IGNORECASE)
    return text


BREAKERS: dict[str, Callable[[Instruction, str, str], str]] = {
    **{
        kind: (lambda ins, ref, lang: _count_breaker(ins, lang))
        for kind in (
            "chars",
            "words",
            "sentences",
            "paragraphs",
            "bullets",
            "numbered",
            "headings",
            "bold",
            "placeholders",
            "frequency",
        )
    },
    "include": lambda ins, ref, lang: _without(ref, _p(ins).words),
    "exclude": lambda ins, ref, lang: f"{ref} {_p(ins).words[0]}",
    "json": lambda ins, ref, lang: f"{ref}\nThat is all.",
    "table": lambda ins, ref, lang: ref.replace("|", " "),
    "title": lambda ins, ref, lang: f"Untitled\n{ref}",
    "lowercase": lambda ins, ref, lang: f"Note: {ref}",
    "uppercase": lambda ins, ref, lang: f"{ref} ok",
    "starts_with": lambda ins, ref, lang: f"Well. {ref}",
    "ends_with": lambda ins, ref, lang: f"{ref} (end)",
    "postscript": lambda ins, ref, lang: re.sub(r"P\.S\.", "Note", ref, flags=re.IGNORECASE),
    "quoted": lambda ins, ref, lang: ref.strip().strip('"“”'),
    "language": lambda ins, ref, lang: (
        "This answer is written in English only."
        if _p(ins).lang == "zh"
        else "这个回答完全是用中文写的。"
    ),
    "no_commas": lambda ins, ref, lang: f"{ref}, and，more",
}


def test_every_type_has_a_breaker() -> None:
    assert set(BREAKERS) == set(CHECKERS)


def test_a_violating_response_breaks_each_instruction_and_scores_below_one() -> None:
    problems: list[str] = []
    broken_types: set[str] = set()
    for it in items():
        for ins in parse_instructions(it):
            broken = BREAKERS[ins.type](ins, it.meta["reference"], it.lang or "")
            ok, why = check_instruction(broken, ins)
            value = score(it, broken)
            if ok or value is None or value >= 1.0:
                problems.append(f"{it.id} {ins}: {why} (score {value}) for {broken[:80]!r}")
            broken_types.add(ins.type)
    assert problems == []
    assert broken_types == set(CHECKERS)
