"""Gathers the engine's concurrent requests into batches for one worker thread.

The engine calls ``generate`` from many coroutines at once; a local model
answers fastest when those requests share one forward pass. Each call puts a
request into a thread-safe inbox and awaits a future. One worker thread owns
the model: it loads it, tokenizes what arrives, and repeatedly takes the
oldest pending request together with the pending requests of the same
generation parameters closest to it in prompt length (so little padding is
wasted and nothing waits forever), runs them as one batch and resolves the
futures on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..core import GenerationParams, ModelError, ModelOutput


@dataclass(eq=False)
class Request:
    """One pending ``generate`` call."""

    messages: list[dict[str, str]]
    params: GenerationParams
    future: asyncio.Future[ModelOutput]
    loop: asyncio.AbstractEventLoop
    seq: int
    group: str = ""
    prompt: list[int] = field(default_factory=list)


class Backend(Protocol):
    """What the worker thread needs from a model runtime (transformers, a test double)."""

    def load(self) -> None:
        """Load the model; raise ConfigError when it cannot be loaded."""

    def prepare(self, request: Request) -> list[int]:
        """The prompt's token ids; raise ModelError when this request cannot be served."""

    def batch_limit(self, batch: Sequence[Request]) -> int:
        """Most rows that fit in memory for prompts like these (at least 1)."""

    def run(self, batch: Sequence[Request]) -> list[ModelOutput]:
        """Answer every request of ``batch``, in order."""

    def is_out_of_memory(self, exc: BaseException) -> bool:
        """Whether ``exc`` means the batch did not fit (it is then split and retried)."""

    def interrupt(self) -> None:
        """Ask a running ``run`` to stop soon (its answers are discarded)."""

    def close(self) -> None:
        """Release the model."""


_STOP = object()


class Batcher:
    """Runs ``backend`` on a thread of its own, ``batch_size`` requests at a time."""

    def __init__(self, backend: Backend, batch_size: int, *, gather_s: float = 0.005) -> None:
        self.backend = backend
        self.batch_size = batch_size
        self.gather_s = gather_s
        #: Sizes of the batches run so far, in order (for tests and the manifest).
        self.batches: list[int] = []
        self._inbox: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    async def submit(self, messages: list[dict[str, str]], params: GenerationParams) -> ModelOutput:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ModelOutput] = loop.create_future()
        with self._lock:
            if self._closed:
                raise ModelError("the local model has been closed")
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name="tianping-local-model", daemon=True
                )
                self._thread.start()
            group = params.model_dump_json(exclude={"seed"})
            self._inbox.put(Request(messages, params, future, loop, next(self._seq), group))
        return await future

    async def aclose(self) -> None:
        """Stop the worker: the batch running now ends early, pending requests fail."""
        with self._lock:
            self._closed = True
            thread = self._thread
            self._inbox.put(_STOP)
        if thread is not None:
            self.backend.interrupt()
            await asyncio.to_thread(thread.join, 30.0)

    # -- the worker thread -------------------------------------------------

    def _work(self) -> None:
        try:
            self.backend.load()
        except BaseException as exc:
            self._refuse_all(exc)
            return
        pool: list[Request] = []
        try:
            while True:
                if not self._collect(pool):
                    break
                pool = [r for r in pool if not r.future.cancelled()]
                if pool:
                    batch = self._choose(pool)
                    done = set(map(id, batch))
                    pool = [r for r in pool if id(r) not in done]
                    self._run(batch)
        finally:
            for request in pool:
                _settle(request, ModelError("the local model was closed"))
            self.backend.close()

    def _collect(self, pool: list[Request]) -> bool:
        """Move what is in the inbox into ``pool``; False once closed."""
        block = not pool
        waited = False
        while True:
            try:
                if block:
                    item = self._inbox.get()
                elif len(pool) < self.batch_size and not waited:
                    # A moment for the other coroutines of this wave to arrive.
                    item = self._inbox.get(timeout=self.gather_s)
                else:
                    item = self._inbox.get_nowait()
            except queue.Empty:
                if len(pool) < self.batch_size and not waited:
                    waited = True
                    continue
                return True
            block = False
            if item is _STOP:
                return False
            assert isinstance(item, Request)
            try:
                item.prompt = self.backend.prepare(item)
            except Exception as exc:
                _settle(item, exc)
                continue
            pool.append(item)

    def _choose(self, pool: list[Request]) -> list[Request]:
        oldest = min(pool, key=lambda r: r.seq)
        group = sorted((r for r in pool if r.group == oldest.group), key=lambda r: len(r.prompt))
        size = min(self.batch_size, len(group))
        window = _window(group, group.index(oldest), size)
        fits = max(1, self.backend.batch_limit(window))
        if fits < len(window):
            window = _window(group, group.index(oldest), fits)
        return window

    def _run(self, batch: list[Request]) -> None:
        try:
            outputs = self.backend.run(batch)
        except Exception as exc:
            if self.backend.is_out_of_memory(exc) and len(batch) > 1:
                # Too big after all: halve this batch and, from now on, the cap.
                half = (len(batch) + 1) // 2
                self.batch_size = max(1, min(self.batch_size, half))
                self._run(batch[:half])
                self._run(batch[half:])
                return
            error = exc if isinstance(exc, ModelError) else _as_model_error(exc)
            for request in batch:
                _settle(request, error)
            return
        self.batches.append(len(batch))
        for request, output in zip(batch, outputs, strict=True):
            _settle(request, output)

    def _refuse_all(self, exc: BaseException) -> None:
        """The model did not load: fail every request, now and until closed."""
        while True:
            item = self._inbox.get()
            if item is _STOP:
                return
            assert isinstance(item, Request)
            _settle(item, exc)


def _window(group: list[Request], index: int, size: int) -> list[Request]:
    """The ``size`` neighbours in length order around ``group[index]`` with the least spread."""
    first = max(0, index - size + 1)
    last = min(index, len(group) - size)
    best = min(
        range(first, last + 1),
        key=lambda s: len(group[s + size - 1].prompt) - len(group[s].prompt),
    )
    return group[best : best + size]


def _as_model_error(exc: BaseException) -> ModelError:
    error = ModelError(f"local generation failed: {type(exc).__name__}: {exc}")
    error.__cause__ = exc
    return error


def _settle(request: Request, result: ModelOutput | BaseException) -> None:
    def apply() -> None:
        if request.future.done():
            return
        if isinstance(result, BaseException):
            request.future.set_exception(result)
        else:
            request.future.set_result(result)

    # RuntimeError: the event loop is gone, so nobody is waiting any more.
    with contextlib.suppress(RuntimeError):
        request.loop.call_soon_threadsafe(apply)
