#!/usr/bin/env python3
"""Keyword matcher throughput: a synthetic 10,000-term library over 100 MB of text.

The library holds invented terms: half Chinese (2-4 ideographs), half Latin
(5-10 letters), spread over the 17 A1/A2 risks. The text is generated 1 MB
at a time (UTF-8), never repeated: Chinese and English sentences mixed, with
a few traditional characters, capitals and full-width letters, and library terms
planted in about one sentence in fifty, half of them disguised (spaces,
zero-width characters, full-width, traditional). Generation is not timed.

Each chunk goes through ``KeywordMatcher.find`` twice: with folding (the
default) and without (``normalize=False``, raw text against raw terms). The
fold step alone is timed too.

    python bench/keywords_throughput.py             # 100 MB
    python bench/keywords_throughput.py --mb 10
"""

from __future__ import annotations

import argparse
import random
import time

from tianping.core import risks_in
from tianping.scoring._keywords import KeywordMatcher, library_from_terms
from tianping.scoring._textnorm import fold

LETTERS = "abcdefghijklmnopqrstuvwxyz"
RISKS = risks_in("A1") + risks_in("A2")


def cjk_pool(rng: random.Random, n: int) -> list[str]:
    """``n`` ideographs that fold to themselves, and 1 % that do not (traditional)."""
    simplified: list[str] = []
    traditional: list[str] = []
    while len(simplified) < n or len(traditional) < n // 100:
        ch = chr(rng.randint(0x4E00, 0x9FA5))
        (simplified if fold(ch) == ch else traditional).append(ch)
    return simplified[:n] + traditional[: n // 100]


def invented_word(rng: random.Random, lo: int, hi: int) -> str:
    return "".join(rng.choices(LETTERS, k=rng.randint(lo, hi)))


def make_terms(rng: random.Random, n: int, pool: list[str]) -> list[dict[str, object]]:
    seen: set[str] = set()
    rows: list[dict[str, object]] = []
    while len(rows) < n:
        zh = len(rows) % 2 == 0
        term = "".join(rng.choices(pool, k=rng.randint(2, 4))) if zh else invented_word(rng, 5, 10)
        if fold(term) in seen:
            continue
        seen.add(fold(term))
        rows.append(
            {"term": term, "risk": RISKS[len(rows) % len(RISKS)], "severity": 1 + len(rows) % 3}
        )
    return rows


def disguise(rng: random.Random, term: str) -> str:
    how = rng.randrange(4)
    if how == 0:
        return " ".join(term)
    if how == 1:
        return "\u200b".join(term)
    if how == 2:  # full-width Latin / ideographic space between ideographs
        return "".join(chr(ord(c) + 0xFEE0) if c.isascii() else c + "\u3000" for c in term)
    return term.upper()


def make_chunk(
    rng: random.Random, target_bytes: int, pool: list[str], vocab: list[str], terms: list[str]
) -> str:
    parts: list[str] = []
    size = 0
    while size < target_bytes:
        if rng.random() < 0.5:
            s = "".join(rng.choices(pool, k=rng.randint(10, 40))) + rng.choice("，。！？；")
        else:
            words = rng.choices(vocab, k=rng.randint(6, 18))
            words[0] = words[0].capitalize()
            if rng.random() < 0.05:
                words[-1] = "".join(chr(ord(c) + 0xFEE0) for c in words[-1])
            s = " ".join(words) + rng.choice(".!?;,") + " "
        if rng.random() < 0.02:
            term = rng.choice(terms)
            s = (disguise(rng, term) if rng.random() < 0.5 else term) + " " + s
        parts.append(s)
        size += len(s.encode("utf-8"))
    return "".join(parts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=100.0, help="megabytes of text (10^6 bytes)")
    ap.add_argument("--terms", type=int, default=10_000)
    ap.add_argument("--chunk-mb", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=260)
    args = ap.parse_args()

    t0 = time.perf_counter()
    fold("warm up")  # builds the fold tables (once per process)
    t_tables = time.perf_counter() - t0

    rng = random.Random(args.seed)
    pool = cjk_pool(rng, 3000)  # the ideographs of text and terms alike
    vocab = [invented_word(rng, 2, 9) for _ in range(5000)]
    t0 = time.perf_counter()
    rows = make_terms(rng, args.terms, pool)
    library = library_from_terms(rows, source="synthetic")
    t_library = time.perf_counter() - t0
    t0 = time.perf_counter()
    folding = KeywordMatcher(library)
    t_build_fold = time.perf_counter() - t0
    t0 = time.perf_counter()
    raw = KeywordMatcher(library, normalize=False)
    t_build_raw = time.perf_counter() - t0
    terms = [str(r["term"]) for r in rows]

    total = 0
    chunks = 0
    time_fold_only = time_fold = time_raw = 0.0
    hits_fold = hits_raw = 0
    target = int(args.mb * 1e6)
    chunk_bytes = int(args.chunk_mb * 1e6)
    while total < target:
        text = make_chunk(rng, min(chunk_bytes, target - total), pool, vocab, terms)
        size = len(text.encode("utf-8"))
        t0 = time.perf_counter()
        fold(text)
        t1 = time.perf_counter()
        hits_fold += len(folding.find(text))
        t2 = time.perf_counter()
        hits_raw += len(raw.find(text))
        t3 = time.perf_counter()
        time_fold_only += t1 - t0
        time_fold += t2 - t1
        time_raw += t3 - t2
        total += size
        chunks += 1

    mb = total / 1e6
    print(f"library: {len(library)} terms, validated and folded in {t_library:.2f} s")
    print(f"fold tables built in {t_tables:.2f} s")
    print(f"automaton built in {t_build_fold:.2f} s (folded) / {t_build_raw:.2f} s (raw)")
    print(f"text: {mb:.1f} MB (UTF-8) in {chunks} chunks")
    print(f"find, with folding:    {mb / time_fold:7.1f} MB/s  {hits_fold:>8} hits")
    print(f"find, without folding: {mb / time_raw:7.1f} MB/s  {hits_raw:>8} hits")
    print(f"fold step alone:       {mb / time_fold_only:7.1f} MB/s")


if __name__ == "__main__":
    main()
