"""Scorers by name. Registering a duplicate name is an error; an unknown name says
"did you mean"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ..core import ConfigError, UnknownNameError
from ._base import Scorer

_FACTORIES: dict[str, Callable[..., Scorer]] = {}
# Modules that register scorers, imported on first look-up (not at start-up).
_MODULES = (
    "tianping.scoring._match",
    "tianping.scoring._text",
    "tianping.scoring._keywords",
    "tianping.scoring._code",
    "tianping.scoring._refusal",
    "tianping.scoring._refusal_model",
    "tianping.scoring._judge",
    "tianping.scoring._risk",
    "tianping.scoring._fields",
    "tianping.scoring._keyfacts",
    "tianping.scoring._instruct",
)
_loaded = False

T = TypeVar("T", bound=type)


def register_scorer(cls: T) -> T:
    """Class decorator: register a scorer class under its ``name``."""
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name:
        raise TypeError(f"{cls.__name__} needs a class attribute 'name'")
    if not isinstance(getattr(cls, "version", None), str):
        raise TypeError(f"{cls.__name__} needs a class attribute 'version'")
    if not callable(getattr(cls, "score", None)):
        raise TypeError(f"{cls.__name__} needs an async method 'score'")
    if name in _FACTORIES:
        raise ValueError(f"scorer {name!r} is already registered")
    _FACTORIES[name] = cls
    return cls


def _load() -> None:
    global _loaded
    if _loaded:
        return
    import importlib

    for module in _MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:  # a dependency of the module is missing: say so
                raise
    _loaded = True


def scorer_names() -> list[str]:
    _load()
    return sorted(_FACTORIES)


def get_scorer(name: str, **options: Any) -> Scorer:
    """A scorer instance by registry name; ``options`` go to its constructor."""
    _load()
    factory = _FACTORIES.get(name)
    if factory is None:
        raise UnknownNameError("scorer", name, _FACTORIES)
    try:
        return factory(**options)
    except TypeError as exc:
        raise ConfigError(f"Bad options for scorer {name!r}: {exc}") from exc
