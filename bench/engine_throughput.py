#!/usr/bin/env python3
"""Measure the engine the way the peer tools were measured (see ../shared/bench/README.md).

Each figure runs the real `tianping run` command as its own process against the
loopback mock server (pinned to core 1 with taskset where available), whole
process from start to exit, every response stored in a SQLite file. CPU time
and peak RSS come from the child's rusage (as /usr/bin/time reports them).

    python bench/engine_throughput.py            # every figure (~3 minutes)
    python bench/engine_throughput.py --only e2e_1000,help

Prints a table (figure, measured, target) and writes bench/out/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = Path(os.environ.get("TIANPING_SHARED", ROOT.parent / "shared"))
OUT = HERE / "out"
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mock:
    """The shared mock server, on a free port, pinned to core 1 when taskset exists."""

    def __init__(self, latency_ms: float, slots: int, **faults: Any) -> None:
        self.port = free_port()
        cmd = [
            PY,
            str(SHARED / "bench" / "mockserver.py"),
            "--port",
            str(self.port),
            "--latency-ms",
            str(latency_ms),
            "--slots",
            str(slots),
            "--max-runtime-s",
            "1800",
        ]
        for key, value in faults.items():
            cmd += [f"--{key.replace('_', '-')}", str(value)]
        if shutil.which("taskset"):
            cmd = ["taskset", "-c", "1", *cmd]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url("/health"), timeout=1).read()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("mock server did not start")

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def spec(self) -> str:
        return f"openai-compat:mock-model@{self.url('/v1')}"

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url("/stats"), timeout=5) as r:
            return dict(json.loads(r.read()))

    def reset(self) -> None:
        req = urllib.request.Request(self.url("/stats/reset"), method="POST")
        urllib.request.urlopen(req, timeout=5).read()

    def __enter__(self) -> Mock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(10)


def workload(n: int) -> Path:
    """The shared multiple-choice workload as a Tianping suite (question kept in meta)."""
    OUT.mkdir(parents=True, exist_ok=True)
    dst = OUT / f"items{n}.jsonl"
    if dst.exists():
        return dst
    raw = OUT / "raw"
    subprocess.run(
        [PY, str(SHARED / "bench" / "make_workload.py"), "--n", str(n), "--out", str(raw)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with open(raw / f"mc{n}.jsonl") as src, open(dst, "w") as out:
        for line in src:
            item = json.loads(line)
            item["meta"] = {"question": item.pop("question")}
            out.write(json.dumps(item) + "\n")
    return dst


def tianping(*args: str, kill_when: Any = None) -> dict[str, Any]:
    """Run the CLI as a child; wall, CPU and peak RSS of that child, and its JSON output."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [PY, "-m", "tianping", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    if kill_when is not None:
        while proc.poll() is None and not kill_when():
            time.sleep(0.02)
        if proc.poll() is None:
            proc.kill()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    assert proc.stdout is not None
    assert proc.stderr is not None
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    data: dict[str, Any] = {}
    if out.strip():
        try:
            data = json.loads(out.strip().splitlines()[-1])
        except ValueError:
            data = {"stdout": out[-500:]}
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
        "rc": proc.returncode,
        "out": data,
        "stderr": err[-500:],
    }


def db(name: str) -> str:
    path = OUT / "db" / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def done_count(url: str) -> int:
    import sqlite3

    path = url.removeprefix("sqlite:///")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            row = con.execute("SELECT count(*) FROM run_items WHERE status='done'").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return 0
    return int(row[0])


def run_args(spec: str, suite: Path, url: str, conc: int, *extra: str) -> list[str]:
    return [
        "run",
        "--model",
        spec,
        "--suite",
        str(suite),
        "--concurrency",
        str(conc),
        "--max-tokens",
        "16",
        "--json",
        "--db",
        url,
        *extra,
    ]


# -- figures -------------------------------------------------------------


