"""One chunk of a distributed run: the work a cluster worker does.

A chunk is a run and a range of its item positions. The worker opens the
shared store, builds the run's model, and sends the chunk's items through the
same pipeline as a local run, resuming: items the run already has are skipped
and answers already stored are reused by request key. So a chunk that is
retried after its worker died sends only what the dead worker had not yet
written, and nothing is stored twice.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ..adapters import AdapterOptions, build_adapter
from ..core import GenerationParams, RunError
from ..store import OutcomeWriter, Store
from ._scheduler import Counters, EngineConfig, FatalModelError, Pipeline


@dataclass(frozen=True)
class Chunk:
    """Items ``start <= position < stop`` of one run."""

    run_id: str
    start: int
    stop: int

    @property
    def size(self) -> int:
        return self.stop - self.start


@dataclass
class ChunkResult:
    """What one chunk did; ``fatal`` is set when the model can answer nothing more."""

    chunk: Chunk
    completed: int = 0
    failed: int = 0
    already_done: int = 0
    cache_hits: int = 0
    requests_sent: int = 0
    retries: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    identities: dict[str, int] = field(default_factory=dict)
    fatal: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def plan_chunks(run_id: str, n_items: int, size: int) -> list[Chunk]:
    """The run's positions cut into chunks of ``size`` (the last may be shorter)."""
    if size < 1:
        raise ValueError("chunk size must be at least 1")
    return [Chunk(run_id, lo, min(lo + size, n_items)) for lo in range(0, n_items, size)]


def share(config: EngineConfig, workers: int) -> EngineConfig:
    """One worker's part of a run's limits: ``workers`` of them together keep within them.

    Concurrency, requests per second and tokens per minute are what the model's
    server sees from the whole run, so each worker gets a fraction.
    """
    if workers <= 1:
        return config
    return replace(
        config,
        concurrency=max(1, math.ceil(config.concurrency / workers)),
        requests_per_second=(
            None if config.requests_per_second is None else config.requests_per_second / workers
        ),
        tokens_per_minute=(
            None if config.tokens_per_minute is None else config.tokens_per_minute / workers
        ),
    )


def run_chunk(store_url: str, chunk: Chunk, config: EngineConfig) -> ChunkResult:
    """Send one chunk's unfinished items and store their outcomes (in a worker)."""
    with Store.open(store_url, migrate=False) as store:
        record = store.get_run(chunk.run_id)
        manifest = record.manifest
        params = GenerationParams.model_validate(manifest["params"]["requested"])
        adapter = build_adapter(
            record.model_spec,
            AdapterOptions(timeout=config.timeout, max_connections=config.concurrency),
        )
        if adapter.identity != manifest.get("model", {}).get("identity", adapter.identity):
            raise RunError(
                f"Run {record.id}: on this worker the model spec {record.model_spec} "
                "resolves to a different model than on the driver."
            )
        counters = Counters(total=chunk.size)

        def totals() -> dict[str, int]:
            return {"requests_sent": counters.requests_sent, "retries": counters.retries}

        writer = OutcomeWriter(store, run_counters=totals, add_counters=True)
        pipeline = Pipeline(
            adapter, store, writer, record.id, params, config, counters, resuming=True
        )
        fatal: str | None = None

        async def main() -> None:
            try:
                pages = store.iter_suite_items(
                    record.suite_hash,
                    first_page=config.concurrency * 2,
                    start=chunk.start,
                    stop=chunk.stop,
                )
                await pipeline.run(pages)
            finally:
                await adapter.aclose()

        try:
            asyncio.run(main())
        except FatalModelError as exc:
            fatal = str(exc)
        finally:
            writer.close()
        return ChunkResult(
            chunk,
            completed=counters.completed,
            failed=counters.failed,
            already_done=counters.already_done,
            cache_hits=counters.cache_hits,
            requests_sent=counters.requests_sent,
            retries=counters.retries,
            errors=dict(counters.errors),
            identities=dict(counters.identities),
            fatal=fatal,
        )
