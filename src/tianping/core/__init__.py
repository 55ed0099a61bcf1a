"""Domain types: items, suites, requests, responses, scores, and the error tree.

The pydantic-based types load on first use, so that commands which need only
the errors (``tianping --help``) start fast.
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_getattr
from ._errors import (
    AuthError,
    BadResponseError,
    ConfigError,
    ConnectError,
    ModelError,
    Problem,
    QuotaExhaustedError,
    RateLimitError,
    RequestRejected,
    RequestTimeout,
    RunError,
    ServerError,
    StoreError,
    SuiteError,
    TianpingError,
    UnknownNameError,
)
from ._risks import CATEGORIES, RISKS, Risk, normalize_risk, risks_in

if TYPE_CHECKING:
    from ._items import Item, Message
    from ._requests import GenerationParams, ModelOutput, Response, Score

_LAZY = {
    "Item": "._items",
    "Message": "._items",
    "GenerationParams": "._requests",
    "ModelOutput": "._requests",
    "Response": "._requests",
    "Score": "._requests",
}


__getattr__ = lazy_getattr(__name__, _LAZY)

__all__ = [
    "CATEGORIES",
    "RISKS",
    "AuthError",
    "BadResponseError",
    "ConfigError",
    "ConnectError",
    "GenerationParams",
    "Item",
    "Message",
    "ModelError",
    "ModelOutput",
    "Problem",
    "QuotaExhaustedError",
    "RateLimitError",
    "RequestRejected",
    "RequestTimeout",
    "Response",
    "Risk",
    "RunError",
    "Score",
    "ServerError",
    "StoreError",
    "SuiteError",
    "TianpingError",
    "UnknownNameError",
    "normalize_risk",
    "risks_in",
]
