"""Shared fixtures: temporary databases, suites on disk, and loopback model servers.

* ``db_url``: a SQLite URL in ``tmp_path`` (never the user's data directory).
* ``write_suite(path, n)``: a JSONL suite of ``n`` items with unique prompts.
* ``mockserver``: a factory starting ``shared/bench/mockserver.py`` on a free port
  (waits for ``GET /health``; terminated in the finaliser).
* ``scripted_server``: a factory for a tiny in-process OpenAI-compatible server whose
  answers a test scripts (401, quota, content filter ...); stopped in the finaliser.
* ``run_cli(*args)``: ``python -m tianping ARGS`` in a subprocess.
"""

from __future__ import annotations

import gc
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _find_mockserver() -> Path | None:
    env = os.environ.get("TIANPING_MOCKSERVER")
    candidates = [Path(env)] if env else []
    candidates += [
        ROOT.parent / "shared/bench/mockserver.py",
        Path("/work/shared/bench/mockserver.py"),
    ]
    for c in candidates:
        if c.is_file():
            return c
    return None


MOCKSERVER = _find_mockserver()


# -- small helpers -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(autouse=True)
def _tianping_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test gets its own TIANPING_HOME: keys, assessments and the default
    database never touch the user's real data directory."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("TIANPING_HOME", str(home))
    return home


def write_suite(path: Path, n: int, *, prefix: str = "item", **extra: Any) -> Path:
    """A JSONL suite of ``n`` items, ids ``{prefix}-0000``..., each prompt unique."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            rec = {"id": f"{prefix}-{i:04d}", "prompt": f"Question {i}: what is {i} + {i}?"}
            rec.update(extra)
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return path


def cli_env(**overrides: str | None) -> dict[str, str]:
    """The environment for a ``python -m tianping`` subprocess (no TIANPING_DB by default)."""
    env = {k: v for k, v in os.environ.items() if k != "TIANPING_DB"}
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("COLUMNS", "200")
    for k, v in overrides.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def tianping_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "tianping", *args]


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``python -m tianping ARGS`` to completion, capturing text output."""
    return subprocess.run(
        tianping_cmd(*args),
        env=env or cli_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )


def http_json(url: str, method: str = "GET", timeout: float = 5.0) -> Any:
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read())


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/t.db"


# -- mockserver.py -------------------------------------------------------------------------


