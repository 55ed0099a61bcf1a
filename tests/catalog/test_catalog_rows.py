"""The catalog listing: filters and keyset pagination in SQL, with many rows."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from _catalog_helpers import add_assessment

from tianping.catalog import CatalogRow, add_model, catalog_rows, ensure_model, take_fingerprint
from tianping.core import ConfigError, UnknownNameError
from tianping.store import Store
from tianping.store._tables import assessments, model_records

DAY = 86400.0
NOV_1 = datetime(2026, 11, 1, tzinfo=UTC).timestamp()


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store.open(store_url) as s:
        yield s


def _specs(rows: list[CatalogRow]) -> list[str]:
    return [r.model.spec for r in rows]


@pytest.fixture
def small(store: Store) -> Store:
    """Four described models, one bare one, and assessments on two profiles."""
    add_model(store, "mock:a", vendor="阿里云", name="通义千问", version="plus")
    add_model(store, "mock:b", vendor="DeepSeek", name="DeepSeek", version="V3")
    add_model(store, "mock:c", vendor="deepseek", name="DeepSeek", version="R1")
    add_model(store, "mock:d", vendor="Zhipu", name="GLM", version="4")
    ensure_model(store, "mock:bare")
    # mock:a conformed once, and its latest tc260 verdict says it does not
    add_assessment(store, "mock:a", "tc260", "conforms", created=NOV_1, finished=NOV_1 + 100)
    add_assessment(
        store,
        "mock:a",
        "tc260",
        "does_not_conform",
        created=NOV_1 + 2 * DAY,
        finished=NOV_1 + 2 * DAY,
    )
    add_assessment(store, "mock:b", "tc260", "conforms", created=NOV_1 + DAY, finished=NOV_1 + DAY)
    add_assessment(store, "mock:b", "fitness", "inconclusive", created=NOV_1, finished=NOV_1 + 10)
    add_assessment(store, "mock:c", "fitness", "conforms", created=NOV_1 + 5 * DAY)
    return store


def test_every_model_is_listed_by_vendor_name_version(small: Store) -> None:
    page = catalog_rows(small)
    assert page.next_cursor is None
    specs = _specs(page.rows)
    assert set(specs) == {"mock:a", "mock:b", "mock:c", "mock:d", "mock:bare"}
    assert specs[0] == "mock:bare"  # no vendor sorts first
    rows = {r.model.spec: r for r in page.rows}
    assert set(rows["mock:b"].verdicts) == {"tc260", "fitness"}
    assert rows["mock:a"].verdicts["tc260"].conclusion == "does_not_conform"
    assert rows["mock:d"].verdicts == {}
    assert rows["mock:d"].fingerprint is None


def test_filters(small: Store) -> None:
    def specs(**kw: object) -> set[str]:
        return set(_specs(catalog_rows(small, **kw).rows))  # type: ignore[arg-type]

    assert specs(vendor="deepseek") == {"mock:b", "mock:c"}  # any case
    assert specs(vendor="Nobody") == set()
    assert specs(profile="tc260") == {"mock:a", "mock:b"}
    assert specs(verdict="conforms") == {"mock:b", "mock:c"}  # mock:a's latest is a fail
    assert specs(verdict="does_not_conform") == {"mock:a"}
    # profile and verdict apply to the same (latest) assessment
    assert specs(profile="fitness", verdict="conforms") == {"mock:c"}
    assert specs(profile="tc260", verdict="inconclusive") == set()
    assert specs(vendor="DeepSeek", verdict="inconclusive") == {"mock:b"}
    # dates bound when the latest assessment finished; a date covers the whole day (UTC)
    assert specs(since=date(2026, 11, 3)) == {"mock:a", "mock:c"}
    assert specs(since="2026-11-03", until="2026-11-03") == {"mock:a"}
    assert specs(until=date(2026, 11, 1)) == {"mock:b"}  # its fitness verdict on Nov 1
    assert specs(profile="tc260", until="2026-11-01") == set()
    assert specs(since=NOV_1 + 5 * DAY) == {"mock:c"}
    assert specs(until=datetime(2026, 11, 1, 0, 0, 10)) == {"mock:b"}  # naive = UTC
    assert specs(until=datetime(2026, 11, 1, 0, 0, 9)) == set()


def test_stale_and_current_filters(store: Store) -> None:
    take_fingerprint(store, "mock:echo")
    time.sleep(0.01)
    add_assessment(store, "mock:echo", "tc260", "conforms", created=time.time())
    add_assessment(store, "mock:echo", "fitness", "conforms", created=time.time())
    ensure_model(store, "mock:refuse-all")
    add_assessment(store, "mock:refuse-all", "tc260", "conforms", created=time.time())
    time.sleep(0.01)
    take_fingerprint(store, "mock:echo", via="mock:echo?model=v2")
    time.sleep(0.01)
    add_assessment(store, "mock:echo", "fitness", "conforms", created=time.time())
    assert _specs(catalog_rows(store, stale=True).rows) == ["mock:echo"]
    assert _specs(catalog_rows(store, profile="fitness", stale=True).rows) == []
    assert set(_specs(catalog_rows(store, stale=False).rows)) == {"mock:echo", "mock:refuse-all"}
    row = catalog_rows(store, vendor="").rows[0]
    assert row.model.spec == "mock:echo"
    assert row.verdicts["tc260"].stale
    assert not row.verdicts["fitness"].stale
    assert row.fingerprint is not None
    assert row.fingerprint.changed
    assert row.fingerprint.reported_models == ("v2",)
    assert row.to_json()["fingerprint"]["reported_models"] == ["v2"]


def test_bad_arguments(small: Store) -> None:
    with pytest.raises(UnknownNameError, match="Unknown verdict 'pass'"):
        catalog_rows(small, verdict="pass")
    with pytest.raises(ConfigError, match="limit must be between 1 and 500"):
        catalog_rows(small, limit=0)
    with pytest.raises(ConfigError, match="Invalid cursor"):
        catalog_rows(small, cursor="not-a-cursor")
    with pytest.raises(ConfigError, match="Invalid cursor"):
        catalog_rows(small, cursor="WzEsMiwzXQ")  # [1,2,3]: base64 JSON of the wrong shape
    with pytest.raises(ConfigError, match="since 'yesterday' is not a date"):
        catalog_rows(small, since="yesterday")


def _bulk(store: Store, n_models: int, vendors: int = 7) -> None:
    now = time.time()
    models = [
        {
            "spec": f"mock:m{i:05d}",
            "vendor": f"厂商{i % vendors}",
            "name": f"model-{i % 13}",
            "version": f"v{i % 5}",
            "notes": "",
            "created_at": now,
            "updated_at": now,
        }
        for i in range(n_models)
    ]
    rows = []
    for i in range(n_models):
        for j, profile in enumerate(("tc260", "fitness")):
            if (i + j) % 3 == 0:
                continue
            verdict = ("conforms", "does_not_conform", "inconclusive")[(i // 3 + j) % 3]
            rows.append(
                {
                    "id": f"b{i:05d}{j}",
                    "status": "completed",
                    "model_spec": f"mock:m{i:05d}",
                    "profile": profile,
                    "profile_hash": "sha256:x",
                    "params": "{}",
                    "conclusion": verdict,
                    "created_at": NOV_1 + i,
                    "finished_at": NOV_1 + i + 60,
                }
            )
    with store.engine.begin() as conn:
        conn.execute(model_records.insert(), models)
        conn.execute(assessments.insert(), rows)


def _all_pages(
    store: Store, limit: int, cursor: str | None = None, **kw: object
) -> tuple[list[CatalogRow], int]:
    seen: list[CatalogRow] = []
    pages = 0
    while True:
        page = catalog_rows(store, limit=limit, cursor=cursor, **kw)  # type: ignore[arg-type]
        pages += 1
        assert len(page.rows) <= limit
        seen.extend(page.rows)
        if page.next_cursor is None:
            return seen, pages
        assert len(page.rows) == limit
        cursor = page.next_cursor


def test_paging_through_many_models_sees_each_once_in_order(store: Store) -> None:
    n = 1234
    _bulk(store, n)
    rows, pages = _all_pages(store, 100)
    assert pages == 13
    specs = _specs(rows)
    assert len(specs) == len(set(specs)) == n
    keys = [(r.model.vendor, r.model.name, r.model.version, r.model.id) for r in rows]
    if store.dialect == "sqlite":  # PostgreSQL orders text by the database's collation
        assert keys == sorted(keys)
    one_page = catalog_rows(store, limit=500)
    assert _specs(one_page.rows) == specs[:500]  # the same order, however it is cut
    # filtered paging agrees with filtering the whole list
    want = {
        r.model.spec
        for r in rows
        if "tc260" in r.verdicts and r.verdicts["tc260"].conclusion == "conforms"
    }
    got, _ = _all_pages(store, 37, profile="tc260", verdict="conforms")
    assert _specs(got) == [s for s in specs if s in want]
    assert len(want) > 100
    vendor, _ = _all_pages(store, 50, vendor="厂商3")
    assert {r.model.vendor for r in vendor} == {"厂商3"}
    assert len(vendor) == len([r for r in rows if r.model.vendor == "厂商3"])


def test_a_model_added_while_paging_does_not_shift_the_pages(store: Store) -> None:
    _bulk(store, 60, vendors=3)
    first = catalog_rows(store, limit=20)
    add_model(store, "mock:new", vendor="厂商0", name="aaa", version="0")  # sorts before the cut
    rest, _ = _all_pages(store, 20, cursor=first.next_cursor)
    specs = _specs(first.rows) + _specs(rest)
    assert len(specs) == len(set(specs))
    assert len([s for s in specs if s != "mock:new"]) == 60
