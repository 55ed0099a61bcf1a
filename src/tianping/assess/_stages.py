"""Stage messages and a progress bar for the stages of an assessment (stderr only)."""

from __future__ import annotations

import sys
from typing import Any


class Stages:
    """Prints one line per stage, and a bar for scoring, when a person is watching."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._bar: Any = None
        self._task: Any = None

    def say(self, text: str) -> None:
        if self.enabled:
            sys.stderr.write(f"» {text}\n")
            sys.stderr.flush()

    def start_bar(self, description: str, total: int) -> None:
        if not self.enabled or total == 0:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self._bar = Progress(
            description,
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            refresh_per_second=8,
        )
        self._bar.__enter__()
        self._task = self._bar.add_task(description, total=total)

    def advance(self, n: int = 1) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, n)

    def stop_bar(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
