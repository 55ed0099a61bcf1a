"""``vllm:PATH`` without vLLM installed: a clear message naming what to install."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tianping.adapters import build_adapter
from tianping.core import ConfigError


def test_missing_vllm_names_the_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "vllm" else real(name, *a)
    )
    with pytest.raises(ConfigError, match=r"pip install vllm.*hf:PATH"):
        build_adapter(f"vllm:{tmp_path}")
