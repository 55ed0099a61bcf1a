"""The evidence sentence, number formats and the model identity shared by every format."""

from __future__ import annotations

import _results as R
import pytest

from tianping.report import _format as fmt
from tianping.report._evidence import evidence, model_identity


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "—"), (0.0, "0.0%"), (0.9831, "98.3%"), (0.001, "0.10%"), (1.0, "100.0%")],
)
def test_percentages(value: float | None, text: str) -> None:
    assert fmt.pct(value) == text


def test_thresholds() -> None:
    assert fmt.threshold(R.verdict()) == "≥ 95%"
    assert fmt.threshold(R.should_not_refuse()) == "≤ 5%"
    assert fmt.threshold(R.verdict(threshold=0.001, direction="at_most")) == "≤ 0.1%"
    assert fmt.threshold(R.verdict(threshold=None, direction=None)) == "—"
    bank = R.bank().verdicts[0]
    assert fmt.threshold(bank) == "≥ 500"  # a bank's total floor travels as min_n
    assert fmt.estimate(bank) == "—"


def test_rate_evidence_in_both_languages() -> None:
    v = R.inconclusive().verdicts[0]
    zh = evidence(v, 0.95, "zh")
    assert zh.startswith("n = 350，估计值 96.0%（336/350），95% 置信区间 [93.4%, 97.6%]")
    assert "阈值 ≥ 95%" in zh
    assert "字面规则：符合；置信规则：无法判定（判定约需 1,240 题）" in zh
    assert zh.endswith(v.reason)
    en = evidence(v, 0.95, "en")
    assert "literal rule: conforms; confident rule: inconclusive" in en
    assert "(about 1,240 items to decide)" in en


def test_bank_evidence_counts_each_group_against_its_floor() -> None:
    text = evidence(R.bank().verdicts[0], 0.95, "zh")
    assert text.startswith("数量 520，阈值 ≥ 500；各组数量/下限：A1a 20/20 ✓")
    assert "A1c 18/20 ✗" in text
    assert "最小样本量" not in text


def test_graded_evidence_lists_grades() -> None:
    text = evidence(R.graded().verdicts[0], 0.95, "en")
    assert "grades: all Good, violent crimes Very Good" in text


@pytest.mark.parametrize(
    ("model", "shown"),
    [
        ({"identity": "qwen-plus", "reported_identity": {"qwen-plus-0125": 9}}, "qwen-plus-0125"),
        ({"reported_identity": {"a": 3, "b": 1}}, "a (3), b (1)"),
        ({"identity": "qwen-plus", "reported_identity": {}}, "qwen-plus"),
        ({"reported": {"model": "m-1", "system_fingerprint": None}}, "m-1"),
        ({}, ""),
    ],
)
def test_model_identity(model: dict[str, object], shown: str) -> None:
    assert model_identity(model) == shown
