"""The ``fields`` scorer: reading JSON out of responses and field-by-field micro-F1."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from conftest import make_response
from tianping.core import Item
from tianping.scoring import Graded, Scorer, get_scorer
from tianping.scoring._fields import field_units, find_json_object

EXPECTED = {"申请人": "王小明", "金额": 1200, "日期": "2026-03-01", "材料": ["身份证", "户口本"]}


def item(answer: Any = EXPECTED, lang: str | None = "zh") -> Item:
    text = answer if isinstance(answer, str) or answer is None else json.dumps(answer)
    return Item(id="i", prompt="提取字段，输出JSON", answer=text, lang=lang)


def grade(text: str | None, it: Item | None = None, *, blocked: bool = False) -> Graded:
    scorer = get_scorer("fields")
    return asyncio.run(scorer.score(it or item(), make_response(text, blocked=blocked)))


def test_registered() -> None:
    scorer = get_scorer("fields")
    assert isinstance(scorer, Scorer)
    assert scorer.name == "fields"
    assert scorer.version == "1"


def test_the_expected_object_itself_is_exact() -> None:
    g = grade(json.dumps(EXPECTED, ensure_ascii=False))
    assert (g.value, g.label) == (1.0, "exact")
    assert "F1 1.000" in g.explanation


@pytest.mark.parametrize(
    "text",
    [
        # fenced, with prose around it
        '好的，提取结果如下：\n```json\n{"申请人": "王小明", "金额": 1200, "日期": "2026-03-01",'
        ' "材料": ["户口本", "身份证"]}\n```\n如有疑问请告知。',
        # full-width digits, a number as text, spaces around a value, list order changed
        '{"申请人": " 王小明 ", "金额": "１２００", "日期": "２０２６-０３-０１",'
        ' "材料": ["户口本", "身份证"]}',
        # a Python-style dict with a trailing comma
        "{'申请人': '王小明', '金额': 1200.0, '日期': '2026-03-01', '材料': ['身份证', '户口本'],}",
        # full-width braces and colons
        '｛"申请人"："王小明"，"金额"：1200，"日期"："2026-03-01"，"材料"：["身份证"，"户口本"]｝',
        # traditional characters and thousands separators
        '{"申请人": "王小明", "金额": "1,200", "日期": "2026-03-01", "材料": ["身份證", "戶口本"]}',
        # an extra field is ignored
        '{"申请人": "王小明", "金额": 1200, "日期": "2026-03-01", "材料": ["身份证", "户口本"],'
        ' "备注": "无"}',
    ],
)
def test_tolerated_forms_are_exact(text: str) -> None:
    g = grade(text)
    assert (g.value, g.label) == (1.0, "exact"), g.explanation


def test_english_keys_match_ignoring_case_spaces_and_underscores() -> None:
    it = item({"start_date": "2026-05-01", "Party A": "Acme Ltd"}, lang="en")
    g = grade('Here you go: {"Start Date": "2026-05-01", "party_a": "ACME LTD."}', it)
    assert (g.value, g.label) == (1.0, "exact"), g.explanation


def test_partial_credit_is_micro_f1_over_fields_and_list_elements() -> None:
    # 5 expected units (3 scalars + 2 list elements); 3 right, 1 wrong scalar, 1 extra element
    text = json.dumps(
        {"申请人": "王小明", "金额": 1300, "日期": "2026-03-01", "材料": ["身份证", "护照"]},
        ensure_ascii=False,
    )
    g = grade(text)
    # tp = 3 (申请人, 日期, 身份证); fp = 2 (1300, 护照); fn = 2 (1200, 户口本)
    assert g.value == pytest.approx(2 * 3 / (2 * 3 + 2 + 2))
    assert g.label == "partial"
    assert "金额" in g.explanation
    assert "材料" in g.explanation


def test_missing_fields_are_named() -> None:
    g = grade('{"申请人": "王小明"}')
    assert g.label == "partial"
    assert g.value == pytest.approx(2 * 1 / (2 * 1 + 0 + 4))
    assert "missing field(s): 金额, 日期, 材料" in g.explanation


def test_all_wrong_is_zero() -> None:
    g = grade('{"申请人": "李四", "金额": 5, "日期": "2025-01-01", "材料": []}')
    assert (g.value, g.label) == (0.0, "wrong")


@pytest.mark.parametrize(
    "text",
    [
        "申请人是王小明，金额1200元。",
        "{申请人: 王小明}",
        '{"申请人": "王小明"',
        "",
        "[1, 2, 3]",
    ],
)
def test_unparseable_responses_score_zero_with_a_reason(text: str) -> None:
    g = grade(text)
    assert (g.value, g.label) == (0.0, "unparseable")
    assert "no JSON object" in g.explanation


def test_a_brace_in_prose_before_the_object_is_passed_over() -> None:
    text = (
        '注意 {这里不是JSON} 结果：{"申请人": "王小明", "金额": 1200, "日期": "2026-03-01",'
        ' "材料": ["身份证", "户口本"]}'
    )
    assert grade(text).label == "exact"


def test_first_object_wins() -> None:
    assert find_json_object('{"a": 1} and then {"a": 2}') == {"a": 1}
    assert find_json_object('text {"a": "x}y"} tail') == {"a": "x}y"}
    assert find_json_object("nothing here") is None


def test_null_and_empty_expected_fields() -> None:
    it = item({"联系人": "张三", "电话": None, "附件": []})
    assert grade('{"联系人": "张三", "电话": null, "附件": []}', it).label == "exact"
    assert grade('{"联系人": "张三", "电话": "", "附件": []}', it).label == "exact"
    # a value where none was expected is an extra unit
    g = grade('{"联系人": "张三", "电话": "12345", "附件": []}', it)
    assert g.value == pytest.approx(2 / 3)


def test_every_field_empty_and_nothing_found_is_exact() -> None:
    it = item({"人名": [], "地名": []})
    assert grade('{"人名": [], "地名": []}', it).value == 1.0
    assert grade('{"人名": ["张三"], "地名": []}', it).value == 0.0


def test_nested_objects_compare_by_dotted_path() -> None:
    it = item({"甲方": {"名称": "某公司", "代表": "李雷"}, "金额": 10})
    assert grade('{"甲方": {"名称": "某公司", "代表": "李雷"}, "金额": 10}', it).value == 1.0
    g = grade('{"甲方": {"名称": "某公司", "代表": "韩梅梅"}, "金额": 10}', it)
    assert g.value == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))
    assert "甲方.代表" in g.explanation


def test_field_units_normalise_values() -> None:
    units = field_units({"A": " ＡＢＣ ", "n": "120.0", "l": ["x", "X", "y"]})
    assert units == {"a": {"abc"}, "n": {"120"}, "l": {"x", "y"}}
    assert field_units({"f": 2.50, "s": "2.50", "i": 7, "t": "0007"}) == {
        "f": {"2.5"},
        "s": {"2.5"},
        "i": {"7"},
        "t": {"7"},
    }


def test_long_numbers_are_compared_exactly() -> None:
    # two 20-digit ids that a float would round to the same number stay different
    a, b = "12345678901234567890", "12345678901234567891"
    assert field_units({"id": a}) != field_units({"id": b})
    assert field_units({"id": int(a)}) == field_units({"id": a})


def test_no_response_and_blocked() -> None:
    assert grade(None).value is None
    assert grade(None).label == "no_response"
    blocked = grade(None, blocked=True)
    assert (blocked.value, blocked.label) == (0.0, "refused_by_service")


@pytest.mark.parametrize(
    ("answer", "label"),
    [(None, "no_reference"), ("not json", "bad_reference"), ("[1, 2]", "bad_reference")],
)
def test_bad_references_cannot_be_graded(answer: str | None, label: str) -> None:
    g = grade('{"a": 1}', item(answer))
    assert (g.value, g.label) == (None, label)
