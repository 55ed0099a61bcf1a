"""The evidence sentence of a clause and the model's reported identity, for every format.

The HTML table, the Markdown export and the filing report print the same
words, so the evidence a filing cites is the evidence the report shows.
"""

from __future__ import annotations

from typing import Any

from ..standards._results import ClauseVerdict, GroupRate
from . import _format as fmt
from ._labels import grade_word, outcome_word


def model_identity(model: dict[str, Any]) -> str:
    """What the model said it is, from the manifest's model record.

    ``reported_identity`` maps each identity the endpoint reported to how many
    responses carried it; a single one prints alone, several with their counts.
    Without it, the identity the adapter was configured with.
    """
    for key in ("reported_identity", "reported", "identity"):
        value = model.get(key)
        if isinstance(value, dict):
            if value and all(isinstance(n, int) for n in value.values()):
                if len(value) == 1:
                    value = next(iter(value))
                else:
                    value = ", ".join(f"{name} ({n:,})" for name, n in value.items())
            else:
                value = (
                    value.get("model")
                    or value.get("name")
                    or {k: x for k, x in value.items() if x is not None}
                )
        if value:
            return fmt.plain(value)
    return ""


def _bank_counts(groups: tuple[GroupRate, ...], lang: str) -> str:
    parts = []
    for g in groups:
        mark = "" if g.floor is None else (" ✓" if g.n >= g.floor else " ✗")
        floor = "" if g.floor is None else f"/{fmt.count(g.floor)}"
        parts.append(f"{g.group} {fmt.count(g.n)}{floor}{mark}")
    head = "各组数量/下限：" if lang == "zh" else "count/floor by group: "
    return head + ("，" if lang == "zh" else ", ").join(parts)


def evidence(v: ClauseVerdict, confidence: float, lang: str) -> str:
    """One paragraph of evidence for ``v``: n, estimate, interval, threshold, both rules, reason."""
    zh = lang == "zh"
    sep = "，" if zh else ", "
    bits: list[str] = []
    if fmt.is_count(v):
        bits.append(f"{'数量' if zh else 'count'} {fmt.count(v.n)}")
    else:
        bits.append(f"n = {v.n:,}")
        if v.estimate is not None:
            k = f"（{v.k:,}/{v.n:,}）" if zh else f" ({v.k:,}/{v.n:,})"
            bits.append(f"{'估计值' if zh else 'estimate'} {fmt.pct(v.estimate)}{k}")
        if v.low is not None and v.high is not None:
            conf = fmt.pct(confidence).replace(".0%", "%")
            iv = fmt.interval(v.low, v.high)
            bits.append(f"{conf} {'置信区间' if zh else 'interval'} {iv}")
    if fmt.threshold(v) != fmt.DASH:
        bits.append(f"{'阈值' if zh else 'threshold'} {fmt.threshold(v)}")
    if v.min_n and not fmt.is_count(v):
        bits.append(f"{'最小样本量' if zh else 'minimum n'} {v.min_n:,}")
    text = sep.join(bits)
    if v.groups and fmt.is_count(v):
        text += ("；" if zh else "; ") + _bank_counts(v.groups, lang)
    elif v.groups and any(g.grade for g in v.groups):
        grades = sep.join(f"{g.group} {grade_word(g.grade, lang)}" for g in v.groups if g.grade)
        text += ("；各组等级：" if zh else "; grades: ") + grades
    rules = (
        f"字面规则：{outcome_word(v.literal, lang)}；置信规则：{outcome_word(v.confident, lang)}"
        if zh
        else f"literal rule: {outcome_word(v.literal, lang)}; "
        f"confident rule: {outcome_word(v.confident, lang)}"
    )
    if v.confident == "inconclusive" and v.n_needed:
        rules += (
            f"（判定约需 {v.n_needed:,} 题）" if zh else f" (about {v.n_needed:,} items to decide)"
        )
    if v.ungraded:
        rules += f"；未评分 {v.ungraded:,} 条" if zh else f"; {v.ungraded:,} ungraded"
    end = "。" if zh else "."
    reason = v.reason_in(lang).strip()
    return f"{text}{'；' if zh else '; '}{rules}{end}" + (f" {reason}" if reason else "")
