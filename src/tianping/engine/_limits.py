"""Rate limits and retry back-off."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass


class TokenBucket:
    """Allows ``rate`` units per second on average, bursts up to ``capacity``.

    ``acquire`` may drive the balance negative (a request bigger than the
    bucket still goes, later ones wait); ``adjust`` settles an estimate.
    """

    def __init__(self, rate: float, capacity: float | None = None, *, full: bool = True) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = capacity if capacity is not None else max(1.0, rate)
        # Empty: no burst at the start (a chunk of a distributed run follows another).
        self._level = self.capacity if full else 0.0
        self._stamp = time.monotonic()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = time.monotonic()
        self._level = min(self.capacity, self._level + (now - self._stamp) * self.rate)
        self._stamp = now

    async def acquire(self, amount: float = 1.0) -> None:
        async with self._lock:
            self._refill()
            need = min(amount, self.capacity)
            if self._level < need:
                await asyncio.sleep((need - self._level) / self.rate)
                self._refill()
            self._level -= amount

    def adjust(self, delta: float) -> None:
        """Charge (positive) or refund (negative) units after the fact."""
        self._refill()
        self._level = min(self.capacity, self._level - delta)


class Gate:
    """Holds every sender back until a time a server named (``Retry-After``)."""

    def __init__(self) -> None:
        self._until = 0.0

    def close_for(self, seconds: float) -> None:
        self._until = max(self._until, time.monotonic() + seconds)

    async def wait(self) -> None:
        delay = self._until - time.monotonic()
        while delay > 0:
            await asyncio.sleep(delay)
            delay = self._until - time.monotonic()


@dataclass(frozen=True)
class Backoff:
    """Exponential back-off with full jitter; a server's ``Retry-After`` wins."""

    base: float = 0.5
    cap: float = 60.0
    max_attempts: int = 8

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before try number ``attempt + 1`` (``attempt`` counts from 1)."""
        if retry_after is not None:
            # Honour the server, plus a little jitter so waiters don't return in lockstep.
            wait = min(self.cap, retry_after)
            return wait + rng.uniform(0.0, 0.1 * max(wait, 0.05))
        return rng.uniform(0.0, min(self.cap, self.base * 2 ** (attempt - 1)))
