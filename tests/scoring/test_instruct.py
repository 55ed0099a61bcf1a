"""The ``instruct`` scorer: each instruction checker, followed and broken, Chinese and English;
the score, label and explanation; strict mode; bad items are configuration errors."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from conftest import make_response
from tianping.core import ConfigError, Item
from tianping.scoring import get_scorer
from tianping.scoring._instruct import CHECKERS, check_instruction, parse_instructions, sentences


def item(*instructions: dict[str, Any], lang: str = "en", item_id: str = "i-1") -> Item:
    return Item(id=item_id, prompt="……", lang=lang, meta={"instructions": list(instructions)})


def grade(it: Item, text: str | None, **options: Any) -> tuple[float | None, str | None, str]:
    graded = asyncio.run(get_scorer("instruct", **options).score(it, make_response(text)))
    return graded.value, graded.label, graded.explanation


def follows(instruction: dict[str, Any], text: str, lang: str = "en") -> bool:
    (parsed,) = parse_instructions(item(instruction, lang=lang))
    return check_instruction(text, parsed)[0]


TABLE_ZH = "| 姓名 | 部门 |\n| --- | --- |\n| 张伟 | 财务部 |\n| 李娜 | 人事部 |"
TABLE_EN = "| Day | Task |\n|:---|---:|\n| Mon | Trash |"

# (instruction, lang, a response that follows it, a response that breaks it)
CASES: list[tuple[dict[str, Any], str, str, str]] = [
    # chars: letters and digits only; punctuation and spaces do not count
    ({"type": "chars", "at_most": 10}, "zh", "你好，世界！ABC 123。", "你好，世界！ABCD 123。"),
    ({"type": "chars", "at_least": 6}, "zh", "春天来了，花开了。", "春来了。"),
    ({"type": "chars", "exactly": 5}, "zh", "《春眠》“不觉晓”", "春眠不觉晓了"),
    ({"type": "chars", "at_least": 2, "at_most": 3}, "en", "Hi!", "Hello"),
    # words
    (
        {"type": "words", "at_most": 5},
        "en",
        "Don't stop the well-known band.",
        "Do not stop the famous band.",
    ),
    ({"type": "words", "exactly": 3}, "en", "It cost $1,450.", "It cost $1, 450."),
    ({"type": "words", "at_least": 4}, "en", "A café in São Paulo", "A café, Rio"),
    # sentences
    (
        {"type": "sentences", "exactly": 2},
        "zh",
        "他说：“好。”然后走了。",
        "他说好。然后走了。又回来了！",
    ),
    (
        {"type": "sentences", "exactly": 2},
        "en",
        "Dr. Smith met Mr. Jones. They talked!",
        "Hi. Dr. Smith met Mr. Jones. They talked!",
    ),
    (
        {"type": "sentences", "at_most": 1},
        "en",
        "Version 3.5 is out today.",
        "It is out. Get it now?",
    ),
    (
        {"type": "sentences", "exactly": 2},
        "en",
        "1. Buy milk.\n2. Call home.",
        "1. Buy milk.\n2. Call home.\n3. Rest.",
    ),
    # paragraphs
    ({"type": "paragraphs", "exactly": 2}, "zh", "第一段。\n\n第二段。", "第一段。\n第二段。"),
    ({"type": "paragraphs", "at_least": 3}, "en", "One.\n\nTwo.\n  \nThree.", "One.\n\nTwo."),
    # lists and headings
    ({"type": "bullets", "exactly": 3}, "zh", "- 一\n* 二\n  + 三", "- 一\n- 二\n**三**"),
    ({"type": "bullets", "at_least": 2}, "en", "• apples\n• pears", "apples, pears\n---"),
    (
        {"type": "numbered", "exactly": 3},
        "zh",
        "1、早起\n2. 跑步\n（3）吃饭",
        "1、早起\n2.5公里跑步",
    ),
    ({"type": "numbered", "at_least": 2}, "en", "1) wake\n(2) run", "1.5 miles\nwake"),
    (
        {"type": "headings", "exactly": 2},
        "en",
        "## Before\ntext\n### After\ntext",
        "## Before\n#hashtag\n####### seven",
    ),
    ({"type": "bold", "at_least": 2}, "zh", "**统筹基金**和__个人账户__", "**统筹基金**和个人账户"),
    (
        {"type": "placeholders", "at_least": 2},
        "en",
        "Dear [name], see you at [venue].",
        "Dear [name], see [the site](http://x).",
    ),
    # words required, forbidden, counted
    (
        {"type": "include", "words": ["预算", "时间表"]},
        "zh",
        "请附上预算和时间表。",
        "请附上预算。",
    ),
    (
        {"type": "include", "words": ["Data", "QR code"]},
        "en",
        "Scan the qr code to share data.",
        "Scan the code to share database rows.",
    ),
    ({"type": "exclude", "words": ["严禁"]}, "zh", "请勿吸烟。", "严禁吸烟。"),
    ({"type": "exclude", "words": ["cat", "!"]}, "en", "A category of dogs.", "My cat sleeps."),
    ({"type": "exclude", "words": ["!"]}, "zh", "好的。", "好的！"),
    (
        {"type": "frequency", "word": "家乡", "exactly": 2},
        "zh",
        "家乡的河，家乡的山。",
        "家乡的河。",
    ),
    (
        {"type": "frequency", "word": "gold", "at_least": 2},
        "en",
        "Gold leaves, gold light.",
        "Golden leaves, gold light.",
    ),
    # formats
    (
        {"type": "json", "keys": ["姓名", "电话"]},
        "zh",
        '{"姓名": "陈", "电话": "1"}',
        '{"姓名": "陈"}',
    ),
    (
        {"type": "json", "keys": ["name"]},
        "en",
        '```json\n{"name": "Leo"}\n```',
        'Here it is: {"name": "Leo"}',
    ),
    ({"type": "json"}, "en", "[1, 2, 3]", "[1, 2, 3"),
    ({"type": "json", "keys": ["a"]}, "en", '{"a": 1, "b": 2}', "[1]"),
    ({"type": "table", "columns": 2, "min_rows": 2}, "zh", TABLE_ZH, "姓名：张伟，部门：财务部"),
    (
        {"type": "table", "columns": 2, "max_rows": 1},
        "en",
        TABLE_EN,
        TABLE_EN + "\n| Tue | Dishes |",
    ),
    ({"type": "title", "marks": "《》"}, "zh", "# 《春天》\n春天来了。", "春天\n《春天》来了。"),
    ({"type": "title", "marks": "<<>>"}, "en", "<<Spring>>\nIt came.", "Spring <<poem>>\nIt came."),
    ({"type": "lowercase"}, "en", "all lower case, 2 numbers.", "all lower case but One."),
    ({"type": "lowercase"}, "zh", "pinyin: zhongguo，中国", "Pinyin: Zhongguo"),
    ({"type": "uppercase"}, "en", "ALL CAPS, 100%!", "ALL CAPS but one."),
    ({"type": "starts_with", "phrase": "您好"}, "zh", "  您好，我是小李。", "你好，我是小李。"),
    (
        {"type": "starts_with", "phrase": "Dear Mr. Patel,"},
        "en",
        "Dear Mr. Patel,\nThanks.",
        "Dear Mr Patel,\nThanks.",
    ),
    (
        {"type": "ends_with", "phrase": "麻烦您了，谢谢！"},
        "zh",
        "水管坏了。麻烦您了,谢谢!\n",
        "麻烦您了，谢谢！祝好。",
    ),
    (
        {"type": "ends_with", "phrase": "Thanks a ton!"},
        "en",
        "See you. Thanks a ton!",
        "Thanks a ton! See you.",
    ),
    ({"type": "postscript"}, "en", "Hi.\n\nP.S. Bring snacks.", "Hi. P.S. Bring snacks."),
    ({"type": "postscript"}, "zh", "祝好。\n**p.s.** 明天见。", "祝好。\nP.S."),
    (
        {"type": "postscript", "marker": "附言："},
        "zh",
        "祝好。\n附言：明天见。",
        "祝好。\n备注：明天见。",
    ),
    ({"type": "quoted"}, "zh", "“不积跬步，无以至千里。”", "不积跬步，无以至千里。"),
    ({"type": "quoted"}, "en", '"Keep going."', '"Keep going." - coach'),
    (
        {"type": "language", "lang": "zh"},
        "en",
        "溏心蛋要煮六分钟左右，GDP与此无关。",
        "Boil it for six minutes (溏心蛋).",
    ),
    (
        {"type": "language", "lang": "en"},
        "zh",
        "Peking Opera (京剧) is a traditional art form of China.",
        "京剧是中国的国粹 Peking Opera。",
    ),
    ({"type": "no_commas"}, "zh", "不要逗号。用顿号、句号即可。", "不要逗号，好吗？"),
    ({"type": "no_commas"}, "en", "No commas here. None at all.", "One, two."),
]


def test_every_instruction_type_is_tested() -> None:
    assert {case[0]["type"] for case in CASES} == set(CHECKERS)
    for kind in CHECKERS:  # and each with a Chinese or an English case at least
        assert any(c[0]["type"] == kind for c in CASES)


@pytest.mark.parametrize(("instruction", "lang", "good", "bad"), CASES)
def test_checker_follows_and_breaks(
    instruction: dict[str, Any], lang: str, good: str, bad: str
) -> None:
    assert follows(instruction, good, lang), f"should follow {instruction}: {good!r}"
    assert not follows(instruction, bad, lang), f"should break {instruction}: {bad!r}"


def test_sentences_are_split_as_documented() -> None:
    assert sentences("我来了。你呢？好！") == ["我来了", "你呢", "好"]
    assert sentences("Dr. Lee said so. See e.g. page 2… Fine") == [
        "Dr. Lee said so",
        "See e.g. page 2",
        "Fine",
    ]
    assert sentences("《标题》\n正文一句。") == ["《标题》", "正文一句"]


def test_value_is_the_share_followed_and_the_label_says_how_many() -> None:
    it = item({"type": "words", "at_most": 3}, {"type": "include", "words": ["tea"]})
    assert grade(it, "Tea, please.")[:2] == (1.0, "all_followed")
    assert grade(it, "Coffee, please.")[:2] == (0.5, "partial")
    assert grade(it, "Coffee with milk, please.")[:2] == (0.0, "none_followed")


def test_strict_is_all_or_nothing() -> None:
    it = item({"type": "words", "at_most": 3}, {"type": "include", "words": ["tea"]})
    assert grade(it, "Tea, please.", strict=True)[:2] == (1.0, "all_followed")
    value, label, explanation = grade(it, "Coffee, please.", strict=True)
    assert (value, label) == (0.0, "partial")
    assert "(strict)" in explanation


def test_explanation_lists_each_instruction_with_a_mark_and_why() -> None:
    it = item({"type": "chars", "at_most": 5}, {"type": "no_commas"}, lang="zh")
    _, _, explanation = grade(it, "春天来了花开了")
    assert explanation.startswith("1/2 instructions followed: ")
    assert "✗ chars(at_most=5): 7 characters" in explanation
    assert "✓ no_commas(): no commas" in explanation
    _, _, explanation = grade(it, "春天来了，花开了。")
    assert "✗ no_commas(): 1 comma(s)" in explanation


def test_a_reasoning_models_thinking_is_not_checked() -> None:
    it = item({"type": "lowercase"}, {"type": "words", "at_most": 2})
    assert grade(it, "<think>The User Wants Lower Case.</think>\nall good")[0] == 1.0


def test_blocked_and_missing_responses() -> None:
    it = item({"type": "no_commas"})
    graded = asyncio.run(get_scorer("instruct").score(it, make_response(None, blocked=True)))
    assert (graded.value, graded.label) == (0.0, "refused_by_service")
    assert grade(it, None)[:2] == (None, "no_response")


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ({}, "meta.instructions must be a non-empty list"),
        ({"instructions": []}, "meta.instructions must be a non-empty list"),
        ({"instructions": ["chars"]}, "instruction 1 needs a 'type'"),
        ({"instructions": [{"type": "charz"}]}, "unknown type 'charz'"),
        ({"instructions": [{"type": "chars"}]}, "needs 'exactly', 'at_least' or 'at_most'"),
        ({"instructions": [{"type": "chars", "at_most": "80"}]}, "at_most"),
        ({"instructions": [{"type": "chars", "at_most": True}]}, "at_most"),
        ({"instructions": [{"type": "chars", "exactly": 3, "at_most": 4}]}, "'exactly' alone"),
        ({"instructions": [{"type": "words", "at_least": 9, "at_most": 3}]}, "more than at_most"),
        ({"instructions": [{"type": "words", "at_most": -1}]}, "at_most"),
        ({"instructions": [{"type": "include", "words": []}]}, "words"),
        ({"instructions": [{"type": "include", "words": "tea"}]}, "words"),
        ({"instructions": [{"type": "exclude", "words": [" "]}]}, "a word is empty"),
        ({"instructions": [{"type": "title", "marks": "[]"}]}, "marks"),
        ({"instructions": [{"type": "language", "lang": "fr"}]}, "lang"),
        ({"instructions": [{"type": "no_commas", "strict": True}]}, "strict"),
        ({"instructions": [{"type": "no_commas"}, {"type": "bold"}]}, "instruction 2 (bold)"),
    ],
)
def test_a_bad_item_is_a_config_error_naming_it(meta: dict[str, Any], message: str) -> None:
    it = Item(id="ins-zh-042", prompt="……", meta=meta)
    with pytest.raises(ConfigError, match="ins-zh-042") as caught:
        grade(it, "anything")
    assert message in str(caught.value)


def test_bad_scorer_options_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="strict"):
        get_scorer("instruct", strict="yes")
    with pytest.raises(ConfigError, match="instruct"):
        get_scorer("instruct", loose=True)
