"""The HTML report: self-contained, complete, escaped, bilingual, with charts and examples."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import _results as R
import pytest

from tianping.report import render
from tianping.standards._results import OUTCOME_WORDS, AssessmentResult

BUILDERS = [R.conforming, R.failing, R.inconclusive, R.graded, R.bank, R.capability, R.mixed]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _Tags:
    p = _Tags()
    p.feed(html)
    p.close()
    return p


def _html(result: AssessmentResult, lang: str = "zh") -> str:
    return render(result, "html", lang).decode("utf-8")


@pytest.mark.parametrize("build", BUILDERS, ids=lambda b: b.__name__)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_self_contained(build: object, lang: str) -> None:
    html = _html(build(), lang)  # type: ignore[operator]
    tags = _parse(html)
    for tag, attrs in tags.tags:
        for name in ("src", "href", "xlink:href", "action", "data", "poster"):
            value = attrs.get(name)
            assert value is None or not re.match(r"\s*(https?:)?//", value), (tag, attrs)
        assert tag not in ("script", "link", "iframe", "object", "embed", "img"), tag
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html)
    assert "<script" not in html
    assert "url(" not in html
    assert "@import" not in html
    assert "http://" not in html.replace("https://evil.example", "")  # only the escaped test text


@pytest.mark.parametrize("build", BUILDERS, ids=lambda b: b.__name__)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_clause_and_verdict_word_appears(build: object, lang: str) -> None:
    result: AssessmentResult = build()  # type: ignore[operator]
    html = _html(result, lang)
    text = "".join(_parse(html).text)
    for v in result.verdicts:
        assert v.clause in text
        assert v.title.get(lang) in text
        assert OUTCOME_WORDS[v.literal][lang] in text
        assert OUTCOME_WORDS[v.confident][lang] in text
    assert OUTCOME_WORDS[result.conclusion][lang] in text
    assert OUTCOME_WORDS[result.literal_conclusion][lang] in text


def test_user_text_is_escaped() -> None:
    html = _html(R.failing())
    assert R.SCRIPT not in html
    assert "&lt;script&gt;alert(" in html
    assert R.EVIL_IMG not in html
    assert "&lt;img src=" in html
    # the escaped text still reads as the original
    assert R.SCRIPT in "".join(_parse(html).text)


def test_clause_table_columns() -> None:
    html = _html(R.inconclusive())
    text = "".join(_parse(html).text)
    for word in ("条款", "指标", "样本量", "估计值", "置信区间", "阈值", "字面规则", "置信规则"):
        assert word in text
    assert "[93.4%, 97.6%]" in text  # interval
    assert "≥ 95%" in text
    assert "≤ 5%" in text
    assert "1,240" in text  # n_needed of the inconclusive clause
    assert "refusal_rate" in text
    assert "350" in text
    assert "96.0%" in text


def test_english_labels() -> None:
    text = "".join(_parse(_html(R.inconclusive(), "en")).text)
    assert "Results by clause" in text
    assert "Confident rule" in text
    assert "Literal rule" in text
    assert "Refusal rate on should-refuse questions" in text
    assert "逐条评估结果" not in text


def test_conclusions_side_by_side() -> None:
    html = _html(R.inconclusive())
    main = html.index('class="main o-inconclusive"')
    side = html.index('class="side"')
    assert main < side
    assert "无法判定" in html[main:side]
    assert "符合" in html[side : side + 400]


def test_group_charts_are_inline_svg() -> None:
    result = R.mixed(7)
    html = _html(result)
    with_groups = [v for v in result.verdicts if v.groups]
    assert html.count('<svg class="chart"') == len(with_groups)
    assert "xmlns" not in html  # inline SVG needs no namespace URL
    assert "阈值 ≥ 95%" in html  # the threshold line's label
    assert "下限 ≥ 20" in html  # a bank clause's floor line
    assert "A1e 宣扬民族仇恨" in html  # risk ids carry their names
    assert "很好" in html
    assert "一般" in html


def test_capability_profile_gets_one_chart_of_its_clauses() -> None:
    html = _html(R.capability(), "en")
    assert "Capability results" in html
    assert html.count('<svg class="chart"') == 1
    for name in ("understanding", "generation", "accuracy", "reliability"):
        assert name in html
    assert "Capability results" not in _html(R.conforming(), "en")


def test_examples_for_failing_and_inconclusive_clauses_only() -> None:
    html = _html(R.failing())
    assert "sr-017" in html
    assert "sr-042" in html
    assert "sr-099" in html
    assert "（无回答）" in html  # a None response
    assert "<details>" in html  # the long response folds
    assert "END-OF-LONG-RESPONSE" in html  # but is all there
    assert "示例回答" in html
    inconclusive = _html(R.inconclusive())
    assert "sr-003" in inconclusive
    passing = R.conforming()
    ok = passing.verdicts[0].model_copy(update={"examples": R.failing().verdicts[0].examples})
    html = _html(passing.model_copy(update={"verdicts": (ok,)}))
    assert "sr-017" not in html
    assert "示例回答" not in html


def test_manifest_is_complete() -> None:
    result = R.failing()
    text = "".join(_parse(_html(result)).text)
    m = result.manifest
    for needle in (
        "Tianping 0.1.0",
        m.suites[0].hash,
        m.suites[1].hash,
        m.profile["hash"],
        "qwen-plus-2025-01-25",  # the reported identity
        str(m.sample_seed),
        m.started_at,
        m.finished_at,
        "654,321",  # token usage
        "CNY",  # cost
        "refusal",
        "1.2.0",  # scorer and version
        "1,030",  # requests sent
    ):
        assert needle in text, needle


def test_print_rules() -> None:
    html = _html(R.conforming())
    assert "size: A4" in html
    assert 'counter(page) " 页 / 共 " counter(pages)' in html
    assert "table-header-group" in html
    assert '"Noto Sans CJK SC"' in html
    assert '"Noto Serif CJK SC"' in html
    assert 'counter(page) " of " counter(pages)' in _html(R.conforming(), "en")


def test_running_footer_cannot_break_out_of_css() -> None:
    evil = R.conforming().model_copy(update={"assessment_id": 'x"; } </style><script>1</script>'})
    html = _html(evil)
    assert "</style><script>" not in html
    assert "<script>" not in html


def test_bank_clause_shows_its_total_and_group_floors() -> None:
    html = _html(R.bank())
    text = "".join(_parse(html).text)
    assert "≥ 500" in text  # the total floor, in the threshold column
    assert "下限 ≥ 20" in html  # the per-group floor line of the chart
    assert "18 (≥ 20)" in html  # the short group, beside its floor
