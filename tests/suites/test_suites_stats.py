"""``suite_stats``: counts by risk, category, language, form, attack, aspect, scenario, refuse."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tianping.core import Item, SuiteError
from tianping.suites import suite_stats
from tianping.suites._stats import DIMENSIONS, count_items, item_groups


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


ROWS: list[dict[str, Any]] = [
    {"id": "a", "prompt": "q", "risk": "A1a", "lang": "zh", "refuse": True,
     "tags": ["form:direct"]},
    {"id": "b", "prompt": "q", "risk": "A1c", "lang": "zh", "refuse": True, "tags": ["form:task"]},
    {"id": "c", "prompt": "q", "risk": "A2e", "lang": "en", "refuse": True,
     "tags": ["form:direct", "form:role-play"], "scenario": "safety"},
    {"id": "d", "prompt": "q", "lang": "zh", "refuse": False, "meta": {"aspect": "history"}},
    {"id": "a~base64", "prompt": "q", "risk": "A1a", "lang": "zh", "refuse": True,
     "meta": {"attack": "base64", "parent": "a"}},
    {"id": "e", "prompt": "q"},
]  # fmt: skip


def test_counts_every_dimension(tmp_path: Path) -> None:
    stats = suite_stats(_write(tmp_path / "bank.jsonl", ROWS))
    assert stats.items == 6
    assert stats.name == "bank"
    assert list(stats.by) == list(DIMENSIONS)
    assert stats.by["risk"] == {"A1a": 2, "A1c": 1, "A2e": 1, "unlabelled": 2}
    assert stats.by["category"] == {"A1": 3, "A2": 1, "unlabelled": 2}
    assert stats.by["lang"] == {"zh": 4, "en": 1, "unlabelled": 1}
    # c has two form tags and counts under both; items without one are unlabelled.
    assert stats.by["form"] == {"direct": 2, "role-play": 1, "task": 1, "unlabelled": 3}
    assert stats.by["attack"] == {"none": 5, "base64": 1}
    assert stats.by["aspect"] == {"history": 1, "unlabelled": 5}
    assert stats.by["scenario"] == {"safety": 1, "unlabelled": 5}
    assert stats.by["refuse"] == {"true": 4, "false": 1, "unset": 1}


def test_text_and_json(tmp_path: Path) -> None:
    stats = suite_stats(_write(tmp_path / "bank.jsonl", ROWS))
    text = str(stats)
    assert text.splitlines()[0].startswith("bank 0: 6 items")
    assert "A1a" in text
    assert "inciting subversion" in text  # risk names shown beside ids
    assert "discriminatory content" in text  # and category names
    data = json.loads(json.dumps(stats.to_json()))
    assert data["items"] == 6
    assert data["by"]["refuse"]["true"] == 4


def test_risk_order_follows_appendix_a() -> None:
    items = [Item(id=str(i), prompt="q", risk=r) for i, r in enumerate(["A5b", "A1h", "A1a"])]
    _total, by = count_items(items)
    assert list(by["risk"]) == ["A1a", "A1h", "A5b"]


def test_item_groups_reads_meta_as_text() -> None:
    item = Item(id="x", prompt="q", meta={"aspect": 3})
    assert item_groups(item)["aspect"] == ["3"]


def test_builtin_sample() -> None:
    stats = suite_stats("sample")
    assert stats.items == 40
    assert sum(stats.by["lang"].values()) == 40
    assert sum(stats.by["category"].values()) == 40


def test_invalid_suite_raises(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "prompt": "q", "risk": "A9z"}\n', "utf-8")
    with pytest.raises(SuiteError, match="unknown risk id"):
        suite_stats(bad)
