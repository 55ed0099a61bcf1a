"""Runs against loopback OpenAI-compatible servers: errors that stop a run, service
refusals, bounded concurrency and Retry-After."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import MockServer, Reply, ScriptedServer, completion, last_user, write_suite
from tianping.engine import Backoff, EngineConfig, resume_run, start_run
from tianping.store import Store

pytestmark = pytest.mark.network

QUICK = EngineConfig(concurrency=4, backoff=Backoff(base=0.01, cap=0.05, max_attempts=3))


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store.open(db_url) as s:
        yield s


class Script:
    """Echo answers, or an error, switchable while a run goes on; remembers served prompts."""

    def __init__(self, ok_first: int, error: Reply) -> None:
        self.ok_first = ok_first
        self.error = error
        self.failing = True
        self.served: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, n: int, body: dict[str, Any]) -> Reply:
        if self.failing and n > self.ok_first:
            return self.error
        prompt = last_user(body)
        with self._lock:
            self.served[prompt] = self.served.get(prompt, 0) + 1
        return 200, completion(prompt), {}


AUTH_401: Reply = (
    401,
    {"error": {"message": "Incorrect API key provided", "code": "invalid_api_key"}},
    {},
)
QUOTA_429: Reply = (
    429,
    {
        "error": {
            "message": "You exceeded your current quota, please check your plan.",
            "type": "insufficient_quota",
            "code": "insufficient_quota",
        }
    },
    {},
)


def _done_ids(store: Store, run_id: str) -> set[str]:
    return {r.item_id for r in store.iter_run_responses(run_id) if r.status == "done"}


def test_auth_failure_stops_the_run_and_resume_sends_only_the_rest(
    store: Store,
    tmp_path: Path,
    scripted_server: Callable[[Callable[[int, dict[str, Any]], Reply]], ScriptedServer],
) -> None:
    n = 60
    suite = str(write_suite(tmp_path / "auth.jsonl", n))
    script = Script(ok_first=20, error=AUTH_401)
    server = scripted_server(script)
    result = start_run(server.spec(), suite, store=store, config=QUICK, show_progress=False)
    assert result.status == "failed"
    assert result.error is not None
    assert "401" in result.error
    assert "API key" in result.error
    assert result.errors.get("AuthError", 0) >= 1
    # Stopped at once: not every item was sent, and nothing was retried.
    assert result.requests_sent <= 20 + QUICK.concurrency
    assert server.count <= 20 + QUICK.concurrency
    assert result.retries == 0
    rec = store.get_run(result.run_id)
    assert rec.status == "failed"
    assert rec.error == result.error
    assert rec.failed == 0  # the items that met the 401 are not "failed": they were never answered
    done_before = len(_done_ids(store, result.run_id))
    assert 15 <= done_before <= 20

    script.failing = False
    again = resume_run(result.run_id, store=store, show_progress=False)
    assert again.status == "completed"
    assert (again.completed, again.failed) == (n, 0)
    assert again.requests_sent == n - done_before
    assert max(script.served.values()) == 1, "an answered item was sent again"
    assert len(script.served) == n


def test_auth_error_names_the_preset_key_variable(
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    scripted_server: Callable[[Callable[[int, dict[str, Any]], Reply]], ScriptedServer],
) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-wrong")
    suite = str(write_suite(tmp_path / "k.jsonl", 5))
    server = scripted_server(lambda _n, _b: AUTH_401)
    result = start_run(
        server.spec("qwen", "qwen-plus"), suite, store=store, config=QUICK, show_progress=False
    )
    assert result.status == "failed"
    assert server.headers[0]["authorization"] == "Bearer sk-wrong"
    assert result.error is not None
    assert "DASHSCOPE_API_KEY" in result.error


def test_auth_error_names_the_key_variable_in_use(
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    scripted_server: Callable[[Callable[[int, dict[str, Any]], Reply]], ScriptedServer],
) -> None:
    # The key came from ?key_env=TP_TEST_KEY: the error must not send the user to
    # the preset's default variable, which was not used.
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    monkeypatch.setenv("TP_TEST_KEY", "sk-wrong")
    suite = str(write_suite(tmp_path / "k.jsonl", 5))
    server = scripted_server(lambda _n, _b: AUTH_401)
    spec = server.spec("qwen", "qwen-plus") + "?key_env=TP_TEST_KEY"
    result = start_run(spec, suite, store=store, config=QUICK, show_progress=False)
    assert result.status == "failed"
    assert server.headers[0]["authorization"] == "Bearer sk-wrong"
    assert result.error is not None
    assert "TP_TEST_KEY" in result.error
    assert "DASHSCOPE_API_KEY" not in result.error, result.error


@pytest.mark.parametrize("prefix", ["openai-compat", "vllm-server"])
def test_quota_exhaustion_stops_the_run(
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    prefix: str,
    scripted_server: Callable[[Callable[[int, dict[str, Any]], Reply]], ScriptedServer],
) -> None:
    monkeypatch.delenv("VLLM_API_KEY", raising=False)
    n = 40
    suite = str(write_suite(tmp_path / "quota.jsonl", n))
    script = Script(ok_first=10, error=QUOTA_429)
    server = scripted_server(script)
    result = start_run(server.spec(prefix), suite, store=store, config=QUICK, show_progress=False)
    assert result.status == "failed", (result.status, result.errors)
    assert result.error is not None
    assert "quota" in result.error.lower()
    assert result.errors.get("QuotaExhaustedError", 0) >= 1
    assert result.retries == 0
    assert server.count <= 10 + QUICK.concurrency
    done_before = len(_done_ids(store, result.run_id))

    script.failing = False
    again = resume_run(result.run_id, store=store, show_progress=False)
    assert (again.status, again.completed) == ("completed", n)
    assert again.requests_sent == n - done_before


def test_content_filter_finish_reason_is_a_stored_refusal(
    store: Store,
    tmp_path: Path,
    scripted_server: Callable[[Callable[[int, dict[str, Any]], Reply]], ScriptedServer],
) -> None:
    n = 12
    suite = str(write_suite(tmp_path / "cf.jsonl", n))
    server = scripted_server(lambda _n, _b: (200, completion("", "content_filter"), {}))
    result = start_run(server.spec(), suite, store=store, config=QUICK, show_progress=False)
    assert result.status == "completed"
    assert (result.completed, result.failed, result.retries) == (n, 0, 0)
    assert server.count == n  # not retried
    rows = list(store.iter_run_responses(result.run_id))
    assert len(rows) == n
    for r in rows:
        assert r.status == "done"
        assert bool(r.refused_by_service) is True
        assert r.finish_reason == "content_filter"
        assert r.vendor_code == "content_filter"
        assert r.attempts == 1
        assert r.text == ""


@pytest.mark.parametrize("prefix", ["openai-compat", "vllm-server"])
def test_content_filter_error_body_is_a_stored_refusal(
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    prefix: str,
    scripted_server: Callable[[Callable[[int, dict[str, Any]], Reply]], ScriptedServer],
) -> None:
    # A 400 whose code says the service's safety system blocked the request.
    monkeypatch.delenv("VLLM_API_KEY", raising=False)
    n = 6
    suite = str(write_suite(tmp_path / "cf400.jsonl", n))
    blocked = {"error": {"message": "blocked by safety system", "code": "content_filter"}}
    server = scripted_server(lambda _n, _b: (400, blocked, {}))
    result = start_run(server.spec(prefix), suite, store=store, config=QUICK, show_progress=False)
    assert (result.status, result.completed, result.failed) == ("completed", n, 0), result.errors
    assert server.count == n
    assert all(bool(r.refused_by_service) for r in store.iter_run_responses(result.run_id))


def test_rejected_request_fails_the_item_without_retry(
    store: Store,
    tmp_path: Path,
    scripted_server: Callable[[Callable[[int, dict[str, Any]], Reply]], ScriptedServer],
) -> None:
    n = 5
    suite = str(write_suite(tmp_path / "rej.jsonl", n))
    bad = {"error": {"message": "max_tokens is too large", "code": "invalid_request"}}
    server = scripted_server(lambda _n, _b: (400, bad, {}))
    result = start_run(server.spec(), suite, store=store, config=QUICK, show_progress=False)
    assert (result.status, result.failed, result.retries) == ("incomplete", n, 0)
    assert server.count == n
    assert result.errors == {"RequestRejected": n}
    errors = [r.error for r in store.iter_run_responses(result.run_id)]
    assert all("max_tokens is too large" in e for e in errors)


def test_server_errors_are_retried(
    store: Store,
    tmp_path: Path,
    scripted_server: Callable[[Callable[[int, dict[str, Any]], Reply]], ScriptedServer],
) -> None:
    n = 8
    suite = str(write_suite(tmp_path / "5xx.jsonl", n))

    def script(k: int, body: dict[str, Any]) -> Reply:
        if k % 2:  # every other request fails
            return 503, {"error": {"message": "overloaded"}}, {}
        return 200, completion(last_user(body)), {}

    server = scripted_server(script)
    config = EngineConfig(concurrency=1, backoff=Backoff(base=0.001, max_attempts=3))
    result = start_run(server.spec(), suite, store=store, config=config, show_progress=False)
    assert (result.status, result.completed) == ("completed", n)
    assert result.retries == n
    assert server.count == 2 * n


def test_concurrency_is_bounded(
    store: Store, tmp_path: Path, mockserver: Callable[..., MockServer]
) -> None:
    server = mockserver(latency_ms=50, slots=64)
    n = 40
    suite = str(write_suite(tmp_path / "conc.jsonl", n))
    config = EngineConfig(concurrency=4)
    result = start_run(server.spec, suite, store=store, config=config, show_progress=False)
    assert (result.status, result.completed) == ("completed", n)
    stats = server.stats()
    assert stats["requests"] == n
    assert stats["peak_in_flight"] <= 4
    assert stats["peak_in_flight"] >= 3  # and it is used
    assert stats["prompts_served_more_than_once"] == 0
    assert result.wall_s >= n / 4 * 0.05 * 0.9
    texts = {r.text for r in store.iter_run_responses(result.run_id)}
    assert texts <= {"ANSWER: A", "ANSWER: B", "ANSWER: C", "ANSWER: D"}


def test_retry_after_is_honoured(
    store: Store, tmp_path: Path, mockserver: Callable[..., MockServer]
) -> None:
    server = mockserver(
        latency_ms=5, slots=64, error_rate=0.2, error_kind="429", retry_after_ms=200
    )
    n = 24
    suite = str(write_suite(tmp_path / "ra.jsonl", n))
    # Exponential back-off alone would retry within a millisecond: any wait is the server's.
    config = EngineConfig(concurrency=8, backoff=Backoff(base=0.001, cap=5.0, max_attempts=10))
    result = start_run(server.spec, suite, store=store, config=config, show_progress=False)
    assert (result.status, result.completed, result.failed) == ("completed", n, 0)
    stats = server.stats()
    assert stats["err_429"] > 0
    assert result.retries == stats["err_429"]
    assert result.requests_sent == stats["requests"] == n + stats["err_429"]
    assert stats["prompts_served_more_than_once"] == 0
    assert result.wall_s >= 0.2
    assert result.errors == {"RateLimitError": stats["err_429"]}
