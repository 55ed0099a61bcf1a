"""One chunk of a distributed run: the work a cluster worker does.

A chunk is a run and a range of its item positions. The worker opens the
shared store, builds the run's model, and sends the chunk's items through the
same pipeline as a local run, resuming: items the run already has are skipped
and answers already stored are reused by request key. So a chunk that is
retried after its worker died sends only what the dead worker had not yet
written, and nothing is stored twice. The driver stops a run's chunks by
changing the run's status in the store (interrupted, failed): each worker
checks it twice a second, stores what it has and returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Coroutine
from dataclasses import dataclass, replace
from typing import Any

from ..core import GenerationParams
from ..store import OutcomeWriter, Store
from ._runs import rebuild_adapter
from ._scheduler import Counters, EngineConfig, FatalModelError, Pipeline

STOP_POLL_S = 0.5  # how often a worker checks that its run is still wanted


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
    counters: Counters
    fatal: str | None = None
    stopped: bool = False  # the driver stopped the run before the chunk finished


def plan_chunks(run_id: str, n_items: int, size: int) -> list[Chunk]:
    """The run's positions cut into chunks of ``size`` (the last may be shorter)."""
    if size < 1:
        raise ValueError("chunk size must be at least 1")
    return [Chunk(run_id, lo, min(lo + size, n_items)) for lo in range(0, n_items, size)]


def share(config: EngineConfig, workers: int) -> EngineConfig:
    """One worker's part of a run's limits: ``workers`` of them together keep within them.

    Concurrency, requests per second and tokens per minute are what the model's
    server sees from the whole run, so each worker gets a fraction, and its rate
    buckets start empty: chunks follow one another, and a full bucket at every
    chunk's start would let a burst through each time.
    """
    return replace(
        config,
        burst=False,
        concurrency=max(1, math.ceil(config.concurrency / max(1, workers))),
        requests_per_second=(
            None
            if config.requests_per_second is None
            else config.requests_per_second / max(1, workers)
        ),
        tokens_per_minute=(
            None if config.tokens_per_minute is None else config.tokens_per_minute / max(1, workers)
        ),
    )


def run_chunk(store_url: str, chunk: Chunk, config: EngineConfig) -> ChunkResult:
    """Send one chunk's unfinished items and store their outcomes (in a worker)."""
    with Store.open(store_url, migrate=False) as store:
        record = store.get_run(chunk.run_id)
        params = GenerationParams.model_validate(record.manifest["params"]["requested"])
        adapter = rebuild_adapter(record, config)
        counters = Counters(total=chunk.size)

        def totals() -> dict[str, int]:
            return {"requests_sent": counters.requests_sent, "retries": counters.retries}

        writer = OutcomeWriter(store, run_counters=totals, add_counters=True)
        pipeline = Pipeline(
            adapter, store, writer, record.id, params, config, counters, resuming=True
        )
        fatal: str | None = None
        pages = store.iter_suite_items(
            record.suite_hash,
            first_page=config.concurrency * 2,
            start=chunk.start,
            stop=chunk.stop,
        )

        async def main() -> bool:
            try:
                return await _until_stopped(pipeline.run(pages), store, record.id)
            finally:
                await adapter.aclose()

        stopped = False
        try:
            stopped = asyncio.run(main())
        except FatalModelError as exc:
            fatal = str(exc)
        finally:
            writer.close()
        return ChunkResult(chunk, counters, fatal, stopped)


async def _until_stopped(work: Coroutine[Any, Any, None], store: Store, run_id: str) -> bool:
    """Run ``work`` unless the run stops being ``running`` (the driver's stop signal).

    True when it was stopped: what it had not stored is left for a resume.
    """
    task = asyncio.ensure_future(work)
    watch = asyncio.ensure_future(_watch(store, run_id))
    try:
        await asyncio.wait({task, watch}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watch.cancel()
    if task.done():
        task.result()  # a fatal model error goes up
        return False
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return True


async def _watch(store: Store, run_id: str) -> None:
    # The signal is in the database (the driver may be on another machine): polled.
    while await asyncio.to_thread(store.run_status, run_id) == "running":  # noqa: ASYNC110
        await asyncio.sleep(STOP_POLL_S)
