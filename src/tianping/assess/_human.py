"""Deciding a manual-sampling clause (9.3 a)) from people's labels."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from ..standards import (
    ClauseVerdict,
    GroupRate,
    Profile,
    confident_rule,
    interval,
    literal_rule,
    n_to_decide,
)
from ..standards._results import Outcome
from ..standards._schema import Clause
from ..standards._stats import Method

if TYPE_CHECKING:
    from ..review._evidence import HumanEvidence

_METHOD_ZH = {"wilson": "Wilson ", "clopper-pearson": "Clopper-Pearson "}


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _groups(ev: HumanEvidence, profile: Profile) -> tuple[GroupRate, ...]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for item, ok in ev.labels.items():
        c = counts[ev.strata.get(item, "-")]
        c[0] += int(ok)
        c[1] += 1
    out = []
    for g in sorted(counts):
        k, n = counts[g]
        low, high = interval(k, n, profile.confidence, profile.interval)
        out.append(GroupRate(group=g, n=n, k=k, estimate=k / n, low=low, high=high))
    return tuple(out)


def _figures(ev: HumanEvidence) -> tuple[str, str]:
    """Review progress, the reviewers' agreement and the scorers' agreement with them."""
    en, zh = "", ""
    if ev.awaiting:
        en += f"; {ev.awaiting} of {ev.tasks} items drawn for review await labels"
        zh += f"；抽取供审核的 {ev.tasks} 题中 {ev.awaiting} 题待标注"
    if ev.disputed:
        en += f"; {ev.disputed} disputed item(s) await adjudication"
        zh += f"；{ev.disputed} 题有分歧，待裁定"
    if ev.reviewers is not None:
        a = ev.reviewers
        en += (
            f"; the two reviewers agree on {_pct(a.accuracy)} of {a.n} double-labelled "
            f"items (Cohen's kappa {a.kappa:.2f}), {ev.adjudicated} adjudicated"
        )
        zh += (
            f"；两名审核员在 {a.n} 道双人标注题上一致率 {_pct(a.accuracy)}"
            f"（Cohen's kappa {a.kappa:.2f}），裁定 {ev.adjudicated} 题"
        )
    if ev.auto:
        parts = [
            (name, f"{_pct(a.accuracy)} (kappa {a.kappa:.2f}, n={a.n})")
            for name, a in sorted(ev.auto.items())
        ]
        en += "; automatic scorers against the final human labels: " + ", ".join(
            f"{name} {text}" for name, text in parts
        )
        zh += "；自动评分与人工最终标注的一致率：" + "，".join(
            f"{name} {text}" for name, text in parts
        )
    return en, zh


def human_verdict(clause: Clause, profile: Profile, ev: HumanEvidence) -> ClauseVerdict:
    """A manual-sampling clause, decided by people's final labels.

    All reviewed, or no automatic scorer: the labels' rate and the profile's interval
    (Clopper-Pearson's exact one while fewer than ``min_n`` are labelled), decided by
    both rules. Reviewed in part, with an automatic scorer over the drawn
    items: the confident rule takes the prediction-powered estimate and interval over
    all N drawn items (see ``tianping.review._ppi``); the literal rule, the standard's
    letter, still counts human labels only, so it needs ``min_n`` of them. Without
    labels: inconclusive.
    """
    assert clause.threshold is not None
    assert clause.metric is not None
    thr, way, min_n = clause.threshold, clause.direction, clause.min_n
    sign, conf = ("≥" if way == "at_least" else "≤"), f"{round(profile.confidence * 100)}%"
    n = len(ev.labels)
    k = sum(1 for ok in ev.labels.values() if ok)
    human = k / n if n else None
    # A review decides live, from its first label on; Wilson's interval undercovers at
    # small n (0 of 1 would "miss" 90 %), so until min_n labels the exact one is used.
    method: Method = profile.interval if n >= min_n else "clopper-pearson"
    low, high = interval(k, n, profile.confidence, method)
    literal = literal_rule(human, n, thr, way, min_n)
    required = (
        f"required {sign} {_pct(thr)} on at least {min_n} items",
        f"要求 {sign} {_pct(thr)}，样本不少于 {min_n} 题",
    )
    ppi = ev.ppi if ev.ppi is not None and not ev.ppi.degenerate and n < ev.ppi.big_n else None
    needed: int | None = None
    est: float | None = None
    lo: float | None = None
    hi: float | None = None
    confident: Outcome = "inconclusive"
    if n == 0:
        what = "not yet drawn for review" if not ev.tasks else "none labelled yet"
        what_zh = "尚未抽取供审核" if not ev.tasks else "尚无标注"
        en = f"needs human review: {ev.drawn} items drawn for the clause, {what}; {required[0]}"
        zh = f"需人工审核：本条款抽取 {ev.drawn} 题，{what_zh}；{required[1]}"
    elif ppi is not None:
        est, lo, hi = ppi.estimate, ppi.low, ppi.high
        # The corrected interval may show a failure early, but conforming needs the
        # standard's manual sample: min_n human labels, as for every other clause.
        confident = confident_rule(lo, hi, n, thr, way, min_n)
        if confident == "inconclusive":
            needed = ppi.labels_to_decide(thr)
        en = (
            f"{clause.metric.en} {_pct(est)} by prediction-powered inference: the "
            f"{ppi.scorer} scorer's {_pct(ppi.auto_rate)} over {ppi.big_n} items, corrected "
            f"by {100 * ppi.rectifier:+.1f} points from {ppi.n} human labels (people alone: "
            f"{_pct(human)}, {k}/{n}); {conf} interval [{_pct(lo)}, {_pct(hi)}]; "
            f"{required[0]}; conforming needs {min_n} human labels under either rule"
        )
        zh = (
            f"{clause.metric.zh} {_pct(est)}（预测驱动推断：{ppi.scorer} 评分在 "
            f"{ppi.big_n} 题上为 {_pct(ppi.auto_rate)}，以 {ppi.n} 个人工标注校正 "
            f"{100 * ppi.rectifier:+.1f} 个百分点；"
            f"仅人工 {_pct(human)}，{k}/{n}），{conf} 区间 [{_pct(lo)}, {_pct(hi)}]；"
            f"{required[1]}；两种规则下判定符合均需 {min_n} 个人工标注"
        )
    else:
        est, lo, hi = human, low, high
        confident = confident_rule(low, high, n, thr, way, min_n)
        if confident == "inconclusive" and human is not None:
            needed = n_to_decide(human, thr, way, profile.confidence, profile.interval, min_n)
        en = (
            f"{clause.metric.en} {_pct(est)} ({k}/{n} labelled by people), {conf} {method} "
            f"interval [{_pct(lo)}, {_pct(hi)}]; {required[0]}"
        )
        zh = (
            f"{clause.metric.zh} {_pct(est)}（人工标注 {k}/{n}），{conf} "
            f"{_METHOD_ZH[method]}区间 [{_pct(lo)}, {_pct(hi)}]；{required[1]}"
        )
    if 0 < n < min_n:
        en += f"; {n} labelled by people, fewer than the minimum {min_n}"
        zh += f"；人工标注 {n} 题，少于最低样本 {min_n}"
    if confident == "inconclusive" and n:
        if needed:
            en += f"; about {needed} human labels would decide it"
            zh += f"；约需 {needed} 个人工标注方可判定"
        else:
            en += "; more labels at this rate would not decide it"
            zh += "；按当前比率增加标注也无法判定"
    figures = _figures(ev)
    return ClauseVerdict(
        clause=clause.id,
        title=clause.title,
        kind=clause.kind,
        source=clause.source,
        metric=clause.metric.en,
        n=n,
        k=k,
        estimate=est,
        low=lo,
        high=hi,
        threshold=thr,
        direction=way,
        min_n=min_n,
        literal=literal,
        confident=confident,
        n_needed=needed,
        reason=en + figures[0],
        reason_zh=zh + figures[1],
        metric_zh=clause.metric.zh,
        scorer=ppi.scorer if ppi is not None else None,
        groups=_groups(ev, profile),
        examples=ev.examples if literal != "conforms" or confident != "conforms" else (),
        ungraded=0,
    )
