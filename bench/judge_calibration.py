#!/usr/bin/env python3
"""How well the automatic graders agree with human labels.

Risk classification (``risk`` scorer) on ``src/tianping/scoring/data/risk_labelled.jsonl``
(fields id, lang, prompt, response, risk: one of the 31 ids or "none"): accuracy of the
rule baseline, per category and overall, always; of a judge model when ``--judge SPEC``
is given. Refusal (``refusal_labelled.jsonl``, fields id, lang, prompt, response, label:
refused / complied / partial): agreement of the refusal rules, always, and of the judge
under the ``refusal`` rubric when ``--judge`` is given.

    python bench/judge_calibration.py
    python bench/judge_calibration.py --judge openai-compat:qwen2.5-7b@http://127.0.0.1:8000/v1

Prints tables and writes bench/out/judge_calibration.json.

The rule baseline's cue lists were written while looking at one half of the risk set
(ids whose sha256 is even: the "tuned" rows); the other half ("held-out") was not
looked at, and its accuracy is the fair figure for the rules. A judge was tuned on
neither half.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

from tianping.core import Item, Response  # noqa: E402
from tianping.scoring import Scorer, get_scorer  # noqa: E402
from tianping.scoring._agreement import agreement  # noqa: E402

DATA = ROOT / "src" / "tianping" / "scoring" / "data"
CATEGORIES = ("A1", "A2", "A3", "A4", "A5", "none")


def read_rows(path: Path, label_field: str) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        for field in ("id", "prompt", "response", label_field):
            if field not in row:
                raise SystemExit(f"{path}:{number}: missing field {field!r}")
        rows.append(row)
    return rows


def to_pair(row: dict[str, Any]) -> tuple[Item, Response]:
    lang = row.get("lang") or None
    item = Item(id=str(row["id"]), prompt=row["prompt"], lang=lang)
    response = Response(
        run_id="bench",
        item_id=item.id,
        position=0,
        request_key="-",
        status="done",
        text=row["response"],
    )
    return item, response


async def grade_all(
    scorer: Scorer, rows: Sequence[dict[str, Any]], concurrency: int
) -> list[str | None]:
    gate = asyncio.Semaphore(concurrency)

    async def one(row: dict[str, Any]) -> str | None:
        item, response = to_pair(row)
        async with gate:
            graded = await scorer.score(item, response)
        return graded.label

    return list(await asyncio.gather(*(one(r) for r in rows)))


def half(item_id: str) -> str:
    """The half of the risk set the rule cues were tuned on, or the held-out half."""
    return "tuned" if int(hashlib.sha256(item_id.encode()).hexdigest(), 16) % 2 == 0 else "held-out"


def category(label: str | None) -> str:
    return "none" if label in (None, "none") else str(label)[:2]


def risk_report(
    name: str, rows: Sequence[dict[str, Any]], predicted: Sequence[str | None]
) -> dict[str, Any]:
    gold = [str(r["risk"]) for r in rows]
    langs = [str(r.get("lang") or "-") for r in rows]
    by_cat: dict[str, Counter[str]] = defaultdict(Counter)
    by_lang: dict[str, Counter[str]] = defaultdict(Counter)
    by_half: dict[str, Counter[str]] = defaultdict(Counter)
    halves = [half(str(r["id"])) for r in rows]
    for g, p, lang, h in zip(gold, predicted, langs, halves, strict=True):
        for bucket in (by_cat[category(g)], by_lang[lang], by_half[h]):
            bucket["n"] += 1
            bucket["exact"] += p == g
            bucket["category"] += category(p) == category(g)
            bucket["flagged"] += (p != "none") == (g != "none")
    n = len(gold)
    exact = sum(p == g for g, p in zip(gold, predicted, strict=True))
    same_cat = sum(category(p) == category(g) for g, p in zip(gold, predicted, strict=True))
    binary = agreement(
        ["none" if p == "none" else "risk" for p in predicted],
        ["none" if g == "none" else "risk" for g in gold],
    )
    report: dict[str, Any] = {
        "classifier": name,
        "n": n,
        "accuracy": exact / n,
        "category_accuracy": same_cat / n,
        "risk_vs_none": binary.to_json(),
        "kappa_31_ids": agreement(list(predicted), list(gold)).kappa,
        "errors": sum(p in (None, "judge_error", "no_response") for p in predicted),
        "by_category": {c: dict(by_cat[c]) for c in CATEGORIES if c in by_cat},
        "by_lang": {k: dict(v) for k, v in sorted(by_lang.items())},
        "by_half": {k: dict(by_half[k]) for k in ("tuned", "held-out") if k in by_half},
    }
    print(f"\nrisk classification — {name} — {n} labelled responses")
    print(f"{'gold':<8} {'n':>5} {'exact':>7} {'category':>9} {'risk/none':>10}")
    groups = [report["by_category"], report["by_lang"], report["by_half"]]
    for key, counts in [pair for group in groups for pair in group.items()]:
        c = Counter(counts)
        print(
            f"{key:<8} {c['n']:>5} {c['exact'] / c['n']:>7.1%} {c['category'] / c['n']:>9.1%}"
            f" {c['flagged'] / c['n']:>10.1%}"
        )
    print(
        f"{'all':<8} {n:>5} {exact / n:>7.1%} {same_cat / n:>9.1%} {binary.accuracy:>10.1%}"
        f"   kappa(risk/none) {binary.kappa:.3f}, kappa(32 labels) {report['kappa_31_ids']:.3f}"
    )
    return report


def refusal_report(
    name: str, rows: Sequence[dict[str, Any]], predicted: Sequence[str | None]
) -> dict[str, Any]:
    result = agreement(list(predicted), [str(r["label"]) for r in rows])
    print(f"\nrefusal — {name} — {result.n} labelled responses ({result.skipped} not graded)")
    print(f"accuracy {result.accuracy:.1%}, kappa {result.kappa:.3f}")
    for human, row in result.confusion.items():
        print(f"  human {human:<9} -> " + ", ".join(f"{k} {v}" for k, v in row.items()))
    return {"classifier": name, **result.to_json()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--judge", help="a judge model spec; without it only the rules run")
    parser.add_argument("--risk-labels", type=Path, default=DATA / "risk_labelled.jsonl")
    parser.add_argument("--refusal-labels", type=Path, default=DATA / "refusal_labelled.jsonl")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--out", type=Path, default=HERE / "out" / "judge_calibration.json")
    args = parser.parse_args()
    results: dict[str, Any] = {"judge": args.judge, "risk": [], "refusal": []}

    if args.risk_labels.is_file():
        rows = read_rows(args.risk_labels, "risk")
        rules = asyncio.run(grade_all(get_scorer("risk"), rows, args.concurrency))
        results["risk"].append(risk_report("rules", rows, rules))
        if args.judge:
            judge = get_scorer("risk", judge=args.judge)
            labels = asyncio.run(grade_all(judge, rows, args.concurrency))
            results["risk"].append(risk_report(f"judge {args.judge}", rows, labels))
    else:
        print(f"no risk labels at {args.risk_labels}")

    if args.refusal_labels.is_file():
        rows = read_rows(args.refusal_labels, "label")
        rules = asyncio.run(grade_all(get_scorer("refusal"), rows, args.concurrency))
        results["refusal"].append(refusal_report("rules", rows, rules))
        if args.judge:
            judge = get_scorer("judge", model=args.judge, rubric="refusal")
            labels = asyncio.run(grade_all(judge, rows, args.concurrency))
            results["refusal"].append(refusal_report(f"judge {args.judge}", rows, labels))
    else:
        print(f"no refusal labels at {args.refusal_labels}")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
