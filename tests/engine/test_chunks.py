"""Chunks of a distributed run, executed here without Ray: the work one worker does.

A chunk sends its items through the resuming pipeline and adds its request
counters to the run's; running a chunk again sends nothing.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import MockServer, free_port, run_cli, write_suite
from tianping.core import ConfigError
from tianping.engine import (
    Chunk,
    EngineConfig,
    ExecutorSpec,
    plan_chunks,
    prepare_run,
    run_chunk,
)
from tianping.engine._chunks import share
from tianping.engine._ray import _check_reach, import_ray, worker_store_url
from tianping.engine._runs import close_adapter
from tianping.store import Store


def test_plan_chunks_covers_every_position_once() -> None:
    chunks = plan_chunks("r", 1001, 200)
    assert [(c.start, c.stop) for c in chunks] == [
        (0, 200),
        (200, 400),
        (400, 600),
        (600, 800),
        (800, 1000),
        (1000, 1001),
    ]
    assert sum(c.size for c in chunks) == 1001
    assert plan_chunks("r", 0, 200) == []
    assert plan_chunks("r", 5, 200) == [Chunk("r", 0, 5)]
    with pytest.raises(ValueError, match="at least 1"):
        plan_chunks("r", 5, 0)


def test_share_splits_the_run_limits_among_workers() -> None:
    config = EngineConfig(concurrency=16, requests_per_second=10.0, tokens_per_minute=60_000)
    part = share(config, 3)
    assert part.concurrency == 6  # 3 x 6 >= 16: never below what one worker would get
    assert part.requests_per_second == pytest.approx(10 / 3)
    assert part.tokens_per_minute == pytest.approx(20_000)
    assert share(config, 1) == dataclasses.replace(config, burst=False)
    assert not part.burst  # a chunk's buckets start empty: no burst at each chunk's start
    assert share(EngineConfig(concurrency=2), 8).concurrency == 1
    assert share(EngineConfig(), 4).requests_per_second is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "spark"}, "Unknown executor 'spark'; known: local, ray"),
        ({"address": "10.0.0.1:6379"}, "--address names a Ray cluster: add --executor ray"),
        ({"kind": "ray", "workers": 0}, "--workers must be at least 1"),
        ({"kind": "ray", "chunk_size": 0}, "--chunk-size must be at least 1"),
        ({"kind": "ray", "chunk_cpus": 0}, "--chunk-cpus must be between 0.01 and 64"),
    ],
)
def test_executor_spec_rejects_bad_settings(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ExecutorSpec(**kwargs)


def test_missing_ray_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    with pytest.raises(ConfigError, match=r"pip install 'tianping\[scale\]'"):
        import_ray()


def test_worker_store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with Store.open("sqlite:///rel.db") as store:
        assert worker_store_url(store) == f"sqlite:///{tmp_path / 'rel.db'}"
    with Store.open("sqlite://") as store, pytest.raises(ConfigError, match="in-memory"):
        worker_store_url(store)


class _Nodes:
    """What ``_check_reach`` reads of a cluster: this node's address and the live nodes."""

    def __init__(self, here: str, nodes: list[dict[str, Any]]) -> None:
        self.util = type("util", (), {"get_node_ip_address": staticmethod(lambda: here)})
        self._nodes = nodes

    def nodes(self) -> list[dict[str, Any]]:
        return self._nodes


def test_sqlite_refused_when_workers_are_on_other_machines(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path}/t.db") as store:
        one = _Nodes("10.0.0.1", [{"NodeManagerAddress": "10.0.0.1", "Alive": True}])
        _check_reach(one, store)  # every worker here: the file is shared
        dead = {"NodeManagerAddress": "10.0.0.9", "Alive": False}
        _check_reach(_Nodes("10.0.0.1", [*one.nodes(), dead]), store)
        two = _Nodes("10.0.0.1", [*one.nodes(), {"NodeManagerAddress": "10.0.0.2", "Alive": True}])
        with pytest.raises(ConfigError, match=r"workers on 10\.0\.0\.2.*postgresql://"):
            _check_reach(two, store)


def test_chunks_fill_a_run_once_and_add_their_counters(
    store_url: str, mockserver: Callable[..., MockServer], tmp_path: Path
) -> None:
    server = mockserver(latency_ms=5)
    suite = write_suite(tmp_path / "s.jsonl", 50)
    config = EngineConfig(concurrency=4)
    with Store.open(store_url) as store:
        run = prepare_run(server.spec, str(suite), store=store, config=config)
        close_adapter(run)
        results = [run_chunk(store_url, c, config) for c in plan_chunks(run.run_id, 50, 20)]
        assert [r.counters.completed for r in results] == [20, 20, 10]
        assert sum(r.counters.requests_sent for r in results) == 50
        rec = store.get_run(run.run_id)
        assert (rec.completed, rec.failed, rec.requests_sent) == (50, 0, 50)
        # Again (a retried chunk): every item is already stored, nothing is sent.
        again = run_chunk(store_url, Chunk(run.run_id, 0, 50), config)
        done = again.counters
        assert (done.already_done, done.completed, done.requests_sent) == (50, 0, 0)
        assert store.get_run(run.run_id).requests_sent == 50
    assert server.stats()["requests"] == 50


def test_no_cluster_at_the_address_is_a_quick_clear_error(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/t.db"
    address = f"127.0.0.1:{free_port()}"  # nothing listens there
    started = time.monotonic()
    done = run_cli(
        "run", "-m", "mock:echo", "-s", "sample", "--executor", "ray", "--address", address,
        "--db", db,
    )  # fmt: skip
    assert time.monotonic() - started < 30  # Ray alone would keep trying for minutes
    assert done.returncode == 6, done.stderr
    assert f"No Ray cluster answers at {address}" in done.stderr
    assert "ray start --head" in done.stderr
    with Store.open(db) as store:
        [run] = store.list_runs(5)
    assert (run.status, run.completed) == ("failed", 0)  # marked, to be resumed
    assert "No Ray cluster" in (run.error or "")
    done = run_cli("run", "-m", "mock:echo", "-s", "sample", "--executor", "ray",
                   "--address", "nohost", "--db", db)  # fmt: skip
    assert done.returncode == 2
    assert "--address takes HOST:PORT" in done.stderr


def test_a_chunk_stops_when_the_driver_marks_its_run(
    mockserver: Callable[..., MockServer], tmp_path: Path
) -> None:
    import threading

    server = mockserver(latency_ms=100, slots=4)
    suite = write_suite(tmp_path / "s.jsonl", 200)  # 5 s of work at 4 in flight
    db = f"sqlite:///{tmp_path}/t.db"
    config = EngineConfig(concurrency=4)
    with Store.open(db) as store:
        run = prepare_run(server.spec, str(suite), store=store, config=config)
        close_adapter(run)
        results: list[Any] = []
        worker = threading.Thread(
            target=lambda: results.append(run_chunk(db, Chunk(run.run_id, 0, 200), config))
        )
        worker.start()
        time.sleep(1.0)
        store.update_run(run.run_id, status="interrupted")
        stopped_at = time.monotonic()
        worker.join(10)
        assert time.monotonic() - stopped_at < 2  # seen within the 0.5 s poll
        [result] = results
        assert result.stopped
        assert 0 < result.counters.completed < 200
        assert store.get_run(run.run_id).completed == result.counters.completed  # all stored
