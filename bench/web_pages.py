"""How fast the assessment page's responses table is with 100,000 responses.

    .venv/bin/python bench/web_pages.py [--n 100000] [--db URL]

Fills a run of N answered, scored items (SQLite in a temporary folder by default;
``--db`` for PostgreSQL), then times one page of 50 rows — first, middle and last
page, and under each filter — as :func:`response_page` serves the page, plus the
whole HTML page rendered through the app. Target: well under a second per page.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "server"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()

    from _pages_helpers import fill_run  # the tests' filler: one code path

    from tianping.server._pages_responses import ClauseFilter, response_page
    from tianping.store import Store

    folder = tempfile.mkdtemp(prefix="tianping-bench-")
    url = args.db or f"sqlite:///{folder}/bench.db"
    store = Store.open(url)
    t0 = time.perf_counter()
    run_id = fill_run(store, args.n, run_id=f"bench{args.n}")
    fill_s = time.perf_counter() - t0
    pages = -(-args.n // 50)
    cases = {
        "page 1": {},
        "middle page": {"page": pages // 2},
        "last page": {"page": pages},
        "clause filter": {"clause": ClauseFilter("9.4a", "should-refuse", "refusal")},
        "label filter": {"label": "complied"},
        "risk filter": {"risk": "A1c"},
        "all three, page 100": {
            "clause": ClauseFilter("9.4a", "should-refuse", "refusal"),
            "label": "refused",
            "risk": "A1a",
            "page": 100,
        },
    }
    out: dict[str, object] = {"n": args.n, "db": store.dialect, "fill_s": round(fill_s, 1)}
    for name, kw in cases.items():
        times = []
        for _ in range(5):
            t = time.perf_counter()
            page = response_page(store, run_id, **kw)  # type: ignore[arg-type]
            times.append(time.perf_counter() - t)
        out[name] = {
            "median_ms": round(1000 * statistics.median(times), 1),
            "rows": len(page.rows),
            "total": page.total,
        }
        print(f"{name:>22}: {out[name]}", flush=True)
    store.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
