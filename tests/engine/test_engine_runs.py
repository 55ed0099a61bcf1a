"""Runs against mock: models: storage, caching, retries, failures, resume."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from conftest import write_suite
from tianping.core import GenerationParams, RunError, SuiteError, UnknownNameError
from tianping.engine import Backoff, EngineConfig, RunResult, resume_run, start_run
from tianping.store import Store
from tianping.store._tables import responses, run_items

FAST = Backoff(base=0.001, cap=0.05, max_attempts=8)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store.open(db_url) as s:
        yield s


@pytest.fixture
def suite50(tmp_path: Path) -> str:
    return str(write_suite(tmp_path / "s50.jsonl", 50))


def _prompts(path: str) -> dict[str, str]:
    out = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        out[rec["id"]] = rec["prompt"]
    return out


def _rows(store: Store, run_id: str, status: str | None = None) -> int:
    where = [run_items.c.run_id == run_id]
    if status is not None:
        where.append(run_items.c.status == status)
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(run_items).where(*where)).scalar())


def _run(model: str, suite: str, store: Store, **kw: object) -> RunResult:
    return start_run(model, suite, store=store, show_progress=False, **kw)  # type: ignore[arg-type]


def test_echo_run_stores_every_answer(store: Store, suite50: str) -> None:
    result = _run("mock:echo", suite50, store)
    assert result.status == "completed"
    assert (result.items, result.completed, result.failed) == (50, 50, 0)
    assert (result.requests_sent, result.cache_hits, result.retries) == (50, 0, 0)
    assert result.error is None
    assert result.model == "mock:echo"
    assert result.suite == "s50"
    assert result.suite_hash.startswith("sha256:")
    prompts = _prompts(suite50)
    rows = list(store.iter_run_responses(result.run_id))
    assert len(rows) == 50
    assert [r.item_id for r in rows] == list(prompts)
    for r in rows:
        assert r.status == "done"
        assert r.text == prompts[r.item_id]
        assert r.attempts == 1
        assert r.finish_reason == "stop"
        assert r.reported_model == "mock-echo"
    rec = store.get_run(result.run_id)
    assert rec.status == "completed"
    assert rec.finished_at is not None
    assert rec.requests_sent == 50
    assert (rec.completed, rec.failed) == (50, 0)
    man = rec.manifest
    assert man["suite"]["hash"] == result.suite_hash
    assert man["suite"]["items"] == 50
    assert man["model"]["identity"] == "mock:echo"
    assert man["params"]["sent"] == {"temperature": 0.0, "max_tokens": 1024}
    assert man["engine"]["concurrency"] == 16
    assert man["process"] == {"host": socket.gethostname(), "pid": os.getpid()}
    assert man["reported_identity"] == {"mock-echo (mock)": 50}
    assert "started_at" in man
    assert "finished_at" in man


def test_result_json(store: Store, suite50: str) -> None:
    data = _run("mock:echo", suite50, store).to_json()
    for key in ("run_id", "status", "items", "completed", "failed", "requests_sent"):
        assert key in data
    assert data["cache_hits"] == 0
    assert isinstance(data["wall_s"], float)
    assert data["items_per_s"] is None or data["items_per_s"] > 0
    json.dumps(data)  # serialisable


def test_second_identical_run_is_answered_from_the_store(store: Store, suite50: str) -> None:
    first = _run("mock:echo", suite50, store)
    second = _run("mock:echo", suite50, store)
    assert second.run_id != first.run_id
    assert second.status == "completed"
    assert (second.requests_sent, second.cache_hits, second.completed) == (0, 50, 50)
    texts = [r.text for r in store.iter_run_responses(second.run_id)]
    assert texts == list(_prompts(suite50).values())
    assert all(r.cached for r in store.iter_run_responses(second.run_id))
    assert store.get_run(second.run_id).cache_hits == 50
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(responses)).scalar() == 50


def test_other_params_are_not_cached(store: Store, suite50: str) -> None:
    _run("mock:echo", suite50, store)
    warm = _run("mock:echo", suite50, store, params=GenerationParams(temperature=0.5))
    assert (warm.requests_sent, warm.cache_hits) == (50, 0)
    other_tokens = _run("mock:echo", suite50, store, params=GenerationParams(max_tokens=7))
    assert (other_tokens.requests_sent, other_tokens.cache_hits) == (50, 0)


def test_other_model_is_not_cached(store: Store, suite50: str) -> None:
    _run("mock:echo", suite50, store)
    other = _run("mock:comply-all", suite50, store)
    assert (other.requests_sent, other.cache_hits) == (50, 0)
    # Latency and injected errors do not change answers: same identity, cached.
    same = _run("mock:echo?latency_ms=1", suite50, store)
    assert (same.requests_sent, same.cache_hits) == (0, 50)


def test_item_params_change_the_request(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(
        json.dumps({"id": "a", "prompt": "same"})
        + "\n"
        + json.dumps({"id": "b", "prompt": "same", "params": {"temperature": 0.9}})
        + "\n",
        encoding="utf-8",
    )
    result = _run("mock:echo", str(path), store)
    assert result.completed == 2
    assert result.requests_sent == 2
    keys = {r.request_key for r in store.iter_run_responses(result.run_id)}
    assert len(keys) == 2


def test_repeated_prompt_in_one_run_is_sent_once(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "dup.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": f"d{i}", "prompt": "the same question"}) + "\n" for i in range(10)
        ),
        encoding="utf-8",
    )
    result = _run("mock:echo?latency_ms=50", str(path), store)
    assert result.status == "completed"
    assert result.completed == 10
    assert result.requests_sent == 1
    assert result.cache_hits == 9
    texts = [r.text for r in store.iter_run_responses(result.run_id)]
    assert texts == ["the same question"] * 10


def test_fixed_and_refusing_mocks(store: Store, suite50: str) -> None:
    r = _run("mock:fixed?text=hello world", suite50, store)
    assert {x.text for x in store.iter_run_responses(r.run_id)} == {"hello world"}
    r2 = _run("mock:fixed?text=other", suite50, store)
    assert r2.requests_sent == 50  # the fixed text is part of the identity
    r3 = _run("mock:refuse-all", suite50, store)
    assert all("抱歉" in (x.text or "") for x in store.iter_run_responses(r3.run_id))


def test_rate_limited_mock_retries_until_every_item_is_done(store: Store, suite50: str) -> None:
    result = _run(
        "mock:echo?error_rate=0.3&error_kind=429",
        suite50,
        store,
        config=EngineConfig(backoff=FAST),
    )
    assert result.status == "completed"
    assert (result.completed, result.failed) == (50, 0)
    assert result.retries > 0
    assert result.requests_sent == 50 + result.retries
    assert result.errors == {"RateLimitError": result.retries}
    assert _rows(store, result.run_id) == 50  # each item stored exactly once
    assert _rows(store, result.run_id, "done") == 50
    rows = list(store.iter_run_responses(result.run_id))
    assert sum(r.attempts for r in rows) == result.requests_sent
    assert all(r.text == p for r, p in zip(rows, _prompts(suite50).values(), strict=True))
    rec = store.get_run(result.run_id)
    assert (rec.requests_sent, rec.retries) == (result.requests_sent, result.retries)


def test_mixed_errors_are_retried(store: Store, suite50: str) -> None:
    result = _run(
        "mock:echo?error_rate=0.3&error_kind=mix&seed=5",
        suite50,
        store,
        config=EngineConfig(backoff=FAST),
    )
    assert (result.status, result.completed) == ("completed", 50)
    assert result.retries > 0
    assert set(result.errors) <= {
        "RateLimitError",
        "ServerError",
        "RequestTimeout",
        "BadResponseError",
    }


def test_failures_without_retries_leave_the_run_incomplete_and_resume_retries_them(
    store: Store, suite50: str
) -> None:
    no_retry = EngineConfig(backoff=Backoff(base=0.001, max_attempts=1))
    first = _run("mock:echo?error_rate=0.3&error_kind=500", suite50, store, config=no_retry)
    assert first.status == "incomplete"
    assert first.failed > 0
    assert first.completed + first.failed == 50
    assert first.retries == 0
    assert first.requests_sent == 50
    assert first.errors == {"ServerError": first.failed}
    rec = store.get_run(first.run_id)
    assert rec.status == "incomplete"
    assert (rec.completed, rec.failed) == (first.completed, first.failed)
    failed_rows = [r for r in store.iter_run_responses(first.run_id) if r.status == "failed"]
    assert len(failed_rows) == first.failed
    assert all(r.error.startswith("ServerError") for r in failed_rows)
    assert all(r.text is None for r in failed_rows)

    # Resume with retries allowed: only the failed items are sent again.
    again = resume_run(
        first.run_id,
        store=store,
        config=EngineConfig(backoff=Backoff(base=0.001, max_attempts=20)),
        show_progress=False,
    )
    assert again.run_id == first.run_id
    assert again.status == "completed"
    assert (again.completed, again.failed) == (50, 0)
    assert again.requests_sent - again.retries == first.failed
    assert _rows(store, first.run_id) == 50  # a failed item later done is counted once
    rec = store.get_run(first.run_id)
    assert (rec.status, rec.completed, rec.failed) == ("completed", 50, 0)
    # The stored counters add up over both invocations.
    assert rec.requests_sent == first.requests_sent + again.requests_sent
    assert len(rec.manifest["resumed_at"]) == 1
    texts = [r.text for r in store.iter_run_responses(first.run_id)]
    assert texts == list(_prompts(suite50).values())


def test_timeouts_fail_items(store: Store, tmp_path: Path) -> None:
    suite = str(write_suite(tmp_path / "t.jsonl", 5))
    config = EngineConfig(timeout=0.1, backoff=Backoff(base=0.001, max_attempts=2))
    result = _run("mock:echo?latency_ms=2000", suite, store, config=config)
    assert result.status == "incomplete"
    assert (result.completed, result.failed) == (0, 5)
    assert result.errors == {"RequestTimeout": 10}
    assert result.retries == 5
    assert result.wall_s < 5


def test_requests_per_second_limit(store: Store, tmp_path: Path) -> None:
    suite = str(write_suite(tmp_path / "r.jsonl", 30))
    result = _run("mock:echo", suite, store, config=EngineConfig(requests_per_second=20))
    assert result.completed == 30
    # A burst of 20 (one second's worth), then 10 more at 20/s.
    assert result.wall_s >= 0.45


def test_resume_of_a_completed_run_sends_nothing(store: Store, suite50: str) -> None:
    first = _run("mock:echo", suite50, store)
    again = resume_run(first.run_id[:10], store=store, show_progress=False)
    assert again.run_id == first.run_id
    assert again.status == "completed"
    assert (again.requests_sent, again.completed) == (0, 50)


def test_resume_unknown_run(store: Store) -> None:
    with pytest.raises(UnknownNameError, match="Unknown run"):
        resume_run("nope", store=store)


def test_resume_refuses_a_run_that_is_still_running(store: Store, suite50: str) -> None:
    first = _run("mock:echo", suite50, store)
    manifest = store.get_run(first.run_id).manifest
    manifest["process"] = {"host": socket.gethostname(), "pid": os.getppid()}  # alive
    store.update_run(first.run_id, status="running", manifest=manifest)
    with pytest.raises(RunError, match="still running"):
        resume_run(first.run_id, store=store)


def test_resume_takes_over_a_run_whose_process_is_gone(store: Store, suite50: str) -> None:
    first = _run("mock:echo", suite50, store)
    manifest = store.get_run(first.run_id).manifest
    manifest["process"] = {"host": "some-other-host", "pid": os.getppid()}
    store.update_run(first.run_id, status="running", manifest=manifest)
    again = resume_run(first.run_id, store=store, show_progress=False)
    assert again.status == "completed"
    assert store.get_run(first.run_id).manifest["process"]["pid"] == os.getpid()


def test_bad_model_spec_creates_no_run(store: Store, suite50: str) -> None:
    with pytest.raises(UnknownNameError, match="mock behaviour"):
        _run("mock:echoo", suite50, store)
    with pytest.raises(UnknownNameError, match="model prefix"):
        _run("nosuchvendor:model", suite50, store)
    assert store.list_runs() == []


def test_bad_suite_creates_no_run(store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a"}\n', encoding="utf-8")
    with pytest.raises(SuiteError):
        _run("mock:echo", str(bad), store)
    assert store.list_runs() == []


def test_builtin_sample_suite(store: Store) -> None:
    result = _run("mock:comply-all", "sample", store)
    assert (result.status, result.items, result.completed) == ("completed", 40, 40)