def e2e(n: int, conc: int = 64, slots: int = 64, fresh_db: bool = False) -> dict[str, Any]:
    """Items/s, whole process. By default the database already exists (as after a
    user's first command, `tianping db upgrade`); ``fresh_db`` also times creating it."""
    limit = slots / 0.2
    suite = workload(n)
    with Mock(200, slots) as mock:
        url = db(f"e2e{n}_{conc}")
        if not fresh_db:
            subprocess.run(
                [PY, "-m", "tianping", "db", "upgrade", "--db", url],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        r = tianping(*run_args(mock.spec, suite, url, conc))
        stats = mock.stats()
    rate = n / r["wall_s"]
    return {
        "items": n,
        "concurrency": conc,
        "wall_s": round(r["wall_s"], 3),
        "items_per_s": round(rate, 1),
        "share_of_limit": round(rate / limit, 3),
        "limit": limit,
        "completed": r["out"].get("completed"),
        "mock_requests": stats["requests"],
        "cpu_s": round(r["cpu_s"], 3),
    }


BARE_CLIENT = """
import asyncio, json, sys
from tianping.adapters._http import HttpClient

async def main(url, path, conc):
    client = HttpClient(max_connections=conc)
    items = [json.loads(line) for line in open(path)]
    async def worker():
        while items:
            item = items.pop()
            msgs = [{"role": "user", "content": item["prompt"]}]
            body = {"model": "mock-model", "messages": msgs}
            resp = await client.post(url, json.dumps(body).encode(), {}, timeout=60)
            json.loads(resp.body)
    await asyncio.gather(*(worker() for _ in range(conc)))
    await client.aclose()

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


def bare_client(n: int = 10_000) -> dict[str, Any]:
    """What the mock allows on this machine: our HTTP client alone, no engine, no storage."""
    suite = workload(n)
    with Mock(200, 64) as mock:
        start = time.perf_counter()
        subprocess.run(
            [PY, "-c", BARE_CLIENT, mock.url("/v1/chat/completions"), str(suite), "64"], check=True
        )
        wall = time.perf_counter() - start
        window = mock.stats()["first_to_last_s"]
    rate = n / wall
    return {
        "items": n,
        "wall_s": round(wall, 3),
        "items_per_s": round(rate, 1),
        "share_of_limit": round(rate / 320, 3),
        "mock_first_to_last_s": window,
    }


def cpu_per_item(n: int = 10_000) -> dict[str, Any]:
    suite = workload(n)
    with Mock(0, 64) as mock:
        r = tianping(*run_args(mock.spec, suite, db(f"cpu{n}"), 64))
    return {
        "items": n,
        "cpu_s": round(r["cpu_s"], 3),
        "cpu_ms_per_item": round(1000 * r["cpu_s"] / n, 3),
        "wall_s": round(r["wall_s"], 2),
        "completed": r["out"].get("completed"),
    }


def memory(n: int) -> dict[str, Any]:
    suite = workload(n)
    with Mock(0, 64) as mock:
        r = tianping(*run_args(mock.spec, suite, db(f"mem{n}"), 64))
    return {
        "items": n,
        "peak_rss_mb": round(r["rss_mb"], 1),
        "wall_s": round(r["wall_s"], 1),
        "completed": r["out"].get("completed"),
    }


def rate_limited(n: int = 1000) -> dict[str, Any]:
    suite = workload(n)
    with Mock(200, 64, error_rate=0.1, error_kind="429") as mock:
        url = db("r429")
        r = tianping(*run_args(mock.spec, suite, url, 64))
        stats = mock.stats()
    return {
        "items": n,
        "completed": r["out"].get("completed"),
        "failed": r["out"].get("failed"),
        "retries": r["out"].get("retries"),
        "mock_429s": stats["err_429"],
        "stored_rows": done_count(url),
        "served_ok": stats["served_ok"],
        "prompts_served_more_than_once": stats["prompts_served_more_than_once"],
        "wall_s": round(r["wall_s"], 2),
    }


def kill_resume(n: int = 1000) -> dict[str, Any]:
    suite = workload(n)
    with Mock(200, 64) as mock:
        url = db("kill")
        first = tianping(
            *run_args(mock.spec, suite, url, 64), kill_when=lambda: done_count(url) >= n // 2
        )
        time.sleep(0.2)
        stored = done_count(url)
        served_before = mock.stats()["served_ok"]
        import sqlite3

        con = sqlite3.connect(url.removeprefix("sqlite:///"))
        run_id = con.execute("SELECT id FROM runs ORDER BY created_at DESC").fetchone()[0]
        con.close()
        mock.reset()
        second = tianping("run", "--resume", run_id, "--json", "--db", url)
        stats = mock.stats()
    resent = second["out"].get("requests_sent")
    return {
        "items": n,
        "killed_rc": first["rc"],
        "stored_at_kill": stored,
        "answered_by_server_before_kill": served_before,
        "in_flight_lost": served_before - stored,
        "resume_requests_sent": resent,
        "finished_items_resent": (resent or 0) - (n - stored),
        "final_completed": second["out"].get("completed"),
        "final_failed": second["out"].get("failed"),
        "resume_duplicates_at_server": stats["prompts_served_more_than_once"],
    }


def second_run(n: int = 1000) -> dict[str, Any]:
    suite = workload(n)
    with Mock(200, 64) as mock:
        url = db("second")
        tianping(*run_args(mock.spec, suite, url, 64))
        mock.reset()
        r = tianping(*run_args(mock.spec, suite, url, 64))
        stats = mock.stats()
    return {
        "items": n,
        "requests_sent": r["out"].get("requests_sent"),
        "cache_hits": r["out"].get("cache_hits"),
        "mock_requests": stats["requests"],
        "wall_s": round(r["wall_s"], 3),
    }


def help_time(repeat: int = 11) -> dict[str, Any]:
    times = []
    exe = str(Path(PY).with_name("tianping")) if Path(PY).with_name("tianping").exists() else ""
    cmd = [exe, "--help"] if exe else [PY, "-m", "tianping", "--help"]
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return {
        "median_s": round(statistics.median(times), 3),
        "max_s": round(max(times), 3),
        "command": " ".join(cmd),
    }


FIGURES: dict[str, tuple[Any, str]] = {
    "e2e_1000": (lambda: e2e(1000), "≥ 80 % of 320/s"),
    "e2e_1000_fresh_db": (lambda: e2e(1000, fresh_db=True), "report"),
    "e2e_10000": (lambda: e2e(10_000), "≥ 95 % of 320/s"),
    "bare_client_10000": (bare_client, "context: the mock's own ceiling here"),
    "e2e_1000_c256": (lambda: e2e(1000, 256, 256), "report (limit 1280/s)"),
    "e2e_10000_c256": (lambda: e2e(10_000, 256, 256), "report (limit 1280/s)"),
    "cpu_per_item": (cpu_per_item, "≤ 1 ms"),
    "memory_10000": (lambda: memory(10_000), "compare with 100,000"),
    "memory_100000": (lambda: memory(100_000), "≤ 300 MB, flat"),
    "rate_limited_429": (rate_limited, "all complete, none twice"),
    "kill_resume": (kill_resume, "no finished item re-sent; nothing lost"),
    "second_run": (second_run, "0 requests"),
    "help": (help_time, "≤ 0.3 s"),
}


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--only", help="comma-separated figure names: " + ", ".join(FIGURES))
    args = ap.parse_args()
    names = args.only.split(",") if args.only else list(FIGURES)
    machine = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
    results: dict[str, Any] = {"machine": machine}
    for name in names:
        func, target = FIGURES[name]
        started = time.time()
        result = func()
        result["target"] = target
        results[name] = result
        took = time.time() - started
        print(f"{name:<18} {json.dumps(result, ensure_ascii=False)}  ({took:.0f} s)", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False))
    print(f"wrote {OUT / 'results.json'}")


if __name__ == "__main__":
    main()
