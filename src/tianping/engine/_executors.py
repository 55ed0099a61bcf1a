"""Where runs execute: in this process, one after another, or across a Ray cluster."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..core import ConfigError
from ..store import Store
from ._runs import PreparedRun, RunResult, _execute, close_adapter, finish_run
from ._scheduler import Counters

EXECUTORS = ("local", "ray")
DEFAULT_CHUNK_SIZE = 200


@dataclass(frozen=True)
class ExecutorSpec:
    """``local`` (this process) or ``ray`` (``address`` of a cluster, else a local one).

    ``workers`` caps the chunks of one run in flight at once (default: the
    cluster's CPUs shared out among the runs, at least one each); the run's
    concurrency and rate limits are shared among them.
    """

    kind: str = "local"
    address: str | None = None
    workers: int | None = None
    chunk_size: int = DEFAULT_CHUNK_SIZE
    # Ray CPUs one chunk asks for: a chunk waiting on a rate-limited API uses a
    # fraction of a core, so 0.1 lets a 16-CPU machine hold 160 runs' chunks.
    chunk_cpus: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in EXECUTORS:
            raise ConfigError(f"Unknown executor {self.kind!r}; known: {', '.join(EXECUTORS)}.")
        if self.kind == "local" and self.address is not None:
            raise ConfigError("--address names a Ray cluster: add --executor ray.")
        if self.workers is not None and self.workers < 1:
            raise ConfigError("--workers must be at least 1.")
        if self.chunk_size < 1:
            raise ConfigError("--chunk-size must be at least 1.")
        if not 0.01 <= self.chunk_cpus <= 64:
            raise ConfigError("--chunk-cpus must be between 0.01 and 64.")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def execute_runs(
    store: Store,
    runs: list[PreparedRun],
    executor: ExecutorSpec | None = None,
    *,
    show_progress: bool | None = None,
) -> list[RunResult]:
    """Execute prepared runs and return what each did, in the order given."""
    executor = executor or ExecutorSpec()
    if executor.kind == "ray":
        from ._ray import execute_on_ray

        return execute_on_ray(store, runs, executor, show_progress=show_progress)
    results: list[RunResult] = []
    for run in runs:
        if results and results[-1].status == "interrupted":
            # Ctrl-C stops them all: the rest are marked, to be resumed.
            close_adapter(run)
            results.append(finish_run(store, run, _STOPPED, Counters(), None, status="interrupted"))
        else:
            results.append(_execute(store, run, show_progress=show_progress))
    return results


_STOPPED = "interrupted by the user"
