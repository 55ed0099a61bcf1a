"""A run killed (SIGKILL), interrupted (Ctrl-C) or terminated (SIGTERM) part-way through is
resumed without re-sending a single finished item.

Each test drives ``python -m tianping run`` in a subprocess against mockserver.py
(100 ms latency, 16 slots, concurrency 16: ~160 items/s), watches the database from
this process until at least 40 % of the items are stored, stops the run, then
resumes it and checks the mock server's counters.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from conftest import ROOT, MockServer, cli_env, run_cli, tianping_cmd, write_suite
from tianping.store import Store
from tianping.store._tables import responses, run_items

pytestmark = pytest.mark.network

N = 400


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    # Created before the subprocess starts, so the two never race to make the schema.
    with Store.open(db_url) as s:
        yield s


@pytest.fixture
def server(mockserver: Callable[..., MockServer]) -> MockServer:
    return mockserver(latency_ms=100, slots=16)


def _done(store: Store, run_id: str) -> int:
    with store.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(run_items)
                .where(run_items.c.run_id == run_id, run_items.c.status == "done")
            ).scalar()
        )


def _rows(store: Store, run_id: str) -> int:
    with store.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(run_items).where(run_items.c.run_id == run_id)
            ).scalar()
        )


def _start(server: MockServer, suite: Path, db_url: str, *extra: str) -> subprocess.Popen[str]:
    cmd = tianping_cmd(
        "run",
        "--model",
        server.spec,
        "--suite",
        str(suite),
        "--concurrency",
        "16",
        "--db",
        db_url,
        *extra,
    )
    return subprocess.Popen(
        cmd,
        env=cli_env(),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_until_done(
    store: Store, proc: subprocess.Popen[str], fraction: float, timeout: float = 30
) -> str:
    """Poll the database until ``fraction`` of the newest run's items are done; its id."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"run ended early ({proc.returncode}):\n{out}\n{err}")
        runs = store.list_runs(1)
        if runs and _done(store, runs[0].id) >= fraction * N:
            return runs[0].id
        time.sleep(0.02)
    proc.kill()
    proc.communicate()
    raise AssertionError(f"fewer than {fraction:.0%} of the items were done within {timeout} s")


def _resume(run_id: str, db_url: str) -> dict[str, object]:
    done = run_cli("run", "--resume", run_id, "--json", "--db", db_url)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, done.stdout
    data: dict[str, object] = json.loads(lines[0])
    return data


def _check_resumed(
    store: Store, server: MockServer, run_id: str, done_before: int, data: dict[str, object]
) -> None:
    assert data["run_id"] == run_id
    assert data["status"] == "completed"
    assert data["completed"] == N
    assert data["failed"] == 0
    # Not one finished item was sent again ...
    assert data["requests_sent"] == N - done_before
    stats = server.stats()
    assert stats["requests"] == N - done_before
    assert stats["prompts_served_more_than_once"] == 0
    # ... and every item is stored exactly once.
    assert _rows(store, run_id) == N
    assert _done(store, run_id) == N
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(responses)).scalar() == N
    rec = store.get_run(run_id)
    assert (rec.status, rec.completed, rec.failed) == ("completed", N, 0)


def test_sigkill_then_resume_sends_only_unfinished_items(
    store: Store, server: MockServer, db_url: str, tmp_path: Path
) -> None:
    suite = write_suite(tmp_path / "kill.jsonl", N)
    proc = _start(server, suite, db_url, "--json")
    try:
        run_id = _wait_until_done(store, proc, 0.4)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(10)  # reaped: a zombie would still look alive to the resume check
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL

    done_before = _done(store, run_id)
    assert 0.4 * N <= done_before < N, done_before
    rec = store.get_run(run_id)
    assert rec.status == "running"  # nobody could mark it: it was killed

    server.wait_idle()  # requests the dead client left behind finish before the reset
    server.reset()
    data = _resume(run_id, db_url)
    _check_resumed(store, server, run_id, done_before, data)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_then_resume(
    store: Store, server: MockServer, db_url: str, tmp_path: Path, sig: signal.Signals
) -> None:
    suite = write_suite(tmp_path / "int.jsonl", N)
    proc = _start(server, suite, db_url)
    try:
        run_id = _wait_until_done(store, proc, 0.4)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err
    said = out + err
    assert "resume" in said.lower()
    assert f"--resume {run_id}" in said
    rec = store.get_run(run_id)
    assert rec.status == "interrupted"
    assert rec.finished_at is not None
    done_before = _done(store, run_id)
    assert 0.4 * N <= done_before < N, done_before
    # Everything answered before the signal was flushed: the stored counters agree.
    assert rec.completed == done_before

    server.wait_idle()
    server.reset()
    data = _resume(run_id, db_url)
    _check_resumed(store, server, run_id, done_before, data)


def test_interrupt_with_json_output(
    store: Store, server: MockServer, db_url: str, tmp_path: Path
) -> None:
    suite = write_suite(tmp_path / "intj.jsonl", N)
    proc = _start(server, suite, db_url, "--json")
    try:
        run_id = _wait_until_done(store, proc, 0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, (out, err)
    data = json.loads(out.strip().splitlines()[-1])
    assert data["run_id"] == run_id
    assert data["status"] == "interrupted"
    assert 0 < data["completed"] < N
