#!/usr/bin/env python3
"""How often extract_choice finds the letter a careful reader would, on hand-labelled answers.

The data, bench/data/choice_extraction.jsonl, holds model-style answers to multiple
choice questions in Chinese and English, one JSON object a line: ``id``, ``lang`` (the
question's language), ``question`` (a short tag), ``choices``, ``response`` and
``label`` (the letter the answer picks, or null when it picks none or hedges).

    python bench/match_accuracy.py            # accuracy overall and per language, failures
    python bench/match_accuracy.py --data other.jsonl

Exits 1 when accuracy is under --min (default 0.97).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from tianping.scoring._normalize import extract_choice  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=HERE / "data/choice_extraction.jsonl")
    parser.add_argument("--min", type=float, default=0.97, help="accuracy below this exits 1")
    args = parser.parse_args()

    rows = [json.loads(line) for line in args.data.read_text("utf-8").splitlines() if line.strip()]
    total: Counter[str] = Counter()
    right: Counter[str] = Counter()
    failures: list[tuple[dict[str, object], str | None, str]] = []
    for row in rows:
        got, how = extract_choice(row["response"], row["choices"])
        for key in ("all", row["lang"], "none" if row["label"] is None else "letter"):
            total[key] += 1
            right[key] += got == row["label"]
        if got != row["label"]:
            failures.append((row, got, how))

    print(f"{'subset':<22}{'correct':>9}{'total':>7}{'accuracy':>10}")
    names = {"letter": "labelled a letter", "none": "labelled none"}
    for key in [
        "all",
        *sorted(k for k in total if k not in ("all", "letter", "none")),
        "letter",
        "none",
    ]:
        if total[key]:
            share = right[key] / total[key]
            print(f"{names.get(key, key):<22}{right[key]:>9}{total[key]:>7}{share:>10.1%}")
    if failures:
        print(f"\n{len(failures)} failure(s):")
        for row, got, how in failures:
            text = " ".join(str(row["response"]).split())
            print(
                f"  {row['id']}: expected {row['label']}, got {got} ({how})\n      {text[:150]!r}"
            )
    return 0 if right["all"] / max(total["all"], 1) >= args.min else 1


if __name__ == "__main__":
    raise SystemExit(main())
