"""The Python API: the same typed results the CLI prints."""

from __future__ import annotations

from .core import GenerationParams
from .engine import EngineConfig, RunResult, resume_run, start_run
from .store import Store


def run(
    model: str,
    suite: str,
    *,
    db: str | None = None,
    params: GenerationParams | None = None,
    config: EngineConfig | None = None,
    show_progress: bool = False,
) -> RunResult:
    """Send every item of ``suite`` to ``model``; every response is stored in ``db``.

    ``db`` is a SQLAlchemy URL (default: ``TIANPING_DB`` or a SQLite file in the
    user's data directory). Raises a :class:`tianping.TianpingError` subclass on
    bad input; item-level model failures are counted in the result instead.
    """
    with Store.open(db) as store:
        return start_run(
            model, suite, store=store, params=params, config=config, show_progress=show_progress
        )


def resume(
    run_id: str,
    *,
    db: str | None = None,
    config: EngineConfig | None = None,
    show_progress: bool = False,
) -> RunResult:
    """Finish a stopped run, re-sending only what did not finish."""
    with Store.open(db) as store:
        return resume_run(run_id, store=store, config=config, show_progress=show_progress)
