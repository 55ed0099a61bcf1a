"""Tianping (天平): assess large language models against a standard, clause by clause.

Names load on first use so that ``tianping --help`` stays fast.
"""

from typing import TYPE_CHECKING

from ._lazy import lazy_getattr
from ._version import __version__

if TYPE_CHECKING:
    from ._api import assess, import_run, resume, run, score
    from .assess import AssessmentOutcome, AssessOptions
    from .core import (
        ConfigError,
        GenerationParams,
        Item,
        ModelError,
        RunError,
        StoreError,
        SuiteError,
        TianpingError,
    )
    from .engine import EngineConfig, ExecutorSpec, RunResult
    from .suites import Suite, load_suite

_LAZY = {
    "assess": "._api",
    "AssessOptions": ".assess",
    "AssessmentOutcome": ".assess",
    "run": "._api",
    "score": "._api",
    "import_run": "._api",
    "resume": "._api",
    "ConfigError": ".core",
    "GenerationParams": ".core",
    "Item": ".core",
    "ModelError": ".core",
    "RunError": ".core",
    "StoreError": ".core",
    "SuiteError": ".core",
    "TianpingError": ".core",
    "EngineConfig": ".engine",
    "ExecutorSpec": ".engine",
    "RunResult": ".engine",
    "Suite": ".suites",
    "load_suite": ".suites",
}


__getattr__ = lazy_getattr(__name__, _LAZY)

__all__ = [
    "AssessOptions",
    "AssessmentOutcome",
    "ConfigError",
    "EngineConfig",
    "ExecutorSpec",
    "GenerationParams",
    "Item",
    "ModelError",
    "RunError",
    "RunResult",
    "StoreError",
    "Suite",
    "SuiteError",
    "TianpingError",
    "__version__",
    "assess",
    "import_run",
    "load_suite",
    "resume",
    "run",
    "score",
]
