"""Adapter kinds by spec prefix; presets resolve to the OpenAI-compatible adapter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..core import UnknownNameError
from ._base import Adapter
from ._spec import ModelSpec, parse_model_spec


@dataclass(frozen=True)
class AdapterOptions:
    """Transport settings the engine passes to every adapter."""

    timeout: float = 120.0
    max_connections: int = 64


Factory = Callable[[ModelSpec, AdapterOptions], Adapter]
_KINDS: dict[str, Factory] = {}


def register(prefix: str) -> Callable[[Factory], Factory]:
    """Register an adapter factory for a spec prefix; a duplicate prefix is an error."""

    def deco(factory: Factory) -> Factory:
        if prefix in _KINDS:
            raise ValueError(f"adapter prefix {prefix!r} is already registered")
        _KINDS[prefix] = factory
        return factory

    return deco


@register("mock")
def _mock(spec: ModelSpec, _opts: AdapterOptions) -> Adapter:
    from ._mock import MockAdapter

    return MockAdapter(spec)


@register("openai-compat")
def _openai_compat(spec: ModelSpec, opts: AdapterOptions) -> Adapter:
    from ._openai_compat import OpenAICompatAdapter

    return OpenAICompatAdapter.from_spec(
        spec, timeout=opts.timeout, max_connections=opts.max_connections
    )


@register("hf")
@register("local")
def _local_hf(spec: ModelSpec, _opts: AdapterOptions) -> Adapter:
    from ._local_hf import LocalHFAdapter

    return LocalHFAdapter.from_spec(spec)


@register("vllm")
def _vllm(spec: ModelSpec, _opts: AdapterOptions) -> Adapter:
    from ._vllm import VLLMAdapter

    return VLLMAdapter(spec)


def adapter_prefixes() -> list[str]:
    """Every prefix a spec may start with: adapter kinds and preset names."""
    from ._presets import load_presets

    return [*_KINDS, *load_presets()]


def build_adapter(spec: str | ModelSpec, options: AdapterOptions | None = None) -> Adapter:
    """The adapter for a model spec such as ``qwen:qwen-plus`` or ``mock:echo``."""
    parsed = parse_model_spec(spec) if isinstance(spec, str) else spec
    opts = options or AdapterOptions()
    factory = _KINDS.get(parsed.prefix)
    if factory is not None:
        return factory(parsed, opts)
    from ._presets import load_presets

    if parsed.prefix in load_presets():
        return _openai_compat(parsed, opts)
    raise UnknownNameError("model prefix", parsed.prefix, adapter_prefixes())
