"""Options shared by the commands that send requests (``run``, ``assess``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from ..core import GenerationParams
    from ..engine import EngineConfig, ExecutorSpec

Concurrency = Annotated[int, typer.Option(min=1, max=4096, help="Requests in flight.")]
Temperature = Annotated[float | None, typer.Option(min=0.0, max=2.0)]
MaxTokens = Annotated[int | None, typer.Option(min=1)]
Seed = Annotated[int | None, typer.Option(help="Sent to the model where supported.")]
Timeout = Annotated[float, typer.Option(min=0.1, help="Seconds per request.")]
Rps = Annotated[float | None, typer.Option(min=0.001, help="Most requests per second.")]
Tpm = Annotated[float | None, typer.Option(min=1.0, help="Most tokens per minute (estimated).")]
MaxAttempts = Annotated[int, typer.Option(min=1, help="Tries per request.")]
Executor = Annotated[
    str,
    typer.Option(help="local (this process) or ray (chunks across a Ray cluster)."),
]
Address = Annotated[
    str | None,
    typer.Option(help="Ray cluster to join (HOST:PORT or auto); default: start one here."),
]
Workers = Annotated[
    int | None,
    typer.Option(
        min=1,
        help="Ray: chunks of one run in flight (default: the cluster's CPUs shared out "
        "among the runs).",
    ),
]
ChunkSize = Annotated[int, typer.Option(min=1, help="Ray: items per chunk.")]
ChunkCpus = Annotated[
    float,
    typer.Option(
        min=0.01,
        max=64,
        help="Ray: CPUs a chunk asks for (0.1 for rate-limited APIs: ten chunks per CPU).",
    ),
]
ShowProgress = Annotated[
    bool | None,
    typer.Option("--progress/--no-progress", help="Default: shown on a terminal only."),
]


def engine_config(
    concurrency: int, timeout: float, rps: float | None, tpm: float | None, max_attempts: int
) -> EngineConfig:
    from ..engine import Backoff, EngineConfig

    return EngineConfig(
        concurrency=concurrency,
        timeout=timeout,
        requests_per_second=rps,
        tokens_per_minute=tpm,
        backoff=Backoff(max_attempts=max_attempts),
    )


def generation_params(
    temperature: float | None, max_tokens: int | None, seed: int | None
) -> GenerationParams:
    from ..core import GenerationParams

    return GenerationParams(temperature=temperature, max_tokens=max_tokens, seed=seed)


def executor_spec(
    executor: str, address: str | None, workers: int | None, chunk_size: int, chunk_cpus: float
) -> ExecutorSpec:
    from ..engine import ExecutorSpec

    return ExecutorSpec(
        kind=executor,
        address=address,
        workers=workers,
        chunk_size=chunk_size,
        chunk_cpus=chunk_cpus,
    )
