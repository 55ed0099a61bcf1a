"""Item validation, generation parameters, the error tree and the risk table."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from tianping.core import (
    CATEGORIES,
    RISKS,
    AuthError,
    ConfigError,
    GenerationParams,
    Item,
    ModelError,
    Problem,
    QuotaExhaustedError,
    RateLimitError,
    RequestRejected,
    RunError,
    ServerError,
    StoreError,
    SuiteError,
    TianpingError,
    UnknownNameError,
    normalize_risk,
    risks_in,
)

# -- Item: what is sent ---------------------------------------------------------------------


def test_item_with_prompt() -> None:
    item = Item(id="a", prompt="hello")
    assert item.chat() == [{"role": "user", "content": "hello"}]


def test_item_with_messages_and_system() -> None:
    item = Item.model_validate(
        {
            "id": "a",
            "system": "be brief",
            "messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": "hello"},
                {"role": "user", "content": "bye"},
            ],
        }
    )
    assert item.chat() == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "bye"},
    ]


@pytest.mark.parametrize(
    "data",
    [
        {"id": "a"},
        {"id": "a", "prompt": "x", "messages": [{"role": "user", "content": "x"}]},
    ],
    ids=["neither", "both"],
)
def test_item_needs_exactly_one_of_prompt_and_messages(data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="exactly one of 'prompt' and 'messages'"):
        Item.model_validate(data)


def test_item_blank_prompt_rejected() -> None:
    with pytest.raises(ValidationError, match="'prompt' is empty"):
        Item(id="a", prompt="   ")


def test_item_empty_messages_rejected() -> None:
    with pytest.raises(ValidationError, match="'messages' is empty"):
        Item.model_validate({"id": "a", "messages": []})


@pytest.mark.parametrize("last_role", ["assistant", "system"])
def test_item_last_message_must_be_user(last_role: str) -> None:
    msgs = [{"role": "user", "content": "hi"}, {"role": last_role, "content": "x"}]
    with pytest.raises(ValidationError, match="last message must have role 'user'"):
        Item.model_validate({"id": "a", "messages": msgs})


def test_item_unknown_role_rejected() -> None:
    with pytest.raises(ValidationError):
        Item.model_validate({"id": "a", "messages": [{"role": "robot", "content": "x"}]})


def test_item_integer_id_becomes_text() -> None:
    item = Item.model_validate({"id": 17, "prompt": "x"})
    assert item.id == "17"
    assert isinstance(item.id, str)


def test_item_bool_id_is_not_taken_for_an_integer() -> None:
    with pytest.raises(ValidationError):
        Item.model_validate({"id": True, "prompt": "x"})


@pytest.mark.parametrize("bad_id", ["", "x" * 201])
def test_item_id_length_bounds(bad_id: str) -> None:
    with pytest.raises(ValidationError):
        Item(id=bad_id, prompt="x")


def test_item_unknown_field_rejected() -> None:
    with pytest.raises(ValidationError, match="promt"):
        Item.model_validate({"id": "a", "prompt": "x", "promt": "y"})


def test_item_choices_need_two_options() -> None:
    with pytest.raises(ValidationError, match="at least two options"):
        Item.model_validate({"id": "a", "prompt": "x", "choices": ["only"]})
    assert Item.model_validate({"id": "a", "prompt": "x", "choices": ["A", "B"]}).choices == (
        "A",
        "B",
    )


def test_item_lang_pattern() -> None:
    assert Item(id="a", prompt="x", lang="zh-Hans").lang == "zh-Hans"
    with pytest.raises(ValidationError):
        Item(id="a", prompt="x", lang="Chinese")


def test_item_is_frozen() -> None:
    item = Item(id="a", prompt="x")
    with pytest.raises(ValidationError):
        item.prompt = "y"  # type: ignore[misc]


# -- Item: risk labels ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("A1a", "A1a"),
        ("a1a", "A1a"),
        (" A4e ", "A4e"),
        ("宣扬恐怖主义、极端主义", "A1d"),
        ("promoting terrorism or extremism", "A1d"),
        ("PROMOTING TERRORISM OR EXTREMISM", "A1d"),
        ("侵害他人身心健康", "A4a"),  # alias of 危害他人身心健康
        ("利用算法、数据、技术和平台等优势，实施垄断和不正当竞争行为", "A3d"),  # alias
        ("侵犯他人知识产权的内容", "A3a"),  # alias
    ],
)
def test_item_risk_normalised_to_canonical_id(given: str, expected: str) -> None:
    assert Item(id="a", prompt="x", risk=given).risk == expected
    assert normalize_risk(given) == expected


@pytest.mark.parametrize("bad", ["A1z", "A6a", "terrorism", ""])
def test_item_unknown_risk_rejected(bad: str) -> None:
    assert normalize_risk(bad) is None
    with pytest.raises(ValidationError, match="unknown risk id"):
        Item(id="a", prompt="x", risk=bad)


# -- Item: per-item params -------------------------------------------------------------------


def test_item_known_params_accepted() -> None:
    item = Item(id="a", prompt="x", params={"temperature": 0.7, "max_tokens": 5})
    assert item.params == {"temperature": 0.7, "max_tokens": 5}


def test_item_unknown_params_rejected() -> None:
    with pytest.raises(
        ValidationError, match=r"unknown generation parameter\(s\) \['temprature'\]"
    ):
        Item(id="a", prompt="x", params={"temprature": 0.7})


# -- GenerationParams ------------------------------------------------------------------------


def test_params_defaults_and_wire() -> None:
    p = GenerationParams()
    assert p.temperature == 0.0
    assert p.max_tokens == 1024
    assert p.to_wire() == {"temperature": 0.0, "max_tokens": 1024}


def test_params_none_is_not_sent() -> None:
    p = GenerationParams(temperature=None, max_tokens=None)
    assert p.to_wire() == {}


def test_params_to_wire_all_fields() -> None:
    p = GenerationParams(
        temperature=0.5, top_p=0.9, max_tokens=10, seed=7, stop=("\n", "END"), extra={"n": 1}
    )
    assert p.to_wire() == {
        "temperature": 0.5,
        "top_p": 0.9,
        "max_tokens": 10,
        "seed": 7,
        "stop": ["\n", "END"],
        "n": 1,
    }


def test_params_empty_stop_not_sent() -> None:
    assert "stop" not in GenerationParams(stop=()).to_wire()


def test_params_merged_applies_overrides() -> None:
    base = GenerationParams(temperature=0.0, max_tokens=100, seed=3)
    merged = base.merged({"temperature": 0.8, "stop": ["x"]})
    assert merged.temperature == 0.8
    assert merged.max_tokens == 100
    assert merged.seed == 3
    assert merged.stop == ("x",)
    assert base.temperature == 0.0  # the original is unchanged


def test_params_merged_without_overrides_is_identity() -> None:
    base = GenerationParams()
    assert base.merged({}) is base


def test_params_merged_validates() -> None:
    with pytest.raises(ValidationError):
        GenerationParams().merged({"temperature": 5.0})
    with pytest.raises(ValidationError):
        GenerationParams().merged({"bogus": 1})


@pytest.mark.parametrize(
    "kwargs",
    [
        {"temperature": -0.1},
        {"temperature": 2.1},
        {"top_p": 0.0},
        {"top_p": 1.5},
        {"max_tokens": 0},
    ],
)
def test_params_bounds(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        GenerationParams(**kwargs)


# -- errors ----------------------------------------------------------------------------------


def test_error_tree() -> None:
    assert issubclass(UnknownNameError, ConfigError)
    for cls in (ConfigError, SuiteError, ModelError, StoreError, RunError):
        assert issubclass(cls, TianpingError)
    for cls in (AuthError, QuotaExhaustedError, RateLimitError, ServerError, RequestRejected):
        assert issubclass(cls, ModelError)
    assert RateLimitError.retryable
    assert ServerError.retryable
    assert not AuthError.retryable
    assert not QuotaExhaustedError.retryable
    assert not RequestRejected.retryable


def test_exit_codes() -> None:
    assert TianpingError.exit_code == 1
    assert ConfigError.exit_code == 2
    assert UnknownNameError.exit_code == 2
    assert SuiteError.exit_code == 3
    assert ModelError.exit_code == 4
    assert StoreError.exit_code == 5
    assert RunError.exit_code == 6


def test_unknown_name_did_you_mean() -> None:
    err = UnknownNameError("preset", "qwne", ["qwen", "openai", "deepseek"])
    assert err.suggestions == ["qwen"]
    assert "Did you mean 'qwen'?" in str(err)
    assert "Unknown preset 'qwne'" in str(err)
    assert "Known: deepseek, openai, qwen." in str(err)
    assert err.kind == "preset"
    assert err.name == "qwne"


def test_unknown_name_without_close_match() -> None:
    err = UnknownNameError("preset", "zzzzzz", ["qwen"])
    assert err.suggestions == []
    assert "Did you mean" not in str(err)
    assert "Known: qwen." in str(err)


def test_unknown_name_with_nothing_known() -> None:
    assert "Known: (none)." in str(UnknownNameError("run", "abc", []))


def test_suite_error_lists_every_problem() -> None:
    problems = [Problem("s.jsonl", 2, "bad JSON"), Problem("s.jsonl", 0, "empty file")]
    err = SuiteError(problems)
    text = str(err)
    assert err.problems == problems
    assert text.startswith("2 problems in suite input:")
    assert "  s.jsonl:2: bad JSON" in text
    assert "  s.jsonl: empty file" in text  # line 0: the whole file, no ":0"


def test_suite_error_singular_and_truncation() -> None:
    assert str(SuiteError([Problem("f", 1, "x")])).startswith("1 problem in suite input:")
    many = SuiteError([Problem("f", i, "x") for i in range(1, 61)])
    text = str(many)
    assert "f:50: x" in text
    assert "f:51: x" not in text
    assert "... and 10 more" in text
    assert len(many.problems) == 60


def test_model_error_carries_details() -> None:
    err = RateLimitError("slow down", status=429, code="rate_limit", retry_after=1.5)
    assert (err.status, err.code, err.retry_after) == (429, "rate_limit", 1.5)
    assert str(err) == "slow down"


# -- risk table ------------------------------------------------------------------------------


def test_risk_table_has_31_risks_in_five_categories() -> None:
    assert len(RISKS) == 31
    assert set(CATEGORIES) == {"A1", "A2", "A3", "A4", "A5"}
    sizes = {cat: len(risks_in(cat)) for cat in CATEGORIES}
    assert sizes == {"A1": 8, "A2": 9, "A3": 5, "A4": 7, "A5": 2}
    assert risks_in("A2") == [f"A2{c}" for c in "abcdefghi"]
    for rid, risk in RISKS.items():
        assert risk.id == rid
        assert risk.category == rid[:2]
        assert risk.zh
        assert risk.en
        assert normalize_risk(risk.zh) == rid
        assert normalize_risk(risk.en) == rid


def test_risk_names_are_unique() -> None:
    assert len({r.zh for r in RISKS.values()}) == 31
    assert len({r.en.lower() for r in RISKS.values()}) == 31


def test_choices_are_shown_to_the_model_unless_the_prompt_has_them() -> None:
    item = Item(id="q", prompt="Capital of France?", choices=("Lyon", "Paris"), answer="B")
    assert item.chat()[-1]["content"] == "Capital of France?\n\nA. Lyon\nB. Paris"
    shown = Item(id="q", prompt="Capital?\nA. Lyon\nB. Paris", choices=("Lyon", "Paris"))
    assert shown.chat()[-1]["content"] == "Capital?\nA. Lyon\nB. Paris"
