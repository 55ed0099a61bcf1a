"""The security self-assessment report (安全评估报告) a filing needs, always in Chinese.

Five sections, in the order a filing reviewer reads them: 一、基本情况,
二、评估依据, 三、逐条评估结果, 四、总体结论, 五、附件清单. The Markdown and
HTML exports print the same :class:`FilingView`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .._version import __version__
from ..standards._results import AssessmentResult
from . import _format as fmt
from ._evidence import evidence, model_identity
from ._labels import outcome_word

SECTIONS = ("一、基本情况", "二、评估依据", "三、逐条评估结果", "四、总体结论", "五、附件清单")
TITLE = "生成式人工智能服务安全评估报告"
ATTESTATION_FILE = "attestation.dsse.json"

# What each export format writes, in the order an attachment list names them.
REPORT_FILES: dict[str, tuple[str, ...]] = {
    "html": ("report.html",),
    "pdf": ("report.pdf",),
    "json": ("report.json",),
    "md": ("report.md",),
    "filing": ("self-assessment-zh.md", "self-assessment-zh.html"),
}


@dataclass(frozen=True)
class FilingRow:
    clause: str
    requirement: str
    outcome: str
    word: str
    evidence: str


@dataclass(frozen=True)
class FilingView:
    title: str
    sections: tuple[str, ...]
    basics: tuple[tuple[str, str], ...]
    basis: tuple[tuple[str, str], ...]
    rows: tuple[FilingRow, ...]
    conclusion: str
    conclusion_word: str
    conclusion_text: str
    literal_word: str
    report_files: tuple[str, ...]
    banks: tuple[str, ...]
    attestation: str
    generated_by: str


def _provider(result: AssessmentResult) -> str:
    """The vendor and endpoint: ``Alibaba（预设 qwen，https://…）``, or the spec's prefix."""
    model = result.manifest.model
    vendor = model.get("vendor") or model.get("provider")
    details = []
    if model.get("preset"):
        details.append(f"预设 {model['preset']}")
    if model.get("url"):
        details.append(str(model["url"]))
    if vendor:
        return f"{vendor}（{'，'.join(details)}）" if details else str(vendor)
    if details:
        return "，".join(details)
    head, sep, _ = result.model_spec.partition(":")
    return head if sep else fmt.DASH


def _profile_detail(result: AssessmentResult) -> str:
    p = result.manifest.profile
    names = {"version": "版本", "hash": "哈希", "sha256": "SHA-256"}
    bits = [f"{name} {fmt.plain(p[k])}" for k, name in names.items() if p.get(k)]
    return "，".join(bits) or fmt.DASH


def _conclusion_text(result: AssessmentResult) -> str:
    by: dict[str, list[str]] = {}
    for v in result.verdicts:
        by.setdefault(v.confident, []).append(v.clause)
    conf = fmt.pct(result.confidence).replace(".0%", "%")
    parts = [
        f"共评估 {len(result.verdicts)} 个条款，按置信规则（{conf} 置信区间）总体结论为"
        f"“{outcome_word(result.conclusion, 'zh')}”；按标准字面规则为"
        f"“{outcome_word(result.literal_conclusion, 'zh')}”。"
    ]
    for outcome in ("conforms", "does_not_conform", "inconclusive", "not_applicable"):
        if by.get(outcome):
            parts.append(f"{outcome_word(outcome, 'zh')}：{'、'.join(by[outcome])}。")
    return "".join(parts)


def build_filing(result: AssessmentResult, formats: Sequence[str] | None = None) -> FilingView:
    """The filing view of ``result``; ``formats`` names the report files attached (default: all)."""
    m = result.manifest
    names = formats if formats is not None else tuple(REPORT_FILES)
    files = tuple(f for fmt_ in names for f in REPORT_FILES.get(fmt_, ()))
    sources = "、".join(
        dict.fromkeys(v.source.document for v in result.verdicts if v.source.document)
    )
    conf = fmt.pct(result.confidence).replace(".0%", "%")
    times = f"{m.started_at} 至 {m.finished_at}" if m.finished_at else m.started_at
    basics = (
        ("被评估模型", result.model_spec),
        ("模型自报身份", model_identity(result.manifest.model) or fmt.DASH),
        ("服务提供者／接口", _provider(result)),
        ("评估日期", fmt.date_of(m.finished_at or m.started_at)),
        ("评估时间", times),
        ("评估工具及版本", f"天平 Tianping {m.tool_version}"),
        ("评估编号", result.assessment_id),
        ("测试请求数", f"{m.requests_sent:,}"),
    )
    basis = (
        ("评估方案", f"{result.profile_title.zh}，方案标识 {result.profile}"),
        ("方案版本", _profile_detail(result)),
        ("依据文件", sources or fmt.DASH),
        (
            "判定规则",
            f"置信规则：整个 {conf} 置信区间（{result.interval}）满足阈值为符合，"
            "整个区间不满足为不符合，否则为无法判定；同时列出标准字面规则"
            "（点估计对照阈值，样本量不低于最小样本量）的结果。",
        ),
    )
    rows = tuple(
        FilingRow(
            clause=v.clause,
            requirement=v.title.zh,
            outcome=v.confident,
            word=outcome_word(v.confident, "zh"),
            evidence=evidence(v, result.confidence, "zh"),
        )
        for v in result.verdicts
    )
    banks = tuple(
        f"{s.name} {s.version}（{s.role}，{s.items:,} 题，哈希 {s.hash}）" for s in m.suites
    )
    return FilingView(
        title=TITLE,
        sections=SECTIONS,
        basics=basics,
        basis=basis,
        rows=rows,
        conclusion=result.conclusion,
        conclusion_word=outcome_word(result.conclusion, "zh"),
        conclusion_text=_conclusion_text(result),
        literal_word=outcome_word(result.literal_conclusion, "zh"),
        report_files=files,
        banks=banks,
        attestation=ATTESTATION_FILE,
        generated_by=f"由天平 {__version__} 生成",
    )
