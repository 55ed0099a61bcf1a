"""A background thread that commits item outcomes in small batches.

The engine's event loop never waits on the database: it hands outcomes to this
thread, which commits whatever has arrived every ``max_delay`` seconds (or each
``max_batch`` outcomes). A killed process loses at most the last few
milliseconds of answers, and a resumed run re-sends only those.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..core import StoreError
from ._records import ItemOutcome

if TYPE_CHECKING:
    from ._store import Store

_STOP = object()


class OutcomeWriter:
    def __init__(
        self,
        store: Store,
        *,
        max_delay: float = 0.05,
        max_batch: int = 512,
        run_counters: Callable[[], dict[str, Any]] | None = None,
        add_counters: bool = False,
    ) -> None:
        self._store = store
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._max_delay = max_delay
        self._max_batch = max_batch
        self._run_counters = run_counters
        # With add_counters, each save adds what changed since the last one: the
        # workers of a distributed run share its counters.
        self._add_counters = add_counters
        self._saved: dict[str, Any] = {}
        self._error: BaseException | None = None
        self._closing = threading.Event()
        self._counters_at = 0.0
        self.written = 0
        self._thread = threading.Thread(target=self._loop, name="tianping-writer", daemon=True)
        self._thread.start()

    def put(self, outcome: ItemOutcome) -> None:
        """Queue one outcome; raises StoreError if the writer has failed."""
        if self._error is not None:
            raise StoreError(f"Writing responses failed: {self._error}") from self._error
        self._queue.put(outcome)

    @property
    def failed(self) -> BaseException | None:
        return self._error

    def close(self) -> None:
        """Commit everything queued, stop the thread, and re-raise any write failure."""
        self._closing.set()
        self._queue.put(_STOP)
        self._thread.join()
        if self._error is not None:
            raise StoreError(f"Writing responses failed: {self._error}") from self._error

    def _loop(self) -> None:
        # Sleep out the batch window instead of waking for every outcome: each
        # wake-up would take the GIL from the event loop that is sending requests.
        stop = False
        while not stop:
            first = self._queue.get()
            if first is _STOP:
                break
            self._closing.wait(self._max_delay)
            batch = [first]
            while True:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stop = True
                    break
                batch.append(nxt)
            for start in range(0, len(batch), self._max_batch):
                self._write(batch[start : start + self._max_batch])
                if self._error is not None:
                    return

    def _write(self, batch: list[object]) -> None:
        outcomes = [o for o in batch if isinstance(o, ItemOutcome)]
        if not outcomes:
            return
        try:
            # The run's request counters change every batch; saving them once a
            # second (and at the end) is enough and spares an UPDATE per batch.
            counters = None
            now = time.monotonic()
            # Added counters go with every batch: a worker that dies loses none of
            # the requests behind the outcomes it stored.
            due = self._add_counters or self._closing.is_set() or now - self._counters_at >= 1.0
            if self._run_counters and due:
                counters = self._run_counters()
                self._counters_at = now
                if self._add_counters:
                    now_values = counters
                    counters = {k: v - self._saved.get(k, 0) for k, v in now_values.items()}
                    self._saved = dict(now_values)
            self._store.write_outcomes(outcomes, counters, add_counters=self._add_counters)
            self.written += len(outcomes)
        except BaseException as exc:  # surfaced to the engine on its next put or close
            self._error = exc
