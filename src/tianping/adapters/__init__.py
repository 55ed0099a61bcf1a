"""Adapters: the code that talks to one kind of model."""

from ._base import Adapter
from ._presets import ErrorRule, ParamRule, Preset, get_preset, load_presets
from ._registry import AdapterOptions, adapter_prefixes, build_adapter, register
from ._spec import ModelSpec, parse_model_spec

__all__ = [
    "Adapter",
    "AdapterOptions",
    "ErrorRule",
    "ModelSpec",
    "ParamRule",
    "Preset",
    "adapter_prefixes",
    "build_adapter",
    "get_preset",
    "load_presets",
    "parse_model_spec",
    "register",
]
