"""The evaluation engine: async pipeline, limits, request keys, run lifecycle."""

from ._imports import import_responses
from ._keys import request_key
from ._limits import Backoff, Gate, TokenBucket
from ._runs import RunResult, resume_run, start_run
from ._scheduler import Counters, EngineConfig, FatalModelError, Pipeline

__all__ = [
    "Backoff",
    "Counters",
    "EngineConfig",
    "FatalModelError",
    "Gate",
    "Pipeline",
    "RunResult",
    "TokenBucket",
    "import_responses",
    "request_key",
    "resume_run",
    "start_run",
]
