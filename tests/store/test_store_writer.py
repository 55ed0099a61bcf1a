"""OutcomeWriter: a background thread committing outcomes in small batches."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tianping.core import StoreError
from tianping.store import ItemOutcome, OutcomeWriter, RunRecord, Store, SuiteRecord


def _outcome(run_id: str, i: int) -> ItemOutcome:
    key = f"key-{i}"
    return ItemOutcome(
        run_id,
        f"i{i}",
        i,
        key,
        "done",
        attempts=1,
        response={
            "key": key,
            "model": "mock:echo",
            "text": f"answer {i}",
            "finish_reason": "stop",
            "refused_by_service": False,
            "vendor_code": None,
            "prompt_tokens": 1,
            "completion_tokens": 1,
            "latency_ms": 1.0,
            "reported_model": None,
            "system_fingerprint": None,
        },
    )


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store.open(store_url) as s:
        s.save_suite(
            SuiteRecord("sha256:w", "w", "1", "src", {}, 20),
            [(f"i{i}", "{}") for i in range(20)],
        )
        s.create_run(RunRecord("r1", "running", "mock:echo", "sha256:w", "w", 20, {}, time.time()))
        yield s


def test_writer_commits_within_max_delay(store: Store, store_url: str) -> None:
    writer = OutcomeWriter(store, max_delay=0.05)
    try:
        for i in range(10):
            writer.put(_outcome("r1", i))
        time.sleep(0.3)
        # A second, independent store sees them before close(): they are committed.
        with Store.open(store_url) as other:
            rec = other.get_run("r1")
            assert rec.completed == 10
            texts = [r.text for r in other.iter_run_responses("r1")]
            assert texts == [f"answer {i}" for i in range(10)]
        assert writer.written == 10
    finally:
        writer.close()


def test_writer_close_flushes_everything(store: Store) -> None:
    writer = OutcomeWriter(store, max_delay=0.2)
    for i in range(20):
        writer.put(_outcome("r1", i))
    writer.close()
    assert writer.written == 20
    assert store.get_run("r1").completed == 20


def test_writer_batches(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    sizes: list[int] = []
    real = store.write_outcomes

    def spy(outcomes: list[ItemOutcome], counters: object = None, **kw: bool) -> None:
        sizes.append(len(outcomes))
        real(outcomes, counters, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "write_outcomes", spy)
    writer = OutcomeWriter(store, max_delay=0.2, max_batch=4)
    for i in range(10):
        writer.put(_outcome("r1", i))
    writer.close()
    assert sum(sizes) == 10
    assert max(sizes) <= 4
    assert len(sizes) < 10, f"not batched: {sizes}"


def test_writer_updates_run_counters(store: Store) -> None:
    n = {"sent": 0}
    writer = OutcomeWriter(store, run_counters=lambda: {"requests_sent": n["sent"], "retries": 2})
    n["sent"] = 5
    writer.put(_outcome("r1", 0))
    writer.close()
    rec = store.get_run("r1")
    assert (rec.requests_sent, rec.retries) == (5, 2)


def test_writer_failure_surfaces_on_close(store: Store) -> None:
    writer = OutcomeWriter(store, max_delay=0.01)
    writer.put(_outcome("no-such-run", 0))  # violates the foreign key to runs
    with pytest.raises(StoreError, match="Writing responses failed"):
        writer.close()
    assert writer.failed is not None


def test_writer_failure_surfaces_on_next_put(store: Store) -> None:
    writer = OutcomeWriter(store, max_delay=0.01)
    writer.put(_outcome("no-such-run", 0))
    deadline = time.monotonic() + 5
    while writer.failed is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert writer.failed is not None
    with pytest.raises(StoreError, match="Writing responses failed"):
        writer.put(_outcome("r1", 1))
    with pytest.raises(StoreError):
        writer.close()
