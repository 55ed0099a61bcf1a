"""The Python API: the same typed results the CLI prints."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .core import GenerationParams
from .engine import EngineConfig, RunResult, import_responses, resume_run, start_run
from .store import Store

if TYPE_CHECKING:
    from .assess import AssessmentOutcome, AssessOptions
    from .scoring import ScoreResult


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


def score(run_id: str, scorers: Sequence[str] = (), *, db: str | None = None) -> ScoreResult:
    """Grade a stored run without calling any model; scores are stored beside the responses.

    ``scorers`` apply to every item; when empty, each item uses its own scorer or
    its suite's default.
    """
    from .scoring import score_run  # scorers load only when scoring

    with Store.open(db) as store:
        return score_run(store, run_id, scorers)


def import_run(path: str | Path, *, db: str | None = None, model: str | None = None) -> RunResult:
    """Store responses gathered elsewhere (JSONL: id, prompt or messages, response) as a run."""
    with Store.open(db) as store:
        return import_responses(path, store=store, model=model)


def assess(
    model: str,
    profile: str,
    *,
    db: str | None = None,
    options: AssessOptions | None = None,
) -> AssessmentOutcome:
    """Assess ``model`` against ``profile`` (a built-in name or a YAML file).

    Samples, runs, scores and decides every clause, writes the reports and,
    unless ``options.sign`` is false, a signed attestation. The outcome's
    ``result`` is the :class:`tianping.standards.AssessmentResult` the reports
    render; ``to_json()`` is what ``tianping assess --json`` prints.
    """
    from .assess import AssessOptions
    from .assess import assess as run_assessment

    opts = options or AssessOptions(show_progress=False)
    with Store.open(db) as store:
        return run_assessment(model, profile, store=store, options=opts)
