#!/usr/bin/env python3
"""Throughput of the ``code`` scorer: HumanEval's 164 canonical solutions, graded in the sandbox.

Each figure grades all 164 problems through ``CodeScorer.score`` (program
assembly, one sandboxed interpreter per problem, the problem's tests) with the
given number of problems in flight, after one warm-up run that finds the
sandbox plan. Prints problems per second, the median time per problem and the
isolation in force.

    python bench/code_exec.py                     # concurrency 1 and 2
    python bench/code_exec.py --concurrency 1,2,4 --repeat 3
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

from tianping.core import Item, Response  # noqa: E402
from tianping.scoring._code import CodeScorer  # noqa: E402

SHARED = Path(os.environ.get("TIANPING_SHARED", ROOT.parent / "shared"))
HUMANEVAL = SHARED / "data/external/humaneval/HumanEval.jsonl.gz"


def load() -> list[tuple[Item, Response]]:
    with gzip.open(HUMANEVAL, "rt", encoding="utf-8") as f:
        problems = [json.loads(line) for line in f]
    pairs = []
    for i, p in enumerate(problems):
        item = Item(
            id=p["task_id"],
            prompt=p["prompt"],
            tests=p["test"],
            meta={"entry_point": p["entry_point"], "completion_mode": True},
        )
        response = Response(
            run_id="bench",
            item_id=item.id,
            position=i,
            request_key=item.id,
            status="done",
            text=p["canonical_solution"],
        )
        pairs.append((item, response))
    return pairs


async def grade_all(
    scorer: CodeScorer, pairs: list[tuple[Item, Response]], concurrency: int
) -> tuple[float, list[float], int]:
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    passed = 0

    async def one(item: Item, response: Response) -> None:
        nonlocal passed
        async with gate:
            start = time.perf_counter()
            graded = await scorer.score(item, response)
            latencies.append(time.perf_counter() - start)
            passed += graded.value == 1.0

    start = time.perf_counter()
    await asyncio.gather(*(one(item, response) for item, response in pairs))
    return time.perf_counter() - start, latencies, passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", default="1,2", help="comma-separated (default 1,2)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per figure; the best counts")
    args = parser.parse_args()
    if not HUMANEVAL.is_file():
        sys.exit(f"{HUMANEVAL} not found (set TIANPING_SHARED)")
    pairs = load()
    scorer = CodeScorer()
    warm = asyncio.run(scorer.score(*pairs[0]))  # finds the sandbox plan (a few canary runs)
    isolation = warm.explanation.split("Sandbox: ", 1)[1].rstrip(".")

    print(f"HumanEval canonical solutions: {len(pairs)} problems, {os.cpu_count()} CPUs")
    print(f"{'concurrency':>11}  {'problems/s':>10}  {'median ms':>9}  {'p95 ms':>7}  passed")
    for concurrency in (int(c) for c in args.concurrency.split(",")):
        runs = [asyncio.run(grade_all(scorer, pairs, concurrency)) for _ in range(args.repeat)]
        elapsed, latencies, passed = min(runs, key=lambda r: r[0])
        rate = len(pairs) / elapsed
        median = statistics.median(latencies) * 1000
        p95 = statistics.quantiles(latencies, n=20)[-1] * 1000
        print(
            f"{concurrency:>11}  {rate:>10.1f}  {median:>9.1f}  {p95:>7.1f}  {passed}/{len(pairs)}"
        )
    print(f"isolation: {isolation}")


if __name__ == "__main__":
    main()
