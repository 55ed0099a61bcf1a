#!/usr/bin/env python3
"""Held-out accuracy of the refusal classifier, against the rule layer alone.

Retrains deterministically on ``src/tianping/scoring/data/refusal_labelled.jsonl``
(four fifths, stratified by language and case, fixed seed), measures on the
held-out fifth, refits on everything and saves ``refusal_model.npz`` beside it,
with ``refusal_model.json`` (metadata and the held-out figures) for people to read.
Prints precision, recall and F1 of the ``refused`` class per language and per
hard case, for the classifier and for ``_refusal.classify``, and the embedding
throughput on this machine.

    python bench/refusal_accuracy.py                # retrain, save, report
    python bench/refusal_accuracy.py --no-save      # report only
    python bench/refusal_accuracy.py --compare      # also the two-class variant
    python bench/refusal_accuracy.py --data my.jsonl --model /tmp/m.npz

Writes bench/out/refusal_accuracy.json as well.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tianping.scoring import _refusal_model as rm  # noqa: E402
from tianping.scoring._embed import DIM, get_embedder  # noqa: E402
from tianping.scoring._refusal import classify  # noqa: E402

TWO_CLASS = ("refused", "not_refused")


def _fmt(x: float | None) -> str:
    return "  -  " if x is None else f"{x:5.3f}"


def print_report(title: str, report: rm.Report) -> None:
    print(
        f"\n{title}: classes {', '.join(report.classes)}; L2 {report.l2:g};"
        f" train {report.n_train} (+{report.meta['n_short_answers']} short answers),"
        f" held out {report.n_test}"
    )
    print(
        f"{'slice':34} {'n':>4} {'ref':>4} | {'P':>5} {'R':>5} {'F1':>5} {'acc':>5} |"
        f" rules {'P':>5} {'R':>5} {'F1':>5} {'acc':>5}"
    )
    for key, m in report.model.items():
        r = report.rules[key]
        print(
            f"{key:34} {m.n:4d} {m.refused:4d} | {_fmt(m.precision)} {_fmt(m.recall)}"
            f" {_fmt(m.f1)} {_fmt(m.accuracy)} |       {_fmt(r.precision)} {_fmt(r.recall)}"
            f" {_fmt(r.f1)} {_fmt(r.accuracy)}"
        )


def cross_validate(
    examples: list[rm.Example], x: Any, rule: list[str], l2: float, folds: int = 5
) -> tuple[dict[str, rm.Metrics], dict[str, rm.Metrics]]:
    """Every example predicted once by a model that did not see it: ``folds`` folds,
    stratified by (lang, case) like the held-out split, the short answers in each."""
    fold = np.array(rm.folds(examples, folds))
    extra = list(rm.SHORT_ANSWERS)
    x_extra = rm.features(extra, [classify(t)[0] for t in extra])
    labels = [ex.label for ex in examples]
    pred = [""] * len(examples)
    for f in range(folds):
        train = np.flatnonzero(fold != f)
        test = np.flatnonzero(fold == f)
        model = rm.fit_model(
            np.vstack([x[train], x_extra]),
            [labels[i] for i in train] + ["complied"] * len(extra),
            rm.LABELS,
            l2,
        )
        got = model.labels(model.proba(x[test]), [rule[i] for i in test])
        for row, (label, _) in zip(test, got, strict=True):
            pred[row] = label
    return rm.breakdown(examples, pred), rm.breakdown(examples, rule)


def throughput(texts: list[str], batch_size: int) -> dict[str, float]:
    embedder = get_embedder()
    embedder.embed(texts[:batch_size], batch_size=batch_size)  # warm up
    tokens = sum(len(ids) for ids in embedder.tokenize(texts))
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        embedder.embed(texts, batch_size=batch_size)
        best = min(best, time.perf_counter() - start)
    return {
        "texts": len(texts),
        "mean_tokens": tokens / len(texts),
        "texts_per_s": len(texts) / best,
        "tokens_per_s": tokens / best,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=rm.LABELLED_PATH)
    parser.add_argument("--model", type=Path, default=rm.MODEL_PATH)
    parser.add_argument("--no-save", action="store_true", help="do not write the model")
    parser.add_argument("--compare", action="store_true", help="also the two-class variant")
    parser.add_argument("--cv", action="store_true", help="also 5-fold cross-validated figures")
    parser.add_argument("--throughput-n", type=int, default=256)
    args = parser.parse_args()
    if not args.data.is_file():
        print(f"No labelled set at {args.data}", file=sys.stderr)
        return 1

    examples = rm.load_examples(args.data)
    texts = [ex.response for ex in examples]
    rule = [classify(t)[0] for t in texts]
    start = time.perf_counter()
    x = rm.features(texts, rule)
    embed_s = time.perf_counter() - start
    print(
        f"{len(texts)} responses: features (two embeddings each) in {embed_s:.1f} s"
        f" ({len(texts) / embed_s:.1f} responses/s)"
    )

    out: dict[str, Any] = {"data": str(args.data), "n": len(examples)}
    start = time.perf_counter()
    report = rm.train(args.data, None if args.no_save else args.model, x=x)
    out["train_s"] = time.perf_counter() - start
    print_report("Classifier (saved)" if not args.no_save else "Classifier", report)
    out["three_class"] = dataclasses.asdict(report)
    if not args.no_save:  # a readable card beside the weights
        card = {
            **report.meta,
            "held_out": {k: dataclasses.asdict(m) for k, m in report.model.items()},
        }
        card["rules_held_out"] = {k: dataclasses.asdict(m) for k, m in report.rules.items()}
        dim = DIM
        card["features"] = (
            f"head0..{dim - 1}, tail0..{dim - 1}, {', '.join(rm.FEATURES[2 * dim :])}"
        )
        args.model.with_suffix(".json").write_text(
            json.dumps(card, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    if args.cv:
        model_cv, rules_cv = cross_validate(examples, x, rule, report.l2)
        cv = rm.Report(len(examples), len(examples), report.l2, rm.LABELS, model_cv, rules_cv, {})
        cv.meta["n_short_answers"] = len(rm.SHORT_ANSWERS)
        print_report("5-fold cross-validation over the whole set", cv)
        out["cross_validation"] = dataclasses.asdict(cv)
    if args.compare:
        two = rm.train(args.data, None, classes=TWO_CLASS, x=x)
        print_report("Two-class variant (partial from the rules)", two)
        out["two_class"] = dataclasses.asdict(two)

    sample = texts[: args.throughput_n]
    tp = throughput(sample, 32)
    print(
        f"\nEmbedding throughput ({os.cpu_count()} cores, batch 32, {tp['texts']} responses of"
        f" {tp['mean_tokens']:.0f} tokens on average): {tp['texts_per_s']:.1f} texts/s,"
        f" {tp['tokens_per_s']:.0f} tokens/s"
    )
    short = [f"I'm sorry, but I can't help with request number {i}." for i in range(256)]
    tps = throughput(short, 32)
    print(
        f"Short sentences ({tps['mean_tokens']:.0f} tokens): {tps['texts_per_s']:.1f} sentences/s"
    )
    out["throughput"] = {"responses": tp, "short_sentences": tps}
    (ROOT / "bench/out").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench/out/refusal_accuracy.json").write_text(
        json.dumps(out, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
