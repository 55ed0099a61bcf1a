"""Run a sample of every capability and scenario suite against SmolLM2-135M (CPU).

A tiny model should score low but above chance on the easy suites; zero
everywhere would mean a scorer or a template is wrong. Prints, per suite, the
items scored, the mean score and the chance level (1/options for multiple
choice, 0 otherwise). Open items that need a judge are left out.

    python bench/smollm2_suites.py [--per-suite 16] [--max-tokens 64] [--db URL]

Needs the `local` extra and `tianping models pull smollm2-135m` (done here if
the model is missing).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUITES = [
    "capability-recognise",
    "capability-summarise",
    "capability-translate",
    "capability-reason",
    "capability-instruct",
    "capability-code",
    "capability-knowledge",
    "capability-truthful",
    "scenario-government",
    "scenario-finance",
    "scenario-healthcare",
    "scenario-manufacturing",
    "scenario-education",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-suite", type=int, default=16)
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--db", default=None)
    args = ap.parse_args()

    import tianping
    from tianping._home import data_home
    from tianping.engine import EngineConfig
    from tianping.suites import load_suite

    if not (data_home() / "models" / "smollm2-135m").is_dir():
        pull = [sys.executable, "-m", "tianping", "models", "pull", "smollm2-135m"]
        subprocess.run(pull, check=True)
    model = f"local:smollm2-135m?batch_size={args.batch_size}"
    rng = random.Random(args.seed)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or f"sqlite:///{tmp}/bench.db"
        for name in SUITES:
            suite = load_suite(name)
            default = suite.manifest.scorer
            items = [it for it in suite.iter_items() if (it.scorer or default) != "judge"]
            chosen = rng.sample(items, min(args.per_suite, len(items)))
            path = Path(tmp) / f"{name}.jsonl"
            with path.open("w", encoding="utf-8") as fh:
                for it in chosen:
                    data = it.model_dump(mode="json", exclude_defaults=True)
                    data.setdefault("scorer", it.scorer or default)
                    fh.write(json.dumps(data, ensure_ascii=False) + "\n")
            started = time.perf_counter()
            result = tianping.run(
                model,
                str(path),
                db=db,
                params=tianping.GenerationParams(temperature=0.0, max_tokens=args.max_tokens),
                config=EngineConfig(concurrency=args.batch_size * 2, timeout=600.0),
            )
            scored = tianping.score(result.run_id, db=db)
            values: list[float] = []
            for summary in scored.scorers.values():
                if summary.mean is not None:
                    values.extend([summary.mean] * summary.graded)
            mean = sum(values) / len(values) if values else float("nan")
            chance = sum(1 / len(it.choices) if it.choices else 0.0 for it in chosen) / len(chosen)
            rows.append((name, len(values), mean, chance, time.perf_counter() - started))
            print(
                f"{name:<24} n={len(values):>3}  mean={mean:.3f}  chance={chance:.3f}  "
                f"{rows[-1][4]:.0f} s",
                flush=True,
            )
    print("\nsuite                     n    mean   chance")
    for name, n, mean, chance, _ in rows:
        print(f"{name:<24} {n:>3}  {mean:.3f}  {chance:.3f}")


if __name__ == "__main__":
    main()
