"""The evaluation engine: async pipeline, limits, request keys, run lifecycle."""

from ._chunks import Chunk, ChunkResult, plan_chunks, run_chunk
from ._executors import EXECUTORS, ExecutorSpec, execute_runs
from ._imports import import_responses
from ._keys import request_key
from ._limits import Backoff, Gate, TokenBucket
from ._runs import (
    PreparedRun,
    RunResult,
    close_adapter,
    finish_run,
    prepare_resume,
    prepare_run,
    resume_run,
    start_run,
)
from ._scheduler import Counters, EngineConfig, FatalModelError, Pipeline

__all__ = [
    "EXECUTORS",
    "Backoff",
    "Chunk",
    "ChunkResult",
    "Counters",
    "EngineConfig",
    "ExecutorSpec",
    "FatalModelError",
    "Gate",
    "Pipeline",
    "PreparedRun",
    "RunResult",
    "TokenBucket",
    "close_adapter",
    "execute_runs",
    "finish_run",
    "import_responses",
    "plan_chunks",
    "prepare_resume",
    "prepare_run",
    "request_key",
    "resume_run",
    "run_chunk",
    "start_run",
]
