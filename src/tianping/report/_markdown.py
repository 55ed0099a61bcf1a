"""Markdown exports: the report for pasting, and the filing self-assessment report.

Every text from the result is escaped for a table cell: ``|`` and line breaks
cannot break the table, and ``<``, ``>``, ``&`` become entities so that a
renderer that allows raw HTML shows a model's ``<script>`` as text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..standards._results import AssessmentResult
from ._filing import FilingView
from ._labels import label
from ._view import build


def cell(text: str) -> str:
    """``text`` safe inside one Markdown table cell (and as inline text)."""
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = out.replace("\\", "\\\\").replace("|", "\\|")
    return " ".join(out.split())


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(cell(h) for h in header) + " |"]
    lines.append("|" + "|".join("---" for _ in header) + "|")
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return lines


def report_md(result: AssessmentResult, lang: str) -> str:
    """The Markdown report: conclusion, clause table, one-line reasons, short manifest."""
    v = build(result, lang)

    def t(key: str) -> str:
        return label(key, lang)

    out = [
        f"# {cell(v.title)}: {cell(v.profile_title)}",
        "",
        f"- {t('model')}: {cell(v.model_spec)}"
        + (f" ({cell(v.model_identity)})" if v.model_identity else ""),
        f"- {t('profile')}: {cell(v.profile_title)} ({cell(v.profile)})",
        f"- {t('date')}: {v.date}",
        f"- {t('assessment_id')}: {cell(v.assessment_id)}",
        "",
        f"## {t('conclusion')}",
        "",
        f"**{t('confident_rule')}: {v.conclusion_word}** · {t('literal_rule')}: "
        f"{v.literal_conclusion_word}",
        "",
        f"{cell(v.confident_note)} {t('literal_rule')}: {cell(v.literal_note)}",
        "",
        f"## {t('clauses')}",
        "",
    ]
    header = [
        t("clause"),
        t("requirement"),
        t("metric"),
        t("n"),
        t("estimate"),
        t("interval"),
        t("threshold"),
        t("literal"),
        t("confident"),
        t("n_needed"),
    ]
    rows = [
        [
            c.id,
            c.title,
            c.metric,
            c.n,
            c.estimate,
            c.interval,
            c.threshold,
            c.literal_word,
            c.confident_word,
            c.n_needed,
        ]
        for c in v.clauses
    ]
    out += table(header, rows)
    out += ["", f"## {t('reasons')}", ""]
    out += [f"- **{cell(c.id)}** {c.confident_word}: {cell(c.reason)}" for c in v.clauses]
    out += ["", f"## {t('manifest')}", ""]
    out += [f"- {cell(k)}: {cell(val)}" for k, val in v.manifest]
    for s in v.suites:
        out.append(
            f"- {t('suites')}: {cell(s.name)} {cell(s.version)} ({cell(s.role)}, "
            f"{s.items} {t('items_word')}, {cell(s.hash)})"
        )
    if v.scorers:
        out.append(
            f"- {t('scorers')}: " + ", ".join(f"{cell(n)} {cell(ver)}" for n, ver in v.scorers)
        )
    out += [f"- {cell(k)}: {cell(val)}" for k, val in v.usage_rows]
    out += ["", f"_{v.generated_by}_", ""]
    return "\n".join(out)


def filing_md(f: FilingView) -> str:
    """The filing self-assessment report in Markdown (always Chinese)."""
    out = [f"# {f.title}", "", f"## {f.sections[0]}", ""]
    out += table(["项目", "内容"], f.basics)
    out += ["", f"## {f.sections[1]}", ""]
    out += table(["项目", "内容"], f.basis)
    out += ["", f"## {f.sections[2]}", ""]
    out += table(
        ["条款", "要求", "评估结果", "证据与说明"],
        ([r.clause, r.requirement, r.word, r.evidence] for r in f.rows),
    )
    out += [
        "",
        f"## {f.sections[3]}",
        "",
        f"总体结论：**{f.conclusion_word}**（标准字面规则：{f.literal_word}）",
        "",
        cell(f.conclusion_text),
        "",
        f"## {f.sections[4]}",
        "",
        "1. 评估报告：" + "、".join(f"`{name}`" for name in f.report_files),
        "2. 测试题库：" + ("" if f.banks else "无"),
    ]
    out += [f"   - {cell(b)}" for b in f.banks]
    out += [f"3. 签名声明：`{f.attestation}`", "", f"_{f.generated_by}_", ""]
    return "\n".join(out)
