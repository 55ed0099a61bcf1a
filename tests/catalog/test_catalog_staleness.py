"""Latest verdicts per profile, and staleness after a fingerprint shows the model changed."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from _catalog_helpers import add_assessment

from tianping.catalog import ensure_model, latest_verdicts, take_fingerprint
from tianping.store import Store

SPEC = "mock:fixed?text=我是模型甲"
CHANGED = "mock:fixed?text=我是模型乙"


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store.open(store_url) as s:
        yield s


def _now() -> float:
    # Fingerprints are stamped with the clock: step past it so "after" is unambiguous.
    time.sleep(0.01)
    t = time.time()
    time.sleep(0.01)
    return t


def test_the_latest_completed_assessment_per_profile_wins(store: Store) -> None:
    old = add_assessment(store, SPEC, "tc260-basic", "does_not_conform", created=1000.0)
    new = add_assessment(store, SPEC, "tc260-basic", "conforms", created=2000.0)
    other = add_assessment(store, SPEC, "scenario-fitness", "inconclusive", created=1500.0)
    add_assessment(store, SPEC, "tc260-basic", None, created=3000.0, status="running")
    add_assessment(store, SPEC, "tc260-basic", "conforms", created=3500.0, status="failed")
    add_assessment(store, "mock:echo", "tc260-basic", "conforms", created=4000.0)
    got = latest_verdicts(store, SPEC)
    assert list(got) == ["scenario-fitness", "tc260-basic"]
    assert got["tc260-basic"] == (new, "conforms", 2060.0, False)
    assert got["scenario-fitness"].assessment_id == other
    assert old not in {v.assessment_id for v in got.values()}
    assert latest_verdicts(store, "mock:never-assessed") == {}


def test_a_change_after_an_assessment_makes_it_stale(store: Store) -> None:
    take_fingerprint(store, SPEC)  # the fingerprint current when the assessment starts
    assessed = add_assessment(store, SPEC, "tc260-basic", "conforms", created=_now())
    assert not latest_verdicts(store, SPEC)["tc260-basic"].stale
    same = take_fingerprint(store, SPEC)
    assert not same.changed
    assert same.stale == {}
    assert not latest_verdicts(store, SPEC)["tc260-basic"].stale

    changed = take_fingerprint(store, SPEC, via=CHANGED)
    assert changed.changed
    assert set(changed.stale) == {"tc260-basic"}
    assert changed.stale["tc260-basic"].assessment_id == assessed
    assert latest_verdicts(store, SPEC)["tc260-basic"].stale
    # Staying changed keeps it stale: the model is not the one that was assessed.
    assert not take_fingerprint(store, SPEC, via=CHANGED).changed
    assert latest_verdicts(store, SPEC)["tc260-basic"].stale


def test_a_reassessment_after_the_change_is_current(store: Store) -> None:
    take_fingerprint(store, SPEC)
    add_assessment(store, SPEC, "tc260-basic", "conforms", created=_now())
    take_fingerprint(store, SPEC, via=CHANGED)
    add_assessment(store, SPEC, "scenario-fitness", "conforms", created=_now())
    got = latest_verdicts(store, SPEC)
    assert got["tc260-basic"].stale
    assert not got["scenario-fitness"].stale
    redo = add_assessment(store, SPEC, "tc260-basic", "does_not_conform", created=_now())
    got = latest_verdicts(store, SPEC)
    assert got["tc260-basic"] == (redo, "does_not_conform", got["tc260-basic"].finished_at, False)


def test_without_an_earlier_fingerprint_the_first_one_after_is_the_reference(
    store: Store,
) -> None:
    add_assessment(store, SPEC, "tc260-basic", "conforms", created=_now())
    first = take_fingerprint(store, SPEC)  # the baseline, taken after the assessment
    assert not first.changed
    assert not latest_verdicts(store, SPEC)["tc260-basic"].stale
    take_fingerprint(store, SPEC, via=CHANGED)
    assert latest_verdicts(store, SPEC)["tc260-basic"].stale


def test_a_change_before_the_assessment_does_not_make_it_stale(store: Store) -> None:
    take_fingerprint(store, SPEC)
    take_fingerprint(store, SPEC, via=CHANGED)
    add_assessment(store, SPEC, "tc260-basic", "conforms", created=_now())
    assert not latest_verdicts(store, SPEC)["tc260-basic"].stale


def test_changes_of_other_models_do_not_touch_this_one(store: Store) -> None:
    ensure_model(store, SPEC)
    take_fingerprint(store, "mock:echo")
    add_assessment(store, SPEC, "tc260-basic", "conforms", created=_now())
    take_fingerprint(store, "mock:echo", via="mock:echo?model=renamed")
    assert not latest_verdicts(store, SPEC)["tc260-basic"].stale
