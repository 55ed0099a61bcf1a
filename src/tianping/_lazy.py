"""Module-level ``__getattr__`` that imports names on first use (PEP 562).

Packages re-export pydantic- and SQLAlchemy-backed names this way so that
``tianping --help`` does not pay for importing them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_getattr(package: str, table: dict[str, str]) -> Callable[[str], Any]:
    """A ``__getattr__`` for ``package`` resolving each name in ``table`` from its module."""
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value  # later look-ups skip this function
        return value

    return __getattr__
