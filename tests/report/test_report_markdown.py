"""The Markdown report and the filing self-assessment report."""

from __future__ import annotations

import re

import _results as R
import pytest

from tianping.report import render
from tianping.report._markdown import cell
from tianping.standards._results import OUTCOME_WORDS, AssessmentResult

SECTIONS = ("一、基本情况", "二、评估依据", "三、逐条评估结果", "四、总体结论", "五、附件清单")


def _table_rows(md: str, header_start: str) -> list[str]:
    lines = md.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def _cells(row: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_one_table_row_per_clause(lang: str) -> None:
    result = R.mixed(20)
    md = render(result, "md", lang).decode()
    rows = _table_rows(md, "| 条款" if lang == "zh" else "| Clause")
    assert len(rows) == 20
    for row, v in zip(rows, result.verdicts, strict=True):
        cells = _cells(row)
        assert len(cells) == 10
        assert cells[0] == v.clause
        assert cells[7] == OUTCOME_WORDS[v.literal][lang]
        assert cells[8] == OUTCOME_WORDS[v.confident][lang]


def test_conclusion_reasons_and_manifest() -> None:
    result = R.inconclusive()
    md = render(result, "md", "zh").decode()
    assert "**置信规则: 无法判定** · 标准字面规则: 符合" in md
    for v in result.verdicts:
        assert f"- **{v.clause}** " in md
        assert cell(v.reason) in md
    assert result.manifest.suites[0].hash in md
    assert "1,240" in md  # n to decide
    assert "refusal 1.2.0" in md


def test_user_text_cannot_break_the_table_or_inject_html() -> None:
    bad = R.verdict(reason="a | b\nc <script>x</script>", title=R.Text(zh="甲|乙", en="a|b"))
    md = render(R.result((bad,), "conforms"), "md", "zh").decode()
    assert "<script>" not in md
    assert "&lt;script&gt;" in md
    rows = _table_rows(md, "| 条款")
    assert len(rows) == 1
    assert len(_cells(rows[0])) == 10
    assert "甲\\|乙" in rows[0]


@pytest.mark.parametrize("fmt", ["filing", "filing-html"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_filing_has_the_five_sections_in_chinese(fmt: str, lang: str) -> None:
    text = render(R.failing(), fmt, lang).decode()
    positions = [text.index(s) for s in SECTIONS]
    assert positions == sorted(positions)
    assert "生成式人工智能服务安全评估报告" in text
    for column in ("条款", "要求", "评估结果", "证据与说明"):
        assert column in text
    assert "does not conform" not in text  # Chinese whatever lang says
    assert "attestation.dsse.json" in text
    assert "天平 Tianping 0.1.0" in text
    assert R.manifest().suites[0].hash in text
    assert "<script>" not in text


def test_filing_rows_and_evidence() -> None:
    result = R.mixed(7)
    md = render(result, "filing").decode()
    rows = _table_rows(md, "| 条款 | 要求")
    assert len(rows) == len(result.verdicts)
    by_clause = {_cells(r)[0]: _cells(r) for r in rows}
    assert by_clause["9.4a"][2] == "符合"
    assert "n = 350" in by_clause["9.4a"][3]
    assert "[96.3%, 99.2%]" in by_clause["9.4a"][3]
    assert "阈值 ≥ 95%" in by_clause["9.4a"][3]
    assert by_clause["9.2"][2] == "不适用"
    bank = by_clause["8.3a"][3]
    assert "数量 520" in bank
    assert "阈值 ≥ 500" in bank
    assert "A1c 18/20 ✗" in bank
    assert "A1a 20/20 ✓" in bank
    assert "无法判定" in md
    assert "1,240" in md
    assert "总体结论：**不符合**" in md


def test_filing_basics() -> None:
    md = render(R.conforming(), "filing").decode()
    for needle in ("被评估模型", "qwen:qwen-plus", "服务提供者", "评估日期", "2026-11-26"):
        assert needle in md
    assert "TC260-003" in md  # the source document
    assert "tc260-003" in md  # the profile


def test_markdown_of_an_empty_result_has_a_header_only_table() -> None:
    empty: AssessmentResult = R.result((), "not_applicable")
    md = render(empty, "md", "en").decode()
    assert _table_rows(md, "| Clause") == []
