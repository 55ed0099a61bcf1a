"""A server that never answers is reported at once, not after every item's back-off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import free_port, write_suite
from tianping.engine import Backoff, EngineConfig, start_run
from tianping.store import Store

pytestmark = pytest.mark.network


def test_unreachable_server_stops_the_run_quickly(tmp_path: Path, db_url: str) -> None:
    suite = write_suite(tmp_path / "s.jsonl", 30)
    port = free_port()  # nothing listens here
    config = EngineConfig(concurrency=4, backoff=Backoff(base=0.01, cap=0.05, max_attempts=8))
    with Store.open(db_url) as store:
        result = start_run(
            f"openai-compat:m@http://127.0.0.1:{port}/v1", str(suite), store=store, config=config
        )
        record = store.get_run(result.run_id)
    assert result.status == "failed"
    assert f"127.0.0.1:{port}" in (result.error or "")
    # Stopped after a few tries of the first items, not 30 items x 8 attempts.
    assert result.requests_sent < 30
    assert record.status == "failed"
    assert record.completed == 0


def test_connect_errors_after_answers_are_retried_not_fatal() -> None:
    from tianping.core import ConnectError
    from tianping.engine._scheduler import Pipeline

    pipeline = Pipeline.__new__(Pipeline)
    pipeline._answered = True
    assert not pipeline._unreachable(ConnectError("refused"), attempt=5)
    pipeline._answered = False
    assert not pipeline._unreachable(ConnectError("refused"), attempt=2)
    assert pipeline._unreachable(ConnectError("refused"), attempt=3)


def test_slow_http_server_times_out_through_the_adapter(
    tmp_path: Path, db_url: str, mockserver: Any
) -> None:
    # The OpenAI-compatible adapter enforces the engine's timeout in its HTTP client.
    server = mockserver(latency_ms=3000)
    suite = write_suite(tmp_path / "s.jsonl", 4)
    config = EngineConfig(
        concurrency=4, timeout=0.3, backoff=Backoff(base=0.01, cap=0.05, max_attempts=2)
    )
    with Store.open(db_url) as store:
        result = start_run(server.spec, str(suite), store=store, config=config)
    assert result.status == "incomplete"
    assert result.errors == {"RequestTimeout": 8}
    assert result.wall_s < 3
