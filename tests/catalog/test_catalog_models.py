"""Model records: add, complete, change, validate and list (SQLite, and PostgreSQL when set)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from _catalog_helpers import add_assessment

from tianping.catalog import add_model, ensure_model, get_model, sync_catalog, update_model
from tianping.core import ConfigError, UnknownNameError
from tianping.store import Store


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store.open(store_url) as s:
        yield s


def test_add_then_get_and_update(store: Store) -> None:
    rec = add_model(
        store,
        " qwen:qwen-plus ",
        vendor="阿里云",
        name="通义千问 Plus",
        version="2025-09",
        release_date="2025-09-11",
        filing_number="Beijing-TongYiQianWen-20230725",
        filing_status="filed",
        endpoint="https://dashscope.aliyuncs.com/compatible-mode/v1",
    )
    assert rec.spec == "qwen:qwen-plus"
    assert (rec.vendor, rec.name, rec.filing_status) == ("阿里云", "通义千问 Plus", "filed")
    assert get_model(store, "qwen:qwen-plus") == rec
    changed = update_model(store, "qwen:qwen-plus", version="2025-12", endpoint="")
    assert changed.version == "2025-12"
    assert changed.endpoint is None  # "" clears an optional field
    assert changed.filing_number == rec.filing_number
    assert changed.updated_at >= rec.updated_at
    assert changed.created_at == rec.created_at


def test_adding_a_described_model_twice_is_an_error_but_completing_one_is_not(
    store: Store,
) -> None:
    bare = ensure_model(store, "mock:echo")
    assert not bare.described
    assert (bare.vendor, bare.name, bare.version) == ("", "", "")
    done = add_model(store, "mock:echo", vendor="Tianping", name="Echo", version="1")
    assert done.id == bare.id
    assert done.described
    with pytest.raises(ConfigError, match=r"already in the catalog.*catalog set"):
        add_model(store, "mock:echo", vendor="X", name="Y", version="2")
    assert get_model(store, "mock:echo").vendor == "Tianping"


def test_ensure_model_is_idempotent_and_safe_under_concurrency(store: Store) -> None:
    first = ensure_model(store, "mock:refuse-all")
    assert ensure_model(store, "mock:refuse-all") == first
    results: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(ensure_model(store, "mock:comply-all").id)
        except BaseException as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(results)) == 1
    assert store.count_model_records() == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("release_date", "2025-13-01", "not YYYY-MM-DD"),
        ("release_date", "last year", "not YYYY-MM-DD"),
        ("filing_status", "approved", "Unknown filing status 'approved'"),
        ("endpoint", "ftp://x", "not an http"),
        ("vendor", "a" * 201, "longer than 200"),
        ("name", "bad\x00name", "control character"),
    ],
)
def test_bad_fields_are_clear_errors_and_store_nothing(
    store: Store, field: str, value: str, message: str
) -> None:
    fields = {"vendor": "V", "name": "N", "version": "1", field: value}
    with pytest.raises(ConfigError, match=message):
        add_model(store, "mock:echo", **fields)
    assert store.find_model_record("mock:echo") is None


def test_month_precision_release_dates_are_accepted(store: Store) -> None:
    assert add_model(store, "mock:echo", vendor="V", name="N", version="1", release_date="2025-09")


def test_malformed_specs_unknown_models_and_empty_updates(store: Store) -> None:
    with pytest.raises(ConfigError, match="not PREFIX:MODEL"):
        add_model(store, "no-prefix", vendor="V", name="N", version="1")
    ensure_model(store, "mock:echo")
    with pytest.raises(UnknownNameError, match="Did you mean 'mock:echo'"):
        get_model(store, "mock:ech")
    with pytest.raises(UnknownNameError, match="catalog model"):
        update_model(store, "mock:nothing", vendor="V")
    with pytest.raises(ConfigError, match="Nothing to change"):
        update_model(store, "mock:echo")
    with pytest.raises(UnknownNameError, match="model record field"):
        update_model(store, "mock:echo", colour="red")


def test_sync_gives_assessed_models_records_once(store: Store) -> None:
    add_assessment(store, "mock:echo", "p", "conforms", created=1000.0)
    add_assessment(store, "mock:echo", "q", "conforms", created=1001.0)
    add_assessment(store, "mock:refuse-all", "p", None, created=1002.0, status="failed")
    ensure_model(store, "mock:refuse-all")
    assert sync_catalog(store) == ["mock:echo"]
    assert sync_catalog(store) == []
    assert store.count_model_records() == 2
