"""Fingerprints against mock models and a scripted HTTP endpoint on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from _catalog_helpers import PROBES, completion, probe_id

from conftest import Reply, ScriptedServer
from tianping.catalog import (
    DEFAULT_TOLERANCE,
    Observation,
    answer_hash,
    compare_fingerprints,
    take_fingerprint,
)
from tianping.core import AuthError, ConfigError
from tianping.store import Store

Make = Callable[[Callable[[int, dict[str, Any]], Reply]], ScriptedServer]
IDS = [p.id for p in PROBES.probes]


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store.open(store_url) as s:
        yield s


class Endpoint:
    """A scripted endpoint whose answer to each probe, name and system_fingerprint tests set."""

    def __init__(self, make: Make) -> None:
        self.answers = {pid: f"answer to {pid}" for pid in IDS}
        self.model = "scripted-model-2026-11"
        self.system_fingerprint: str | None = "fp_1"
        self.fail_first: dict[str, int] = {}
        self.status = 200
        self.server = make(self.reply)

    def reply(self, _n: int, body: dict[str, Any]) -> Reply:
        pid = probe_id(body)
        if self.status != 200:
            return self.status, {"error": {"message": "invalid api key"}}, {}
        if self.fail_first.get(pid, 0) > 0:
            self.fail_first[pid] -= 1
            return 500, {"error": {"message": "overloaded"}}, {}
        return 200, completion(self.answers[pid], self.model, self.system_fingerprint), {}

    def change(self, n: int, suffix: str = " (v2)") -> list[str]:
        changed = IDS[:n]
        for pid in changed:
            self.answers[pid] += suffix
        return changed

    @property
    def spec(self) -> str:
        return self.server.spec()


@pytest.fixture
def endpoint(scripted_server: Make) -> Endpoint:
    return Endpoint(scripted_server)


# -- mock models ------------------------------------------------------------------------


def test_a_stable_model_gives_the_same_fingerprint_and_gets_a_record(store: Store) -> None:
    first = take_fingerprint(store, "mock:echo")
    assert first.previous is None
    assert not first.changed
    assert "first fingerprint" in first.comparison.summary()
    assert first.model.spec == "mock:echo"
    assert not first.model.described  # made automatically, spec only
    fp = first.fingerprint
    assert sorted(fp.answers) == sorted(IDS)
    assert fp.reported_models == ("mock-echo",)
    assert fp.system_fingerprints == ("mock",)
    assert fp.probe_set == "probes-2026.11"
    # mock:echo repeats the prompt: the hashes are those of the prompts.
    prompt = {p.id: p.prompt for p in PROBES.probes}
    assert fp.answers["fact-zh"] == answer_hash(prompt["fact-zh"])

    second = take_fingerprint(store, "mock:echo")
    assert not second.changed
    assert second.previous == fp
    assert second.fingerprint.digest == fp.digest
    assert second.comparison.compared == 12
    assert second.comparison.differing == ()
    assert second.comparison.summary().startswith("unchanged")
    assert store.list_fingerprints(fp.model_id) == [second.fingerprint, fp]


def test_different_answers_behind_the_same_spec_are_a_change(store: Store) -> None:
    spec = "mock:fixed?text=你好，我是模型甲。"
    take_fingerprint(store, spec)
    after = take_fingerprint(store, spec, via="mock:fixed?text=你好，我是模型乙。")
    assert after.changed
    assert after.model.spec == spec  # recorded under the catalog spec, not --via
    cmp = after.comparison
    assert not cmp.identity_changed
    assert len(cmp.differing) == 12
    assert cmp.summary().startswith("MODEL CHANGED: 12 of 12 answers differ")
    assert after.fingerprint.changed
    assert store.count_model_records() == 1


def test_a_new_reported_identity_is_a_change_even_with_the_same_answers(store: Store) -> None:
    take_fingerprint(store, "mock:echo")
    after = take_fingerprint(store, "mock:echo", via="mock:echo?model=other-name")
    assert after.changed
    assert after.comparison.identity_changed
    assert after.comparison.differing == ()
    assert "reported model mock-echo -> other-name" in after.comparison.summary()
    assert after.fingerprint.reported_models == ("other-name",)
    # Back to the old name is another change (compared with the fingerprint before).
    again = take_fingerprint(store, "mock:echo")
    assert again.changed
    assert again.comparison.models_before == ("other-name",)


def test_bad_arguments_are_clear_errors_that_store_nothing(store: Store) -> None:
    with pytest.raises(ConfigError, match=r"tolerance 1\.0 is not a share"):
        take_fingerprint(store, "mock:echo", tolerance=1.0)
    with pytest.raises(ConfigError, match="Unknown probe set"):
        take_fingerprint(store, "mock:echo", probe_set="probes-1999.01")
    with pytest.raises(ConfigError, match="Unknown mock behaviour"):
        take_fingerprint(store, "mock:nonsense")
    assert store.count_model_records() == 0


# -- a scripted endpoint over loopback ------------------------------------------------------


@pytest.mark.network
def test_every_probe_is_sent_fresh_at_temperature_zero_with_the_seed(
    store: Store, endpoint: Endpoint
) -> None:
    take_fingerprint(store, endpoint.spec)
    take_fingerprint(store, endpoint.spec)
    sent = endpoint.server.requests
    assert len(sent) == 24  # never answered from the response cache
    assert sorted(probe_id(b) for b in sent[:12]) == sorted(IDS)
    for body in sent:
        assert body["temperature"] == 0.0
        assert body["seed"] == PROBES.seed
        assert body["max_tokens"] == PROBES.max_tokens
        assert [m["role"] for m in body["messages"]] == ["user"]


@pytest.mark.network
def test_tolerance_absorbs_a_few_unstable_answers_but_not_a_new_model(
    store: Store, endpoint: Endpoint
) -> None:
    assert DEFAULT_TOLERANCE == 0.25
    take_fingerprint(store, endpoint.spec)
    moved = endpoint.change(2)  # 2 of 12 (17 %): temperature-0 noise of a hosted model
    quiet = take_fingerprint(store, endpoint.spec)
    assert not quiet.changed
    assert set(quiet.comparison.differing) == set(moved)
    assert "2 of 12 answers differ (17% <= tolerance 25%)" in quiet.comparison.summary()

    endpoint.change(3)  # exactly the tolerance (25 %) is still not "more than"
    assert not take_fingerprint(store, endpoint.spec).changed

    endpoint.change(4)  # 33 %: changed
    loud = take_fingerprint(store, endpoint.spec)
    assert loud.changed
    assert "4 of 12 answers differ (33% > tolerance 25%)" in loud.comparison.summary()


@pytest.mark.network
def test_tolerance_zero_for_deterministic_endpoints_and_a_looser_one(
    store: Store, endpoint: Endpoint
) -> None:
    take_fingerprint(store, endpoint.spec)
    endpoint.change(1)
    assert take_fingerprint(store, endpoint.spec, tolerance=0.0).changed
    endpoint.change(5)
    assert not take_fingerprint(store, endpoint.spec, tolerance=0.5).changed


@pytest.mark.network
def test_whitespace_and_full_width_forms_do_not_count_as_changes(
    store: Store, endpoint: Endpoint
) -> None:
    endpoint.answers["arithmetic-zh"] = "1591"
    first = take_fingerprint(store, endpoint.spec, tolerance=0.0)
    endpoint.answers["arithmetic-zh"] = "\n １５９１  "
    for pid in IDS[:6]:
        if pid != "arithmetic-zh":
            endpoint.answers[pid] = endpoint.answers[pid].replace(" ", "\n\n ") + " "
    second = take_fingerprint(store, endpoint.spec, tolerance=0.0)
    assert not second.changed
    assert second.fingerprint.digest == first.fingerprint.digest


@pytest.mark.network
def test_a_new_system_fingerprint_is_noted_but_is_not_a_change(
    store: Store, endpoint: Endpoint
) -> None:
    take_fingerprint(store, endpoint.spec)
    endpoint.system_fingerprint = "fp_2"
    after = take_fingerprint(store, endpoint.spec)
    assert not after.changed
    assert after.comparison.backend_changed
    assert after.fingerprint.system_fingerprints == ("fp_2",)
    assert after.previous is not None
    assert after.fingerprint.digest == after.previous.digest  # the digest leaves it out


@pytest.mark.network
def test_transient_errors_are_retried(store: Store, endpoint: Endpoint) -> None:
    endpoint.fail_first = {"fact-zh": 1, "code-en": 2}
    result = take_fingerprint(store, endpoint.spec)
    assert len(result.fingerprint.answers) == 12
    assert len(endpoint.server.requests) == 15


@pytest.mark.network
def test_an_endpoint_that_refuses_the_key_fails_clearly_and_records_nothing(
    store: Store, endpoint: Endpoint
) -> None:
    endpoint.status = 401
    with pytest.raises(AuthError, match=r"Fingerprint failed: probe [a-z-]+ got no answer"):
        take_fingerprint(store, endpoint.spec)
    assert len(endpoint.server.requests) <= 12  # not retried
    assert store.count_model_records() == 0


# -- comparison rules -------------------------------------------------------------------------


def _obs(answers: dict[str, str], models: tuple[str, ...] = ("m",), probe_set: str = "p1") -> Any:
    return Observation(probe_set, answers, models, (), {})


def test_fingerprints_of_different_probe_sets_compare_only_the_identity() -> None:
    old = _obs({"a": "1", "b": "2"}, probe_set="probes-2026.05")
    new = _obs({"a": "9", "b": "9"}, probe_set="probes-2026.11")
    cmp = compare_fingerprints(old, new)
    assert (cmp.changed, cmp.compared) == (False, 0)
    assert "answers not compared" in cmp.summary()
    assert compare_fingerprints(old, _obs({}, ("n",), "probes-2026.11")).changed


def test_only_probes_answered_both_times_are_compared() -> None:
    old = _obs({"a": "1", "b": "2", "c": "3", "d": "4"})
    new = _obs({"a": "1", "b": "2", "c": "3", "e": "5"})
    cmp = compare_fingerprints(old, new, tolerance=0.0)
    assert (cmp.compared, cmp.differing, cmp.changed) == (3, (), False)
