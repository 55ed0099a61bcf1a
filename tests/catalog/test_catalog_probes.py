"""The fixed probe set: shipped, versioned, bilingual, and hashed after normalisation."""

from __future__ import annotations

import hashlib

import pytest

from tianping.catalog import (
    DEFAULT_PROBE_SET,
    answer_hash,
    load_probe_set,
    normalise_answer,
    probe_set_names,
)
from tianping.core import ConfigError, UnknownNameError


def test_the_default_probe_set_ships_and_is_what_it_says() -> None:
    assert DEFAULT_PROBE_SET in probe_set_names()
    probes = load_probe_set()
    assert probes.id == DEFAULT_PROBE_SET == "probes-2026.11"
    assert len(probes.probes) == 12
    langs = [p.lang for p in probes.probes]
    assert langs.count("zh") == langs.count("en") == 6
    assert len({p.id for p in probes.probes}) == 12
    assert all(len(p.prompt) < 200 for p in probes.probes)
    params = probes.params()
    assert params.temperature == 0.0
    assert params.seed is not None
    assert params.max_tokens is not None
    assert params.max_tokens <= 128


def test_the_published_probe_set_never_changes() -> None:
    # Fingerprints are only comparable within one probe set: editing a published one
    # would mark every model in every catalog as changed. Make a new set instead.
    probes = load_probe_set("probes-2026.11")
    canon = "\n".join(f"{p.id}|{p.lang}|{p.prompt}" for p in probes.probes)
    canon += f"\n{probes.temperature}|{probes.seed}|{probes.max_tokens}"
    assert hashlib.sha256(canon.encode()).hexdigest() == PUBLISHED_2026_11


PUBLISHED_2026_11 = "30e255cec32aee923a4ef3f841b7b31b66c8f043e6e0293bb2ed5253e60d12bc"


def test_an_unknown_probe_set_is_a_clear_error() -> None:
    with pytest.raises(UnknownNameError, match=r"probe set 'probes-2026\.1'.*Did you mean"):
        load_probe_set("probes-2026.1")


def test_normalisation_drops_only_meaningless_differences() -> None:
    assert normalise_answer("  ２０２６\u3000年\n\n好 ") == "2026 年 好"
    assert normalise_answer("Paris.") != normalise_answer("paris.")
    assert answer_hash(" 1591\n") == answer_hash("1591")
    assert answer_hash("1591") == hashlib.sha256(b"1591").hexdigest()
    assert answer_hash("1591") != answer_hash("1592")


def test_a_malformed_probe_set_file_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    from tianping.catalog import _probes

    load_probe_set.cache_clear()
    monkeypatch.setattr(_probes, "probe_set_names", lambda: ["probes-2026.11", "probes-2099.01"])

    class Fake:
        def joinpath(self, *_parts: str) -> Fake:
            return self

        def read_text(self, _enc: str) -> str:
            return "id: probes-2099.01\nseed: 1\nmax_tokens: 9999\nprobes: []\n"

    monkeypatch.setattr(_probes.resources, "files", lambda _pkg: Fake())
    try:
        with pytest.raises(ConfigError, match=r"probes-2099\.01 is malformed"):
            load_probe_set("probes-2099.01")
    finally:
        load_probe_set.cache_clear()