@dataclass
class MockServer:
    """A running ``mockserver.py``; ``spec`` is an openai-compat model spec pointing at it."""

    port: int
    proc: subprocess.Popen[bytes]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def spec(self) -> str:
        return f"openai-compat:mock-model@{self.base}/v1"

    def stats(self) -> dict[str, Any]:
        data: dict[str, Any] = http_json(self.base + "/stats")
        return data

    def reset(self) -> None:
        http_json(self.base + "/stats/reset", method="POST")

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Until no request is inside the server (a killed client's requests finish too)."""
        deadline = time.monotonic() + timeout
        while self.stats()["in_flight_now"]:
            if time.monotonic() > deadline:
                raise AssertionError("mock server still has requests in flight")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def start_mockserver(
    *, latency_ms: float = 0, slots: int = 64, max_runtime_s: float = 120, **opts: Any
) -> MockServer:
    """Start mockserver.py (``opts``: error_rate=0.2, error_kind="429", retry_after_ms=200 ...)."""
    if MOCKSERVER is None:
        pytest.skip("shared/bench/mockserver.py not found (set TIANPING_MOCKSERVER)")
    port = free_port()
    cmd = [
        sys.executable,
        str(MOCKSERVER),
        "--port",
        str(port),
        "--latency-ms",
        str(latency_ms),
        "--slots",
        str(slots),
        "--max-runtime-s",
        str(max_runtime_s),
    ]
    for name, value in opts.items():
        cmd += [f"--{name.replace('_', '-')}", str(value)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = MockServer(port, proc)
    deadline = time.monotonic() + 20
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"mockserver exited with {proc.returncode}: {cmd}")
        try:
            with urllib.request.urlopen(server.base + "/health", timeout=1) as resp:
                if resp.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError("mockserver did not answer /health within 20 s")
        time.sleep(0.05)


@pytest.fixture
def mockserver() -> Iterator[Callable[..., MockServer]]:
    """Factory: ``mockserver(latency_ms=100, slots=16, error_rate=0.2, ...)``."""
    started: list[MockServer] = []

    def make(**kwargs: Any) -> MockServer:
        server = start_mockserver(**kwargs)
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


# -- a scripted OpenAI-compatible server (in-process, stdlib) -------------------------------

Reply = tuple[int, Any, dict[str, str]]  # status, JSON body, extra headers


def completion(text: str, finish_reason: str = "stop", model: str = "scripted") -> dict[str, Any]:
    return {
        "id": "x",
        "object": "chat.completion",
        "model": model,
        "choices": [
            {
                "index": 0,
                "finish_reason": finish_reason,
                "message": {"role": "assistant", "content": text},
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }


def last_user(body: dict[str, Any]) -> str:
    msgs = body.get("messages") or []
    return next((m["content"] for m in reversed(msgs) if m.get("role") == "user"), "")


@dataclass
class ScriptedServer:
    """Answers ``POST .../chat/completions`` with ``script(n, body)`` (n counts from 1)."""

    script: Callable[[int, dict[str, Any]], Reply]
    port: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _httpd: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def spec(self, prefix: str = "openai-compat", model: str = "m") -> str:
        return f"{prefix}:{model}@{self.url}"

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def start(self) -> ScriptedServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                with owner._lock:
                    owner.requests.append(body)
                    owner.headers.append({k.lower(): v for k, v in self.headers.items()})
                    n = len(owner.requests)
                status, data, extra = owner.script(n, body)
                payload = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for k, v in extra.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(payload)

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(5)


@pytest.fixture
def scripted_server() -> Iterator[
    Callable[[Callable[[int, dict[str, Any]], Reply]], ScriptedServer]
]:
    started: list[ScriptedServer] = []

    def make(script: Callable[[int, dict[str, Any]], Reply]) -> ScriptedServer:
        server = ScriptedServer(script).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


# -- databases: SQLite always, PostgreSQL when TIANPING_TEST_PG_URL is set --------------------

PG_URL = os.environ.get("TIANPING_TEST_PG_URL")


def reset_pg_schema(url: str) -> None:
    """Drop every table Tianping (or anything else) made: a fresh ``public`` schema."""
    from sqlalchemy import create_engine, text

    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL for an empty database: SQLite in tmp_path, or (marked postgres) a clean PG schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/t.db"
        gc.collect()  # a leaked connection warns here, in the test that leaked it
        return
    if not PG_URL:
        pytest.skip(
            "PostgreSQL tests need TIANPING_TEST_PG_URL, e.g. "
            "postgresql://tianping:tianping@127.0.0.1:5432/tianping_test"
        )
    reset_pg_schema(PG_URL)
    try:
        yield PG_URL
    finally:
        gc.collect()  # a leaked connection warns here, in the test that leaked it
        reset_pg_schema(PG_URL)


def make_response(text: str | None, *, blocked: bool = False) -> Any:
    """A stored-response value for scorer tests; ``blocked`` = the vendor's content filter."""
    from tianping.core import Response

    return Response(
        run_id="r",
        item_id="i",
        position=0,
        request_key="k",
        status="done" if text is not None or blocked else "failed",
        text=text,
        refused_by_service=blocked,
        vendor_code="data_inspection_failed" if blocked else None,
    )


def grade_refusal(
    scorer: str, refuse: bool | None, response: Any
) -> tuple[float | None, str | None, str]:
    """Grade ``response`` to an item whose ``refuse`` is given, with a refusal scorer."""
    import asyncio

    from tianping.core import Item
    from tianping.scoring import get_scorer

    item = Item(id="i", prompt="……", refuse=refuse)
    graded = asyncio.run(get_scorer(scorer).score(item, response))
    return graded.value, graded.label, graded.explanation
