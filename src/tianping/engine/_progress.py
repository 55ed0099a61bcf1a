"""A Rich progress bar fed from the engine's counters; silent when not on a terminal."""

from __future__ import annotations

import sys
import time
from typing import Any

from ._scheduler import Counters


def interactive() -> bool:
    """Whether a person is watching: stdout and stderr are both terminals."""
    return sys.stdout.isatty() and sys.stderr.isatty()


class Progress:
    """Shows done/total, rate, ETA, retries and errors; throttled to ~10 updates a second."""

    def __init__(self, counters: Counters, description: str, *, enabled: bool) -> None:
        self.counters = counters
        self.description = description
        self.enabled = enabled
        self._bar: Any = None
        self._task: Any = None
        self._last = 0.0

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                TextColumn("{task.fields[extra]}"),
                console=Console(stderr=True),
                refresh_per_second=8,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task(
                self.description, total=self.counters.total or None, rate="", extra=""
            )
            self._started = time.monotonic()
        return self

    def tick(self) -> None:
        if self._bar is None:
            return
        now = time.monotonic()
        if now - self._last < 0.1:
            return
        self._last = now
        self._update()

    def _update(self) -> None:
        c = self.counters
        elapsed = max(1e-6, time.monotonic() - self._started)
        rate = (c.completed + c.failed) / elapsed
        extra = f"retries {c.retries}  errors {c.failed}"
        if c.cache_hits:
            extra += f"  cached {c.cache_hits}"
        self._bar.update(self._task, completed=c.finished, rate=f"{rate:,.1f} it/s", extra=extra)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._update()
            self._bar.__exit__(None, None, None)
