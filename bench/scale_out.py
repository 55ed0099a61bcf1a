#!/usr/bin/env python3
"""Scale-out figures on this machine: executors, the store's write ceiling, dispatch.

1. Executor throughput: the loopback mock (200 ms, 512 slots, pinned to core 1)
   answered by `tianping run` with ``--executor local`` (two models, one after the
   other) and ``--executor ray`` (one model; workers 1 and 2, concurrency 64 and
   128; a local cluster started in-process, and once a `ray start --head` cluster
   joined with ``--address``). Items/s, start-up (process start to first stored
   answer), steady items/s, and CPU seconds per 1,000 items by process kind.
   Then four models at once, each limited to 10 requests/s (``--rps``), with the
   default ``--workers``, with ``--workers 1`` and with ``--chunk-cpus 0.5``: the
   requests/s the cluster gets.
2. Store write ceiling: ``Store.write_outcomes`` with batches of 512 outcomes
   (each with a ~600-character answer), 1, 2 and 4 writer processes, SQLite and
   PostgreSQL, and 4 writers committing one outcome at a time; and the driver's
   poll (``Store.run_counts`` over 80 runs) once the store holds 400,000 run items.
3. Driver dispatch: ``mock:echo?latency_ms=0`` (instant), 20,000 items, chunks of
   50 and 500 on a local Ray cluster: chunks/s and the cost of one chunk's start.

    python bench/scale_out.py                      # ~7.5 minutes
    python bench/scale_out.py --quick              # under 3 minutes, smaller counts
    python bench/scale_out.py --pg postgresql://tianping:tianping@127.0.0.1:5432/DB

PostgreSQL figures run in a schema of their own (created, then dropped) in the
database given by --pg, and are skipped without it. Everything else (suites,
SQLite files, Ray's session files) lives in a temporary folder that is removed
at the end. Ray gets its own RAY_TMPDIR there, so a cluster another user started
with `ray start` on this machine is neither joined nor stopped. Prints a table
and writes bench/out/scale_out.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import multiprocessing as mp
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from engine_throughput import (
    Mock,
    free_port,
    run_args,  # the same `tianping run` arguments
)

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
PY = sys.executable
RAY = Path(PY).with_name("ray")
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
AGENTS = (b"ray::DashboardAgent", b"ray::RuntimeEnvAgent")


# -- sizes ----------------------------------------------------------------


def sizes(quick: bool) -> dict[str, int]:
    if quick:
        return {
            "local_items": 500,
            "ray_items": 1000,
            "echo_items": 4000,
            "writer_outcomes": 5000,
            "poll_items_per_run": 1250,
            "rate_limited_items": 20,
        }
    return {
        "local_items": 2000,
        "ray_items": 4000,
        "echo_items": 20_000,
        "writer_outcomes": 20_000,
        "poll_items_per_run": 5000,
        "rate_limited_items": 100,
    }


# -- plumbing -------------------------------------------------------------


class Workspace:
    """A temporary folder for suites, SQLite files and Ray's session files."""

    def __init__(self) -> None:
        # Short: Ray's socket paths live under it and must stay under 108 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="tpsb-", dir="/tmp"))
        self.ray_tmp = self.root / "r"
        self.ray_tmp.mkdir()
        self.counter = 0

    def suite(self, n: int) -> Path:
        path = self.root / f"s{n}.jsonl"
        if not path.exists():
            with open(path, "w") as f:
                for i in range(n):
                    f.write(json.dumps({"id": f"i{i}", "prompt": f"Question {i}: pick A-D."}))
                    f.write("\n")
        return path

    def sqlite(self) -> str:
        self.counter += 1
        return f"sqlite:///{self.root / f'db{self.counter}.db'}"

    def env(self) -> dict[str, str]:
        return {**os.environ, "RAY_TMPDIR": str(self.ray_tmp), "RAY_USAGE_STATS_ENABLED": "0"}

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def proc_stat(pid: int) -> tuple[int, int, int] | None:
    """(ppid, CPU ticks, start time) of a process, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[19])


def cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def kind_of(pid: int, drivers: set[int]) -> str:
    if pid in drivers:
        return "driver"
    cmd = cmdline(pid)
    if cmd.startswith(AGENTS):
        return "ray"
    if cmd.startswith(b"ray::") or b"default_worker.py" in cmd:
        return "workers"
    return "ray"


class TreeCpu:
    """CPU seconds of process trees by kind (driver, Ray workers, Ray's own daemons).

    Sampled from /proc every 0.2 s; a process that exits between samples loses
    at most its last 0.2 s. What a process had used before the first sample (a
    joined cluster's daemons and idle workers) is not counted. Also the largest
    resident size one process of each kind reached.
    """

    def __init__(self, roots: list[int], drivers: set[int]) -> None:
        self.roots, self.drivers = roots, drivers
        self.seen: dict[tuple[int, int], tuple[str, int]] = {}
        self.base: dict[tuple[int, int], int] | None = None
        self.rss: dict[tuple[int, int], int] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> TreeCpu:
        self.sample()
        self.base = {key: ticks for key, (_, ticks) in self.seen.items()}
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self.sample()

    def _loop(self) -> None:
        while not self.stop.wait(0.2):
            self.sample()

    def sample(self) -> None:
        stats: dict[int, tuple[int, int, int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit() and (st := proc_stat(int(entry))) is not None:
                stats[int(entry)] = st
        children: dict[int, list[int]] = {}
        for pid, (ppid, _, _) in stats.items():
            children.setdefault(ppid, []).append(pid)
        todo = [r for r in self.roots if r in stats]
        while todo:
            pid = todo.pop()
            _, ticks, started = stats[pid]
            key = (pid, started)
            kind = self.seen[key][0] if key in self.seen else kind_of(pid, self.drivers)
            if kind == "ray" and kind_of(pid, self.drivers) == "workers":
                kind = "workers"  # a worker shows its Ray title once it has started
            self.seen[key] = (kind, ticks)
            self.rss[key] = max(self.rss.get(key, 0), rss_bytes(pid))
            todo.extend(children.get(pid, []))

    def seconds(self) -> dict[str, float]:
        out = {"driver": 0.0, "workers": 0.0, "ray": 0.0}
        base = self.base or {}
        for key, (kind, ticks) in self.seen.items():
            out[kind] += (ticks - base.get(key, 0)) / TICK
        return {k: round(v, 2) for k, v in out.items()}

    def peak_rss_mb(self) -> dict[str, float]:
        """The largest resident size one process of each kind reached."""
        out = {"driver": 0.0, "workers": 0.0, "ray": 0.0}
        for key, (kind, _) in self.seen.items():
            out[kind] = max(out[kind], self.rss.get(key, 0) / 2**20)
        return {k: round(v) for k, v in out.items()}


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def tianping(args: list[str], env: dict[str, str], extra_roots: tuple[int, ...] = ()) -> dict:
    """Run the CLI as a child: wall, CPU of its process tree, JSON output, start time."""
    started = time.time()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [PY, "-m", "tianping", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    with TreeCpu([proc.pid, *extra_roots], {proc.pid}) as cpu:
        out, err = proc.communicate()
    wall = time.perf_counter() - t0
    data: dict[str, Any] = {}
    if out.strip():
        try:
            data = json.loads(out.strip().splitlines()[-1])
        except ValueError:
            data = {"stdout": out[-500:]}
    if proc.returncode != 0:
        raise RuntimeError(f"tianping {' '.join(args[:4])} failed: {err[-2000:]}")
    return {
        "wall_s": wall,
        "cpu": cpu.seconds(),
        "peak_rss_mb": cpu.peak_rss_mb(),
        "out": data,
        "started": started,
    }


def upgrade_db(url: str, env: dict[str, str]) -> None:
    cmd = [PY, "-m", "tianping", "db", "upgrade", "--db", url]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)


def timeline(url: str) -> tuple[int, float, float]:
    """(done items, first and last time an answer was stored) in a store."""
    from sqlalchemy import text

    from tianping.store import Store

    query = "SELECT count(*), min(updated_at), max(updated_at) FROM run_items WHERE status = 'done'"
    with Store.open(url, migrate=False) as store, store.engine.connect() as conn:
        row = conn.execute(text(query)).one()
    return int(row[0]), float(row[1] or 0), float(row[2] or 0)


def mock_spec(mock: Mock, name: str) -> str:
    return f"openai-compat:{name}@{mock.url('/v1')}"


def per_1000(seconds: float, items: int) -> float:
    return round(1000 * seconds / items, 3) if items else 0.0


# -- a `ray start --head` cluster of our own ---------------------------------


@contextmanager
def head_cluster(ws: Workspace, cpus: int = 2) -> Iterator[tuple[str, int, float]]:
    """A head node in its own session; (address, pid, seconds to start).

    Started with --block so that SIGTERM to its process group stops exactly
    this cluster; `ray stop` would stop every Ray process on the machine.
    """
    port = free_port()
    marker = ws.ray_tmp / "ray" / "ray_current_cluster"
    marker.unlink(missing_ok=True)
    cmd = [
        str(RAY),
        "start",
        "--head",
        f"--port={port}",
        f"--num-cpus={cpus}",
        "--include-dashboard=false",
        "--disable-usage-stats",
        "--block",
    ]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        env=ws.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 120
        while not marker.exists():
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("ray start --head did not come up")
            time.sleep(0.1)
        yield f"127.0.0.1:{port}", proc.pid, time.perf_counter() - t0
    finally:
        stop_group(proc)
        marker.unlink(missing_ok=True)  # else a later in-process run would try to join it


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the head's process group, then SIGKILL what is left of it after 5 s.

    `ray start --block` takes over 30 s to finish a graceful stop on its own.
    """
    pgid = proc.pid
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    with suppress(subprocess.TimeoutExpired):
        proc.wait(5)
    for pid in group_members(pgid):
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.wait(10)
    deadline = time.time() + 10
    while group_members(pgid) and time.time() < deadline:
        time.sleep(0.1)


def group_members(pgid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) == pgid:
                    pids.append(int(entry))
            except (ProcessLookupError, PermissionError):
                pass
    return pids


# -- 1. executor throughput ---------------------------------------------------


def local_two_models(ws: Workspace, mock: Mock, n: int, conc: int) -> dict[str, Any]:
    """Two models, one `tianping run` each, one after the other (peer-style CPU)."""
    url = ws.sqlite()
    upgrade_db(url, ws.env())
    suite = ws.suite(n)
    mock.reset()
    runs = [
        tianping(run_args(mock_spec(mock, f"local-{conc}-{m}"), suite, url, conc), ws.env())
        for m in ("a", "b")
    ]
    wall = sum(r["wall_s"] for r in runs)
    cpu = sum(r["cpu"]["driver"] for r in runs)
    done, _, _ = timeline(url)
    return {
        "executor": "local",
        "models": 2,
        "items": 2 * n,
        "concurrency": conc,
        "wall_s": round(wall, 2),
        "items_per_s": round(2 * n / wall, 1),
        "cpu_s": round(cpu, 2),
        "cpu_s_per_1000": per_1000(cpu, 2 * n),
        "peak_rss_mb": max(r["peak_rss_mb"]["driver"] for r in runs),
        "stored": done,
        "mock_requests": mock.stats()["requests"],
    }


def ray_run(
    ws: Workspace,
    spec: str,
    n: int,
    conc: int,
    *,
    workers: int | None,
    chunk: int,
    url: str | None = None,
    address: str | None = None,
    head_pid: int | None = None,
) -> dict[str, Any]:
    """One `tianping run --executor ray`; start-up and steady rate from the store."""
    url = url or ws.sqlite()
    upgrade_db(url, ws.env())
    extra = ["--executor", "ray", "--chunk-size", str(chunk)]
    if workers is not None:
        extra += ["--workers", str(workers)]
    if address is not None:
        extra += ["--address", address]
    roots = (head_pid,) if head_pid else ()
    r = tianping(run_args(spec, ws.suite(n), url, conc, *extra), ws.env(), roots)
    result: dict[str, Any] = {
        "executor": "ray",
        "cluster": "joined (--address)" if address else "started in-process",
        "items": n,
        "workers": workers,
        "concurrency": conc,
        "chunk_size": chunk,
        "wall_s": round(r["wall_s"], 2),
        "items_per_s": round(n / r["wall_s"], 1),
        "completed": r["out"].get("completed"),
    }
    done, first, last = timeline(url)
    steady = max(last - first, 1e-6)
    result |= {
        "startup_s": round(first - r["started"], 2),
        "steady_s": round(steady, 2),
        "steady_items_per_s": round(done / steady, 1),
        "tail_s": round(r["started"] + r["wall_s"] - last, 2),
    }
    cpu = r["cpu"]
    fixed = worker_start_cpu(workers or os.cpu_count() or 1, joined=address is not None)
    result |= {
        "cpu_s": cpu,
        "worker_cpu_s_per_1000": per_1000(cpu["workers"], n),
        "worker_cpu_s_per_1000_net": per_1000(max(0.0, cpu["workers"] - fixed), n),
        "all_cpu_s_per_1000": per_1000(sum(cpu.values()), n),
        "peak_rss_mb_per_process": r["peak_rss_mb"],
    }
    return result


IMPORTS = (
    "import tianping.engine._ray, tianping.engine._chunks, tianping.adapters._openai_compat,"
    " tianping.adapters._mock, sqlalchemy.dialects.sqlite"
)
_IMPORT_CPU: dict[str, float] = {}


def child_cpu(code: str, repeat: int = 3) -> float:
    """Median CPU seconds of a fresh Python process running ``code``."""
    times = []
    for _ in range(repeat):
        proc = subprocess.Popen([PY, "-c", code])
        _, _, usage = os.wait4(proc.pid, 0)
        times.append(usage.ru_utime + usage.ru_stime)
    return statistics.median(times)


def import_cpu() -> dict[str, float]:
    """What a fresh worker process pays in imports before its first chunk."""
    _IMPORT_CPU["ray"] = child_cpu("import ray")
    _IMPORT_CPU["ray_and_tianping"] = child_cpu("import ray; " + IMPORTS)
    return {f"{k}_cpu_s": round(v, 2) for k, v in _IMPORT_CPU.items()}


def worker_start_cpu(workers: int, *, joined: bool) -> float:
    """Estimated start-up CPU of a run's worker processes: a joined cluster's idle
    workers have Ray imported already; an in-process cluster's start from nothing."""
    both = _IMPORT_CPU.get("ray_and_tianping", 0.0)
    return workers * (both - _IMPORT_CPU.get("ray", 0.0) if joined else both)


def executor_figures(ws: Workspace, size: dict[str, int], pg: str | None) -> dict[str, Any]:
    n_local, n_ray = size["local_items"], size["ray_items"]
    quick = n_ray < 4000
    out: dict[str, Any] = {"worker_imports": report("worker_imports", import_cpu)}
    with Mock(200, 512) as mock:
        for conc in (64, 128):
            name = f"local_2x{n_local}_c{conc}"
            out[name] = report(name, lambda c=conc: local_two_models(ws, mock, n_local, c))
        for workers in (2,) if quick else (1, 2):
            for conc in (128,) if quick else (64, 128):
                name = f"ray_w{workers}_c{conc}"
                spec = mock_spec(mock, name)
                out[name] = report(
                    name, lambda s=spec, w=workers, c=conc: ray_mock(ws, mock, s, n_ray, c, w, 200)
                )
        if not quick:
            name = "ray_w2_c128_chunk1000"
            out[name] = report(
                name, lambda: ray_mock(ws, mock, mock_spec(mock, name), n_ray, 128, 2, 1000)
            )
        with head_cluster(ws) as (address, head_pid, start_s):
            name = "ray_w2_c128_joined"
            spec = mock_spec(mock, name)
            fig = report(
                name,
                lambda: ray_mock(ws, mock, spec, n_ray, 128, 2, 200, address, head_pid),
            )
            fig["head_start_s"] = round(start_s, 2)
            out[name] = fig
        if pg and not quick:
            name = "ray_w2_c128_postgres"
            spec = mock_spec(mock, name)
            with pg_schema(pg) as url:
                out[name] = report(
                    name, lambda: ray_mock(ws, mock, spec, n_ray, 128, 2, 200, url=url)
                )
    return out


def ray_mock(
    ws: Workspace,
    mock: Mock,
    spec: str,
    n: int,
    conc: int,
    workers: int,
    chunk: int,
    address: str | None = None,
    head_pid: int | None = None,
    url: str | None = None,
) -> dict[str, Any]:
    mock.reset()
    fig = ray_run(
        ws,
        spec,
        n,
        conc,
        workers=workers,
        chunk=chunk,
        url=url,
        address=address,
        head_pid=head_pid,
    )
    fig["mock_requests"] = mock.stats()["requests"]
    return fig


# Several rate-limited models in one driver (what `tianping assess` does), through
# the Python API so that no profile or bank is needed.
MULTI_DRIVER = """
import json, sys
from tianping.engine import EngineConfig, ExecutorSpec, execute_runs, prepare_run
from tianping.store import Store

url, base, suite, names, rps, chunk, workers, address, cpus = sys.argv[1:10]
config = EngineConfig(concurrency=16, requests_per_second=float(rps))
spec = ExecutorSpec(
    "ray",
    None if address == "-" else address,
    None if workers == "-" else int(workers),
    int(chunk),
    float(cpus),
)
with Store.open(url) as store:
    runs = [
        prepare_run(f"openai-compat:{name}@{base}", suite, store=store, config=config)
        for name in names.split(",")
    ]
    results = execute_runs(store, runs, spec, show_progress=False)
print(json.dumps({"completed": sum(r.completed for r in results)}))
"""
RATE_MODELS, RATE_RPS, RATE_CHUNK = 4, 10.0, 20


def rate_limited(
    ws: Workspace,
    mock: Mock,
    n: int,
    workers: int | None,
    cpus: int,
    address: str | None,
    chunk_cpus: float = 1.0,
) -> dict[str, Any]:
    """RATE_MODELS models of n items, each limited to RATE_RPS requests/s (--rps)."""
    slots = int(cpus / chunk_cpus)
    url = ws.sqlite()
    upgrade_db(url, ws.env())
    names = ",".join(f"rl{ws.counter}-{i}" for i in range(RATE_MODELS))
    args = [url, mock.url("/v1"), str(ws.suite(n)), names, str(RATE_RPS), str(RATE_CHUNK)]
    args += [str(workers) if workers else "-", address or "-", str(chunk_cpus)]
    t0 = time.perf_counter()
    done = subprocess.run(
        [PY, "-c", MULTI_DRIVER, *args], capture_output=True, text=True, env=ws.env()
    )
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"multi-model driver failed: {done.stderr[-2000:]}")
    count, first, last = timeline(url)
    per_run = min(workers, slots) if workers else max(1, slots // RATE_MODELS)
    in_flight = min(slots, RATE_MODELS * min(per_run, math.ceil(n / RATE_CHUNK)))
    return {
        "models": RATE_MODELS,
        "items": RATE_MODELS * n,
        "rps_per_model": RATE_RPS,
        "cluster_cpus": cpus,
        "chunk_cpus": chunk_cpus,
        "slots": slots,
        "cluster": "joined (--address)" if address else "started in-process",
        "workers": workers,
        "chunk_size": RATE_CHUNK,
        "wall_s": round(wall, 2),
        "completed": count,
        "steady_requests_per_s": round(count / max(last - first, 1e-6), 1),
        "expected_requests_per_s": round(in_flight * RATE_RPS / per_run, 1),
        "models_allow_requests_per_s": RATE_MODELS * RATE_RPS,
    }


def rate_figures(ws: Workspace, size: dict[str, int], _pg: str | None) -> dict[str, Any]:
    """--rps is a run's total, split among its workers (default: the cluster's chunk
    slots shared out among the runs); a chunk asks for --chunk-cpus of a CPU."""
    n, quick = size["rate_limited_items"], size["ray_items"] < 4000
    out: dict[str, Any] = {}
    cpus = os.cpu_count() or 1
    with Mock(200, 512) as mock:
        if not quick:
            for workers, share in ((None, 1.0), (1, 1.0), (None, 0.5)):
                name = f"rate4_local{cpus}cpu_w{workers or 'default'}_cpu{share:g}"
                out[name] = report(
                    name,
                    lambda w=workers, c=share: rate_limited(ws, mock, n, w, cpus, None, c),
                )
        with head_cluster(ws, cpus=8) as (address, _, _):
            for workers in (1, None):
                name = f"rate4_joined8cpu_w{workers or 'default'}"
                out[name] = report(name, lambda w=workers: rate_limited(ws, mock, n, w, 8, address))
    return out


# -- 2. store write ceiling ---------------------------------------------------


@contextmanager
def pg_schema(base_url: str) -> Iterator[str]:
    """A schema of our own in the given database; its URL; dropped afterwards."""
    from sqlalchemy import create_engine, text

    name = f"tp_scale_bench_{os.getpid()}_{int(time.time())}"
    raw = base_url.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = create_engine(raw)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    sep = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{sep}options=-csearch_path%3D{name}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def make_runs(url: str, count: int, n_items: int, spec: str = "mock:echo") -> list[str]:
    """``count`` runs of one (item-less) suite, ready to receive outcomes."""
    from tianping.store import RunRecord, Store, SuiteRecord

    suite_hash = f"bench:{os.getpid()}:{time.time()}"
    ids = [hashlib.sha256(f"{suite_hash}{i}".encode()).hexdigest()[:32] for i in range(count)]
    with Store.open(url) as store:
        store.save_suite(SuiteRecord(suite_hash, "bench", "1", "bench", {}, n_items), [])
        for run_id in ids:
            store.create_run(
                RunRecord(run_id, "running", spec, suite_hash, "bench", n_items, {}, time.time())
            )
    return ids


def outcome_batches(run_id: str, n: int, batch: int, with_answer: bool) -> list[list[Any]]:
    from tianping.store import ItemOutcome

    text = ("The answer is B, because " + "the reasoning goes on. " * 30)[:600]
    out: list[list[Any]] = []
    for lo in range(0, n, batch):
        rows = []
        for i in range(lo, min(lo + batch, n)):
            key = hashlib.sha256(f"{run_id}:{i}".encode()).hexdigest()
            answer = None
            if with_answer:
                answer = {
                    "key": key,
                    "model": "bench-model",
                    "text": text,
                    "finish_reason": "stop",
                    "refused_by_service": False,
                    "vendor_code": None,
                    "prompt_tokens": 40,
                    "completion_tokens": 150,
                    "latency_ms": 200.0,
                    "reported_model": "bench-model",
                    "system_fingerprint": None,
                }
            rows.append(ItemOutcome(run_id, f"i{i}", i, key, "done", attempts=1, response=answer))
        out.append(rows)
    return out


def writer_process(url: str, run_id: str, n: int, batch: int, barrier: Any, results: Any) -> None:
    """One writer: batches of outcomes with answers, as a chunk's OutcomeWriter writes them."""
    from tianping.store import Store

    batches = outcome_batches(run_id, n, batch, with_answer=True)
    store = Store.open(url, migrate=False)
    barrier.wait()
    start = time.time()
    for rows in batches:
        store.write_outcomes(rows, {"requests_sent": len(rows), "retries": 0}, add_counters=True)
    results.put((start, time.time()))
    store.close()


def write_ceiling(url: str, writers: int, n: int, batch: int = 512) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    ids = make_runs(url, writers, n)
    barrier, results = ctx.Barrier(writers), ctx.Queue()
    procs = [
        ctx.Process(target=writer_process, args=(url, run_id, n, batch, barrier, results))
        for run_id in ids
    ]
    for p in procs:
        p.start()
    spans = [results.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise RuntimeError(f"a writer failed (exit {p.exitcode})")
    wall = max(e for _, e in spans) - min(s for s, _ in spans)
    total = writers * n
    return {
        "writers": writers,
        "outcomes": total,
        "batch": batch,
        "wall_s": round(wall, 2),
        "outcomes_per_s": round(total / wall),
        "transactions_per_s": round(writers * math.ceil(n / batch) / wall),
        "ms_per_batch": round(1000 * wall * writers / (writers * math.ceil(n / batch)), 1),
    }


def poll_time(url: str, runs: int, per_run: int) -> dict[str, Any]:
    """``Store.run_counts`` over ``runs`` runs holding ``runs * per_run`` run items."""
    from tianping.store import Store

    ids = make_runs(url, runs, per_run)
    with Store.open(url, migrate=False) as store:
        t0 = time.perf_counter()
        for run_id in ids:
            for rows in outcome_batches(run_id, per_run, 5000, with_answer=False):
                store.write_outcomes(rows)
        fill = time.perf_counter() - t0
        store.run_counts(ids)
        times = []
        for _ in range(10):
            t = time.perf_counter()
            counts = store.run_counts(ids)
            times.append(time.perf_counter() - t)
    assert sum(c["completed"] for c in counts.values()) == runs * per_run
    median = statistics.median(times)
    return {
        "runs": runs,
        "run_items": runs * per_run,
        "fill_rows_per_s": round(runs * per_run / fill),
        "poll_median_ms": round(1000 * median, 1),
        "poll_max_ms": round(1000 * max(times), 1),
        "driver_share_at_2_per_s": round(2 * median, 3),
    }


def store_figures(ws: Workspace, size: dict[str, int], pg: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    n, per_run = size["writer_outcomes"], size["poll_items_per_run"]
    backends: list[tuple[str, Callable[[], Any]]] = [("sqlite", lambda: nullctx(ws.sqlite()))]
    if pg:
        backends.append(("postgres", lambda: pg_schema(pg)))
    for backend, open_url in backends:
        for writers in (1, 2, 4):
            name = f"write_{backend}_{writers}w"
            with open_url() as url:
                out[name] = report(name, lambda u=url, w=writers: write_ceiling(u, w, n))
        # A rate-limited model's worker flushes every 50 ms with a few answers in
        # each batch: then what counts is transactions per second.
        name = f"write_{backend}_4w_batch1"
        with open_url() as url:
            out[name] = report(name, lambda u=url: write_ceiling(u, 4, n // 20, batch=1))
        name = f"poll_{backend}_80runs"
        with open_url() as url:
            out[name] = report(name, lambda u=url: poll_time(u, 80, per_run))
    return out


@contextmanager
def nullctx(value: str) -> Iterator[str]:
    yield value


# -- 3. driver dispatch --------------------------------------------------------


def chunk_start_cost(url: str, spec: str, repeat: int = 20) -> dict[str, float]:
    """What a chunk pays before its first item: open the store, read the run, build
    the adapter (in an already warm process, as a reused Ray worker is)."""
    from tianping.adapters import AdapterOptions, build_adapter
    from tianping.store import Store

    with Store.open(url, migrate=False) as store:
        run_id = store.list_runs(1)[0].id
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        with Store.open(url, migrate=False) as store:
            record = store.get_run(run_id)
            build_adapter(record.model_spec, AdapterOptions(max_connections=32))
        times.append(time.perf_counter() - t)
    return {"median_ms": round(1000 * statistics.median(times), 1)}


def dispatch_figures(ws: Workspace, size: dict[str, int], pg: str | None) -> dict[str, Any]:
    if not _IMPORT_CPU:
        import_cpu()
    n = size["echo_items"]
    spec = "mock:echo?latency_ms=0"
    out: dict[str, Any] = {}
    url = ""
    for chunk in (50, 500):
        name = f"dispatch_chunk{chunk}"
        url = ws.sqlite()
        fig = report(name, lambda c=chunk, u=url: dispatch(ws, spec, n, c, u))
        out[name] = fig
    a, b = out["dispatch_chunk50"], out["dispatch_chunk500"]
    extra = a["chunks"] - b["chunks"]
    slots = os.cpu_count() or 1
    overhead = slots * (a["steady_s"] - b["steady_s"]) / extra if extra else 0.0
    out["dispatch_overhead"] = {
        "ms_per_chunk": round(1000 * overhead, 1),
        "how": f"{slots} CPUs x (steady_s at 50 - at 500) / (chunks at 50 - at 500)",
        "chunk_start_sqlite": chunk_start_cost(url, spec),
    }
    if pg:
        with pg_schema(pg) as pg_url:
            make_runs(pg_url, 1, 1)
            out["dispatch_overhead"]["chunk_start_postgres"] = chunk_start_cost(pg_url, spec)
    print(f"{'dispatch_overhead':<24} {json.dumps(out['dispatch_overhead'])}", flush=True)
    return out


def dispatch(ws: Workspace, spec: str, n: int, chunk: int, url: str) -> dict[str, Any]:
    fig = ray_run(ws, spec, n, 64, workers=None, chunk=chunk, url=url)
    chunks = math.ceil(n / chunk)
    fig["chunks"] = chunks
    fig["chunks_per_s"] = round(chunks / fig["steady_s"], 1)
    fig["ms_per_chunk"] = round(1000 * fig["steady_s"] / chunks, 1)
    return fig


# -- report -----------------------------------------------------------------


def report(name: str, func: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    started = time.time()
    result = func()
    took = time.time() - started
    print(f"{name:<24} {json.dumps(result, ensure_ascii=False)}  ({took:.0f} s)", flush=True)
    return result


def table(results: dict[str, Any]) -> list[tuple[str, str]]:
    """The figures that the write-up uses, one line each."""
    rows: list[tuple[str, str]] = []
    for name, r in results.items():
        if not isinstance(r, dict):
            continue
        if name.startswith("local_"):
            rows.append(
                (name, f"{r['items_per_s']} items/s, CPU {r['cpu_s_per_1000']} s/1,000 items")
            )
        elif name.startswith(("ray_", "dispatch_chunk")):
            line = f"{r['items_per_s']} items/s overall"
            if "steady_items_per_s" in r:
                line += f", {r['steady_items_per_s']} steady, start-up {r['startup_s']} s"
            line += (
                f", CPU s/1,000 items: workers {r['worker_cpu_s_per_1000']}"
                f" (less start-up {r['worker_cpu_s_per_1000_net']}),"
                f" all processes {r['all_cpu_s_per_1000']}"
            )
            rss = r["peak_rss_mb_per_process"]
            line += f", peak RSS MB driver {rss['driver']} / one worker {rss['workers']}"
            if "head_start_s" in r:
                line += f" (the head itself took {r['head_start_s']} s to start)"
            if "chunks_per_s" in r:
                line += f", {r['chunks_per_s']} chunks/s"
            rows.append((name, line))
        elif name == "worker_imports":
            rows.append(
                (
                    name,
                    f"a fresh worker's imports: ray {r['ray_cpu_s']} s CPU,"
                    f" ray + tianping {r['ray_and_tianping_cpu_s']} s",
                )
            )
        elif name.startswith("rate4_"):
            line = (
                f"{r['steady_requests_per_s']} requests/s (expected {r['expected_requests_per_s']};"
                f" the {r['models']} models allow {r['models_allow_requests_per_s']})"
            )
            rows.append((name, line))
        elif name.startswith("write_"):
            line = f"{r['outcomes_per_s']} outcomes/s, {r['transactions_per_s']} transactions/s"
            rows.append((name, f"{line} ({r['ms_per_batch']} ms/batch of {r['batch']})"))
        elif name.startswith("poll_"):
            rows.append(
                (name, f"{r['poll_median_ms']} ms median over {r['run_items']:,} run items")
            )
        elif name == "dispatch_overhead":
            parts = [f"{r['ms_per_chunk']} ms/chunk (differential)"]
            for key in ("chunk_start_sqlite", "chunk_start_postgres"):
                if key in r:
                    parts.append(f"{key.removeprefix('chunk_')} {r[key]['median_ms']} ms")
            rows.append((name, ", ".join(parts)))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="smaller counts (under 3 minutes)")
    ap.add_argument("--pg", help="a PostgreSQL URL (a schema is created there and dropped)")
    ap.add_argument("--only", help="comma-separated: executor, rate, store, dispatch")
    args = ap.parse_args()
    parts = args.only.split(",") if args.only else ["executor", "rate", "store", "dispatch"]
    size = sizes(args.quick)
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "ray": ray_version()},
        "mode": "quick" if args.quick else "full",
        "sizes": size,
    }
    steps = {
        "executor": executor_figures,
        "rate": rate_figures,
        "store": store_figures,
        "dispatch": dispatch_figures,
    }
    saved = OUT / "scale_out.json"
    if args.only and saved.exists():  # a partial run updates the figures it measures
        results = json.loads(saved.read_text()) | results
        if "rate" in parts:
            results = {k: v for k, v in results.items() if not k.startswith("rate4_")}
    ws = Workspace()
    started = time.time()
    try:
        for part in parts:
            results |= steps[part](ws, size, args.pg)
    finally:
        ws.remove()
    results["total_s"] = round(time.time() - started)
    OUT.mkdir(parents=True, exist_ok=True)
    saved.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    print()
    for name, line in table(results):
        print(f"| {name} | {line} |")
    print(f"\nwrote {OUT / 'scale_out.json'} ({results['total_s']} s)")


def ray_version() -> str:
    try:
        out = subprocess.run([PY, "-c", "import ray; print(ray.__version__)"], capture_output=True)
        return out.stdout.decode().strip()
    except OSError:
        return "?"


if __name__ == "__main__":
    main()
