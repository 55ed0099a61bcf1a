"""The labelled response sets that train and measure the refusal and risk classifiers.

Both sets are authored by the project (see ``scoring/data/README.md``). These tests
hold them to their data card: well-formed lines, allowed values, the floors per
case type, language and risk, and no duplicate or near-duplicate responses.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from functools import cache
from importlib.resources import files
from typing import Any

import pytest

from tianping.core import RISKS, normalize_risk

DATA = files("tianping.scoring") / "data"
LANGS = ("zh", "en")
CJK = re.compile(r"[\u4e00-\u9fff]")

# case type -> (label it must carry, prompt kinds it may come with)
CASES: dict[str, tuple[str, frozenset[str]]] = {
    "plain_refusal": ("refused", frozenset({"harmful"})),
    "refusal_as_question": ("refused", frozenset({"harmful"})),
    "safe_redirect": ("refused", frozenset({"harmful"})),
    "disclaimer_then_answer": ("partial", frozenset({"harmful"})),
    "refuse_then_comply": ("partial", frozenset({"harmful"})),
    "vendor_filter_message": ("refused", frozenset({"harmful", "benign"})),
    "benign_answer": ("complied", frozenset({"benign"})),
    "benign_with_caveat": ("complied", frozenset({"benign"})),
    "over_refusal": ("refused", frozenset({"benign"})),
    "harmful_compliance": ("complied", frozenset({"harmful"})),
    "quoted_refusal": ("complied", frozenset({"benign"})),
    "long_refusal": ("refused", frozenset({"harmful", "benign"})),
}
REFUSAL_FIELDS = {"id", "lang", "prompt", "prompt_kind", "response", "label", "case"}
RISK_FIELDS = {"id", "lang", "prompt", "response", "risk"}

REFUSAL_TOTAL = 700
PER_CASE = 40
RISK_TOTAL = 320
PER_RISK = 6
NONE_FLOOR = 100
RISK_ZH_SHARE = 0.60
NEAR_JACCARD = 0.9
NEAR_RATE = 0.02
SHINGLE = 5


@cache
def _load(name: str) -> tuple[dict[str, Any], ...]:
    rows = []
    text = (DATA / name).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        assert line.strip(), f"{name}:{number}: blank line"
        row = json.loads(line)
        assert isinstance(row, dict), f"{name}:{number}: not an object"
        rows.append(row)
    return tuple(rows)


def refusal_rows() -> tuple[dict[str, Any], ...]:
    return _load("refusal_labelled.jsonl")


def risk_rows() -> tuple[dict[str, Any], ...]:
    return _load("risk_labelled.jsonl")


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).casefold()).strip()


def _shingles(text: str) -> frozenset[str]:
    t = _norm(text)
    if len(t) <= SHINGLE:
        return frozenset({t})
    return frozenset(t[i : i + SHINGLE] for i in range(len(t) - SHINGLE + 1))


def near_duplicate_rate(texts: list[str]) -> tuple[float, list[tuple[int, int]]]:
    """Share of texts with a partner at character 5-gram Jaccard >= 0.9.

    Jaccard >= t needs the smaller shingle set to be at least t of the larger,
    so after sorting by size each text is compared only within that window.
    """
    sets = [_shingles(t) for t in texts]
    order = sorted(range(len(sets)), key=lambda i: len(sets[i]))
    pairs = []
    for pos, i in enumerate(order):
        a = sets[i]
        for j in order[pos + 1 :]:
            b = sets[j]
            if len(a) < NEAR_JACCARD * len(b):
                break
            if len(a & b) >= NEAR_JACCARD * len(a | b):
                pairs.append((i, j))
    flagged = {k for pair in pairs for k in pair}
    return len(flagged) / max(1, len(texts)), pairs


# --- refusal set -------------------------------------------------------------


def test_refusal_rows_have_fields_and_allowed_values() -> None:
    for row in refusal_rows():
        assert set(row) == REFUSAL_FIELDS, row.get("id")
        assert row["lang"] in LANGS, row["id"]
        assert row["prompt_kind"] in {"harmful", "benign"}, row["id"]
        assert row["label"] in {"refused", "complied", "partial"}, row["id"]
        assert row["case"] in CASES, row["id"]
        for field in ("prompt", "response"):
            assert isinstance(row[field], str), row["id"]
            assert row[field].strip() == row[field] != "", row["id"]


def test_refusal_case_fixes_label_and_prompt_kind() -> None:
    for row in refusal_rows():
        label, kinds = CASES[row["case"]]
        assert row["label"] == label, row["id"]
        assert row["prompt_kind"] in kinds, row["id"]


@pytest.mark.parametrize("rows", [refusal_rows, risk_rows], ids=["refusal", "risk"])
def test_ids_unique_and_match_language(rows: Any) -> None:
    prefix = "rf" if rows is refusal_rows else "rk"
    ids = [row["id"] for row in rows()]
    assert len(ids) == len(set(ids))
    for row in rows():
        assert re.fullmatch(rf"{prefix}-{row['lang']}-\d{{4}}", row["id"]), row["id"]


@pytest.mark.parametrize("rows", [refusal_rows, risk_rows], ids=["refusal", "risk"])
def test_prompt_language_matches_lang(rows: Any) -> None:
    # The response may differ (a vendor's English filter message in a Chinese chat);
    # the prompt sets the conversation's language.
    for row in rows():
        has_cjk = bool(CJK.search(row["prompt"]))
        assert has_cjk == (row["lang"] == "zh"), row["id"]


def test_refusal_floors() -> None:
    rows = refusal_rows()
    assert len(rows) >= REFUSAL_TOTAL
    langs = Counter(row["lang"] for row in rows)
    for lang in LANGS:
        assert 0.4 <= langs[lang] / len(rows) <= 0.6, langs
    cases = Counter(row["case"] for row in rows)
    per_lang = Counter((row["case"], row["lang"]) for row in rows)
    for case in CASES:
        assert cases[case] >= PER_CASE, (case, cases[case])
        for lang in LANGS:
            assert per_lang[case, lang] >= PER_CASE // 4, (case, lang)
    assert {row["label"] for row in rows} == {"refused", "complied", "partial"}


# --- risk set ----------------------------------------------------------------


def test_risk_rows_have_fields_and_valid_risk_ids() -> None:
    for row in risk_rows():
        assert set(row) == RISK_FIELDS, row.get("id")
        assert row["lang"] in LANGS, row["id"]
        for field in ("prompt", "response"):
            assert isinstance(row[field], str), row["id"]
            assert row[field].strip() == row[field] != "", row["id"]
        risk = row["risk"]
        assert risk == "none" or normalize_risk(risk) == risk, (row["id"], risk)


def test_risk_floors() -> None:
    rows = risk_rows()
    assert len(rows) >= RISK_TOTAL
    risks = Counter(row["risk"] for row in rows)
    for risk_id in RISKS:
        assert risks[risk_id] >= PER_RISK, (risk_id, risks[risk_id])
    assert risks["none"] >= NONE_FLOOR
    zh = sum(row["lang"] == "zh" for row in rows)
    assert zh / len(rows) >= RISK_ZH_SHARE
    assert {row["lang"] for row in rows} == set(LANGS)


# --- duplicates --------------------------------------------------------------


@pytest.mark.parametrize("rows", [refusal_rows, risk_rows], ids=["refusal", "risk"])
def test_no_exact_duplicate_responses(rows: Any) -> None:
    seen: dict[str, str] = {}
    for row in rows():
        key = _norm(row["response"])
        assert key not in seen, (seen.get(key), row["id"])
        seen[key] = row["id"]


@pytest.mark.parametrize("rows", [refusal_rows, risk_rows], ids=["refusal", "risk"])
def test_near_duplicate_rate_is_low(rows: Any) -> None:
    data = rows()
    rate, pairs = near_duplicate_rate([row["response"] for row in data])
    named = [(data[i]["id"], data[j]["id"]) for i, j in pairs[:10]]
    assert rate < NEAR_RATE, named


def test_near_duplicate_check_finds_near_duplicates() -> None:
    base = "抱歉，这个请求涉及违法内容，我不能提供任何具体的方法或者步骤，请理解。"
    texts = [base, base.replace("请理解。", "请理解！"), "Sure, here is a recipe for pancakes."]
    rate, pairs = near_duplicate_rate(texts)
    assert pairs == [(0, 1)]
    assert rate == pytest.approx(2 / 3)
