"""Suites, runs, outcomes and responses in the store (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from tianping.core import RunError, StoreError, UnknownNameError
from tianping.store import ItemOutcome, RunRecord, Store, SuiteRecord
from tianping.store._tables import responses, run_items, suite_items, suites


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store.open(store_url) as s:
        yield s


def _suite(h: str = "sha256:aa", n: int = 3) -> SuiteRecord:
    return SuiteRecord(
        hash=h, name="demo", version="1", source="/x/demo.jsonl", manifest={"k": "文"}, n_items=n
    )


def _items(n: int, prefix: str = "i") -> list[tuple[str, str]]:
    return [
        (f"{prefix}{i}", json.dumps({"id": f"{prefix}{i}", "prompt": f"p{i}"})) for i in range(n)
    ]


def _run(run_id: str, suite_hash: str = "sha256:aa", created: float | None = None) -> RunRecord:
    return RunRecord(
        id=run_id,
        status="running",
        model_spec="mock:echo",
        suite_hash=suite_hash,
        suite_name="demo",
        n_items=3,
        manifest={"engine": {"concurrency": 4}},
        created_at=created if created is not None else time.time(),
    )


def _response(key: str, text: str) -> dict[str, Any]:
    return {
        "key": key,
        "model": "mock:echo",
        "text": text,
        "finish_reason": "stop",
        "refused_by_service": False,
        "vendor_code": None,
        "prompt_tokens": 1,
        "completion_tokens": 1,
        "latency_ms": 1.0,
        "reported_model": "m",
        "system_fingerprint": None,
    }


def _done(run_id: str, item: str, pos: int, key: str, text: str | None = None) -> ItemOutcome:
    resp = _response(key, text) if text is not None else None
    return ItemOutcome(run_id, item, pos, key, "done", attempts=1, response=resp)


def _failed(run_id: str, item: str, pos: int, key: str) -> ItemOutcome:
    return ItemOutcome(run_id, item, pos, key, "failed", attempts=3, error="ServerError: boom")


def _count(store: Store, table: Any, *where: Any) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar())


# -- suites ----------------------------------------------------------------------------------


def test_save_and_get_suite(store: Store) -> None:
    assert not store.has_suite("sha256:aa")
    store.save_suite(_suite(), _items(3))
    assert store.has_suite("sha256:aa")
    rec = store.get_suite("sha256:aa")
    assert rec == _suite()
    pages = list(store.iter_suite_items("sha256:aa"))
    assert [(p, i) for p, i, _ in pages[0]] == [(0, "i0"), (1, "i1"), (2, "i2")]
    assert json.loads(pages[0][1][2]) == {"id": "i1", "prompt": "p1"}


def test_get_unknown_suite_is_run_error(store: Store) -> None:
    with pytest.raises(RunError, match="not in the store"):
        store.get_suite("sha256:nope")


def test_save_suite_is_atomic(store: Store) -> None:
    def broken() -> Iterator[tuple[str, str]]:
        yield from _items(5)
        raise ValueError("file changed while reading")

    with pytest.raises(ValueError, match="file changed"):
        store.save_suite(_suite(), broken())
    assert not store.has_suite("sha256:aa")
    assert _count(store, suites) == 0
    assert _count(store, suite_items) == 0
    store.save_suite(_suite(n=3), _items(3))  # a later save works
    assert _count(store, suite_items) == 3


def test_save_suite_is_atomic_across_batches(store: Store) -> None:
    # More than one INSERT batch (2000 rows each) before the failure.
    def broken() -> Iterator[tuple[str, str]]:
        yield from _items(4500)
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        store.save_suite(_suite(n=4500), broken())
    assert _count(store, suite_items) == 0
    assert not store.has_suite("sha256:aa")


def test_save_suite_is_idempotent(store: Store) -> None:
    store.save_suite(_suite(), _items(3))
    store.save_suite(_suite(), _items(3))
    store.save_suite(_suite(), _items(7, prefix="other"))  # same hash: ignored
    assert _count(store, suites) == 1
    assert _count(store, suite_items) == 3
    ids = [i for page in store.iter_suite_items("sha256:aa") for _, i, _ in page]
    assert ids == ["i0", "i1", "i2"]


def test_iter_suite_items_pages_in_order(store: Store) -> None:
    store.save_suite(_suite(n=25), _items(25))
    store.save_suite(_suite("sha256:bb", n=4), _items(4, prefix="b"))
    pages = list(store.iter_suite_items("sha256:aa", page=10))
    assert [len(p) for p in pages] == [10, 10, 5]
    flat = [row for p in pages for row in p]
    assert [r[0] for r in flat] == list(range(25))
    assert [r[1] for r in flat] == [f"i{i}" for i in range(25)]
    assert list(store.iter_suite_items("sha256:none")) == []


def test_iter_suite_items_smaller_first_page(store: Store) -> None:
    store.save_suite(_suite(n=25), _items(25))
    pages = list(store.iter_suite_items("sha256:aa", page=10, first_page=3))
    assert [len(p) for p in pages] == [3, 10, 10, 2]
    assert [r[0] for p in pages for r in p] == list(range(25))


def test_iter_suite_items_exact_multiple_of_page(store: Store) -> None:
    store.save_suite(_suite(n=20), _items(20))
    assert [len(p) for p in store.iter_suite_items("sha256:aa", page=10)] == [10, 10]


# -- runs ------------------------------------------------------------------------------------


def test_create_get_update_run(store: Store) -> None:
    store.save_suite(_suite(), _items(3))
    store.create_run(_run("20260101-000000-aaaaaa"))
    rec = store.get_run("20260101-000000-aaaaaa")
    assert rec.status == "running"
    assert rec.model_spec == "mock:echo"
    assert rec.manifest == {"engine": {"concurrency": 4}}
    assert (rec.completed, rec.failed, rec.cache_hits, rec.requests_sent) == (0, 0, 0, 0)
    assert rec.finished_at is None
    store.update_run(
        rec.id,
        status="completed",
        finished_at=123.5,
        error="none",
        requests_sent=7,
        manifest={"x": [1, 2]},
    )
    rec = store.get_run(rec.id)
    assert (rec.status, rec.finished_at, rec.error, rec.requests_sent) == (
        "completed",
        123.5,
        "none",
        7,
    )
    assert rec.manifest == {"x": [1, 2]}


def test_create_run_needs_stored_suite(store: Store) -> None:
    with pytest.raises(StoreError):
        store.create_run(_run("r-orphan", suite_hash="sha256:missing"))


def test_create_run_twice_is_store_error(store: Store) -> None:
    store.save_suite(_suite(), _items(3))
    store.create_run(_run("r1"))
    with pytest.raises(StoreError):
        store.create_run(_run("r1"))


def test_list_runs_newest_first_with_counts(store: Store) -> None:
    store.save_suite(_suite(), _items(3))
    for n, rid in enumerate(["r-old", "r-mid", "r-new"]):
        store.create_run(_run(rid, created=1000.0 + n))
    store.write_outcomes([_done("r-mid", "i0", 0, "k0", "a"), _failed("r-mid", "i1", 1, "k1")])
    runs = store.list_runs()
    assert [r.id for r in runs] == ["r-new", "r-mid", "r-old"]
    mid = runs[1]
    assert (mid.completed, mid.failed) == (1, 1)
    assert [r.id for r in store.list_runs(limit=2)] == ["r-new", "r-mid"]


def test_list_runs_empty(store: Store) -> None:
    assert store.list_runs() == []


def test_resolve_run_id(store: Store) -> None:
    store.save_suite(_suite(), _items(3))
    for rid in ["20260101-000000-aaaaaa", "20260101-000000-abbbbb", "20260202-000000-cccccc"]:
        store.create_run(_run(rid))
    assert store.resolve_run_id("20260101-000000-aaaaaa") == "20260101-000000-aaaaaa"
    assert store.resolve_run_id("20260101-000000-aa") == "20260101-000000-aaaaaa"
    assert store.resolve_run_id("202602") == "20260202-000000-cccccc"
    assert store.get_run("202602").id == "20260202-000000-cccccc"
    with pytest.raises(RunError, match="ambiguous") as amb:
        store.resolve_run_id("20260101")
    assert "20260101-000000-aaaaaa" in str(amb.value)
    assert "20260101-000000-abbbbb" in str(amb.value)
    with pytest.raises(UnknownNameError, match="Unknown run '20260303'") as unk:
        store.resolve_run_id("20260303")
    assert isinstance(unk.value, UnknownNameError)
    with pytest.raises(UnknownNameError, match="Did you mean"):
        store.get_run("20260202-000000-ccccc0")


def test_resolve_run_id_when_one_id_prefixes_another(store: Store) -> None:
    store.save_suite(_suite(), _items(3))
    store.create_run(_run("abc"))
    store.create_run(_run("abcdef"))
    assert store.resolve_run_id("abc") == "abc"


@pytest.mark.parametrize("given", ["2026010_", "%", "_0260101", "2026%aaaaaa"])
def test_resolve_run_id_treats_like_wildcards_literally(store: Store, given: str) -> None:
    # No run id starts with these characters; they must not act as SQL LIKE wildcards.
    store.save_suite(_suite(), _items(3))
    store.create_run(_run("20260101-000000-aaaaaa"))
    with pytest.raises(UnknownNameError):
        store.resolve_run_id(given)


# -- outcomes and responses ------------------------------------------------------------------


@pytest.fixture
def run_store(store: Store) -> Store:
    store.save_suite(_suite(), _items(3))
    store.create_run(_run("r1"))
    return store


def test_write_outcomes_stores_answers(run_store: Store) -> None:
    s = run_store
    s.write_outcomes(
        [_done("r1", "i0", 0, "k0", "zero"), _done("r1", "i1", 1, "k1", "one")],
        {"requests_sent": 2, "retries": 1},
    )
    rec = s.get_run("r1")
    assert (rec.completed, rec.failed, rec.requests_sent, rec.retries) == (2, 0, 2, 1)
    rows = list(s.iter_run_responses("r1"))
    assert [(r.item_id, r.status, r.text) for r in rows] == [
        ("i0", "done", "zero"),
        ("i1", "done", "one"),
    ]
    assert rows[0].refused_by_service is False or rows[0].refused_by_service == 0
    assert rows[0].reported_model == "m"


def test_failed_item_later_done_is_counted_once(run_store: Store) -> None:
    s = run_store
    s.write_outcomes([_failed("r1", "i0", 0, "k0"), _done("r1", "i1", 1, "k1", "one")])
    rec = s.get_run("r1")
    assert (rec.completed, rec.failed) == (1, 1)
    s.write_outcomes([_done("r1", "i0", 0, "k0", "zero")])
    rec = s.get_run("r1")
    assert (rec.completed, rec.failed) == (2, 0)
    assert _count(s, run_items, run_items.c.run_id == "r1") == 2
    rows = {r.item_id: r for r in s.iter_run_responses("r1")}
    assert rows["i0"].status == "done"
    assert rows["i0"].error is None
    assert rows["i0"].text == "zero"
    assert rows["i0"].attempts == 1


def test_failed_outcome_has_no_response(run_store: Store) -> None:
    run_store.write_outcomes([_failed("r1", "i2", 2, "k2")])
    (row,) = list(run_store.iter_run_responses("r1"))
    assert row.status == "failed"
    assert row.text is None
    assert row.error == "ServerError: boom"
    assert row.attempts == 3
    assert run_store.cached_keys(["k2"]) == set()


def test_duplicate_response_keys_are_ignored(run_store: Store) -> None:
    s = run_store
    # Two items with the same request in one batch, and again in a later batch.
    s.write_outcomes([_done("r1", "i0", 0, "same", "first"), _done("r1", "i1", 1, "same", "2nd")])
    s.write_outcomes([_done("r1", "i2", 2, "same", "third")])
    assert _count(s, responses) == 1
    assert [r.text for r in s.iter_run_responses("r1")] == ["first", "first", "first"]
    assert s.get_run("r1").completed == 3


def test_cached_outcome_counts_as_cache_hit(run_store: Store) -> None:
    s = run_store
    s.write_outcomes([_done("r1", "i0", 0, "k0", "zero")])
    s.write_outcomes([ItemOutcome("r1", "i1", 1, "k0", "done", cached=True)])
    rec = s.get_run("r1")
    assert (rec.completed, rec.cache_hits) == (2, 1)
    texts = [(r.item_id, r.text, bool(r.cached)) for r in s.iter_run_responses("r1")]
    assert texts == [("i0", "zero", False), ("i1", "zero", True)]


def test_cached_keys_and_done_item_ids(run_store: Store) -> None:
    s = run_store
    s.write_outcomes([_done("r1", "i0", 0, "k0", "a"), _failed("r1", "i1", 1, "k1")])
    assert s.cached_keys(["k0", "k1", "k9"]) == {"k0"}
    assert s.cached_keys([]) == set()
    assert s.done_item_ids("r1", ["i0", "i1", "i2"]) == {"i0"}
    assert s.done_item_ids("r-other", ["i0"]) == set()


def test_cached_keys_and_done_ids_beyond_one_chunk(store: Store) -> None:
    n = 1203  # more than two IN (...) chunks of 500
    store.save_suite(_suite(n=n), _items(n))
    store.create_run(_run("big"))
    outcomes = [_done("big", f"i{i}", i, f"key{i}", f"t{i}") for i in range(0, n, 2)]
    store.write_outcomes(outcomes)
    keys = [f"key{i}" for i in range(n)]
    assert store.cached_keys(keys) == {f"key{i}" for i in range(0, n, 2)}
    ids = [f"i{i}" for i in range(n)]
    assert store.done_item_ids("big", ids) == {f"i{i}" for i in range(0, n, 2)}


def test_iter_run_responses_pages_in_item_order(run_store: Store) -> None:
    s = run_store
    # Written out of order; read back by position, across pages.
    s.write_outcomes([_done("r1", "i2", 2, "k2", "c"), _done("r1", "i0", 0, "k0", "a")])
    s.write_outcomes([_done("r1", "i1", 1, "k1", "b")])
    rows = list(s.iter_run_responses("r1", page=2))
    assert [r.position for r in rows] == [0, 1, 2]
    assert [r.text for r in rows] == ["a", "b", "c"]


def test_outcome_for_unknown_run_is_store_error(run_store: Store) -> None:
    with pytest.raises(StoreError, match="Database error"):
        run_store.write_outcomes([_done("no-such-run", "i0", 0, "k0", "a")])
