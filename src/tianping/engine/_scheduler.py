"""The async pipeline: items in, stored outcomes out, with bounded concurrency.

A producer pages through the run's items, skips those the run already has,
answers repeated requests from the store, and queues the rest; ``concurrency``
workers send them (rate limits, retries, back-off) and hand each outcome to the
writer thread as it arrives.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..adapters import Adapter
from ..core import ConnectError, GenerationParams, Item, ModelError, ModelOutput, RequestTimeout
from ..store import ItemOutcome, OutcomeWriter, Store
from ._keys import request_key
from ._limits import Backoff, Gate, TokenBucket


@dataclass(frozen=True)
class EngineConfig:
    """How hard to drive the model."""

    concurrency: int = 16
    timeout: float = 120.0
    requests_per_second: float | None = None
    tokens_per_minute: float | None = None
    backoff: Backoff = field(default_factory=Backoff)
    seed: int = 0
    burst: bool = True  # rate buckets start full (False: each chunk of a shared run)


@dataclass
class Counters:
    """Live figures for this invocation (read by the progress bar and the writer)."""

    total: int = 0
    already_done: int = 0
    completed: int = 0
    failed: int = 0
    cache_hits: int = 0
    requests_sent: int = 0
    retries: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    identities: dict[str, int] = field(default_factory=dict)

    @property
    def finished(self) -> int:
        return self.already_done + self.completed + self.failed


class FatalModelError(Exception):
    """An error after which no request can succeed (bad key, quota used up)."""

    def __init__(self, error: ModelError) -> None:
        super().__init__(str(error))
        self.error = error


def response_row(
    key: str, model: str, out: ModelOutput, latency_ms: float | None
) -> dict[str, Any]:
    """The response-cache row for one answer."""
    return {
        "key": key,
        "model": model,
        "text": out.text,
        "finish_reason": out.finish_reason,
        "refused_by_service": out.refused_by_service,
        "vendor_code": out.vendor_code,
        "prompt_tokens": out.prompt_tokens,
        "completion_tokens": out.completion_tokens,
        "latency_ms": latency_ms,
        "reported_model": out.reported_model,
        "system_fingerprint": out.system_fingerprint,
    }


@dataclass(slots=True)
class _Job:
    position: int
    item_id: str
    key: str
    messages: list[dict[str, str]]
    params: GenerationParams


Page = list[tuple[int, str, str]]


class Pipeline:
    def __init__(
        self,
        adapter: Adapter,
        store: Store,
        writer: OutcomeWriter,
        run_id: str,
        params: GenerationParams,
        config: EngineConfig,
        counters: Counters,
        *,
        resuming: bool,
        on_progress: Callable[[], None] | None = None,
    ) -> None:
        self.adapter = adapter
        self.store = store
        self.writer = writer
        self.run_id = run_id
        self.params = params
        self.config = config
        self.counters = counters
        self.resuming = resuming
        self.on_progress = on_progress or (lambda: None)
        self._rng = random.Random(config.seed)
        self._gate = Gate()
        self._rps = (
            TokenBucket(config.requests_per_second, full=config.burst)
            if config.requests_per_second
            else None
        )
        self._tpm = (
            TokenBucket(
                config.tokens_per_minute / 60.0, config.tokens_per_minute, full=config.burst
            )
            if config.tokens_per_minute
            else None
        )
        self._inflight: dict[str, asyncio.Future[ModelOutput]] = {}
        self._base_wire: dict[str, Any] | None = None
        self._answered = False

    async def run(self, pages: Iterator[Page]) -> None:
        queue: asyncio.Queue[_Job | None] = asyncio.Queue(maxsize=self.config.concurrency * 4)
        workers = [asyncio.create_task(self._worker(queue)) for _ in range(self.config.concurrency)]
        producer = asyncio.create_task(self._produce(pages, queue))
        tasks = [producer, *workers]
        try:
            # Wait for all; the first failure (a fatal model error) cancels the rest.
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    # -- producer --------------------------------------------------------

    def _wire(self, params: GenerationParams) -> dict[str, Any]:
        # Most items use the run's parameters: translate those once.
        if params is self.params:
            if self._base_wire is None:
                self._base_wire = self.adapter.wire_params(params)
            return self._base_wire
        return self.adapter.wire_params(params)

    async def _produce(self, pages: Iterator[Page], queue: asyncio.Queue[_Job | None]) -> None:
        identity = self.adapter.identity
        for page in pages:
            jobs: list[_Job] = []
            for position, item_id, data in page:
                item = Item.model_validate_json(data)
                params = self.params.merged(item.params)
                messages = item.chat()
                key = request_key(identity, messages, self._wire(params))
                jobs.append(_Job(position, item_id, key, messages, params))
            if self.resuming:
                done = self.store.done_item_ids(self.run_id, [j.item_id for j in jobs])
                if done:
                    self.counters.already_done += len(done)
                    jobs = [j for j in jobs if j.item_id not in done]
            cached = self.store.cached_keys([j.key for j in jobs]) if jobs else set()
            for job in jobs:
                if job.key in cached:
                    self.counters.cache_hits += 1
                    self.counters.completed += 1
                    self.writer.put(
                        ItemOutcome(
                            self.run_id, job.item_id, job.position, job.key, "done", cached=True
                        )
                    )
                else:
                    await queue.put(job)
            self.on_progress()
        for _ in range(self.config.concurrency):
            await queue.put(None)

    # -- workers ---------------------------------------------------------

    async def _worker(self, queue: asyncio.Queue[_Job | None]) -> None:
        while True:
            job = await queue.get()
            if job is None:
                return
            outcome = await self._process(job)
            self.writer.put(outcome)
            if outcome.status == "done":
                self.counters.completed += 1
            else:
                self.counters.failed += 1
            self.on_progress()

    async def _process(self, job: _Job) -> ItemOutcome:
        # The same request already in flight for another item: share its answer.
        pending = self._inflight.get(job.key)
        if pending is not None:
            try:
                await asyncio.shield(pending)
            except ModelError:
                pass
            else:
                self.counters.cache_hits += 1
                return ItemOutcome(self.run_id, job.item_id, job.position, job.key, "done", True)
        future: asyncio.Future[ModelOutput] = asyncio.get_running_loop().create_future()
        self._inflight[job.key] = future
        try:
            return await self._send(job, future)
        finally:
            del self._inflight[job.key]
            if not future.done():
                future.cancel()

    async def _send(self, job: _Job, future: asyncio.Future[ModelOutput]) -> ItemOutcome:
        attempt = 0
        while True:
            attempt += 1
            await self._gate.wait()
            if self._rps is not None:
                await self._rps.acquire()
            estimate = 0.0
            if self._tpm is not None:
                chars = sum(len(m["content"]) for m in job.messages)
                estimate = chars / 2 + (job.params.max_tokens or 256)
                await self._tpm.acquire(estimate)
            self.counters.requests_sent += 1
            started = time.perf_counter()
            try:
                if self.adapter.enforces_timeout:
                    output = await self.adapter.generate(job.messages, job.params)
                else:
                    async with asyncio.timeout(self.config.timeout):
                        output = await self.adapter.generate(job.messages, job.params)
            except TimeoutError:
                error: ModelError = RequestTimeout(f"no answer within {self.config.timeout:g} s")
            except ModelError as exc:
                error = exc
            else:
                latency = (time.perf_counter() - started) * 1000.0
                if self._tpm is not None:
                    used = (output.prompt_tokens or 0) + (output.completion_tokens or 0)
                    self._tpm.adjust(used - estimate)
                future.set_result(output)
                return self._done(job, output, latency, attempt)
            name = type(error).__name__
            self.counters.errors[name] = self.counters.errors.get(name, 0) + 1
            if self.adapter.stops_run(error) or self._unreachable(error, attempt):
                future.set_exception(error)
                future.exception()  # mark retrieved
                raise FatalModelError(error)
            if error.retry_after is not None:
                self._gate.close_for(error.retry_after)
            if self.adapter.should_retry(error) and attempt < self.config.backoff.max_attempts:
                self.counters.retries += 1
                await asyncio.sleep(
                    self.config.backoff.delay(attempt, error.retry_after, self._rng)
                )
                continue
            future.set_exception(error)
            future.exception()
            return ItemOutcome(
                self.run_id,
                job.item_id,
                job.position,
                job.key,
                "failed",
                attempts=attempt,
                error=f"{name}: {error}",
            )

    def _unreachable(self, error: ModelError, attempt: int) -> bool:
        # A server that has never answered and refuses a third try is down or
        # misnamed: say so now rather than after every item's back-off runs out.
        return isinstance(error, ConnectError) and not self._answered and attempt >= 3

    def _done(self, job: _Job, out: ModelOutput, latency: float, attempts: int) -> ItemOutcome:
        self._answered = True
        if out.reported_model is not None and len(self.counters.identities) < 20:
            ident = out.reported_model + (
                f" ({out.system_fingerprint})" if out.system_fingerprint else ""
            )
            self.counters.identities[ident] = self.counters.identities.get(ident, 0) + 1
        response = response_row(job.key, self.adapter.identity, out, round(latency, 3))
        return ItemOutcome(
            self.run_id,
            job.item_id,
            job.position,
            job.key,
            "done",
            attempts=attempts,
            response=response,
        )
