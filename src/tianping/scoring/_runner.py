"""Score a stored run: pair each item with its response, grade, store the scores.

No model under assessment is called: scoring reads only the store.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..core import ConfigError, Item, Response, Score
from ..store import Store
from ._base import Scorer
from ._registry import get_scorer


@dataclass
class ScorerSummary:
    """What one scorer found over a run."""

    scorer: str
    version: str
    n: int = 0
    graded: int = 0
    total: float = 0.0
    labels: Counter[str] = field(default_factory=Counter)

    @property
    def mean(self) -> float | None:
        return self.total / self.graded if self.graded else None

    def to_json(self) -> dict[str, object]:
        return {
            "scorer": self.scorer,
            "version": self.version,
            "n": self.n,
            "graded": self.graded,
            "mean": None if self.mean is None else round(self.mean, 6),
            "labels": dict(self.labels),
        }


@dataclass
class ScoreResult:
    run_id: str
    scorers: dict[str, ScorerSummary]
    unscored: int  # items no scorer applies to (none named, none in the suite or item)


def _pairs(store: Store, run_id: str, suite_hash: str) -> Iterator[tuple[Item, Response]]:
    """Items and their responses in item order (both are stored by position)."""
    responses = store.iter_run_responses(run_id)
    pending = next(responses, None)
    for page in store.iter_suite_items(suite_hash):
        for position, _item_id, data in page:
            while pending is not None and pending.position < position:
                pending = next(responses, None)
            if pending is not None and pending.position == position:
                yield Item.model_validate_json(data), pending


def score_run(
    store: Store,
    run_id: str,
    scorers: Sequence[str] = (),
    *,
    concurrency: int = 8,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    on_score: Callable[[Score], None] | None = None,
    plan: Mapping[str, Sequence[str]] | None = None,
) -> ScoreResult:
    """Grade every response of ``run_id`` and store the scores.

    ``scorers`` names the scorers to apply to every item; when empty, each item
    uses its own ``scorer`` or its suite's default. ``options`` maps a scorer name
    to its constructor options (``{"judge": {"model": "qwen:qwen-max"}}``).
    ``plan`` (item id -> scorer names) replaces ``scorers`` where each item
    needs its own scorers; items it does not name are left unscored.
    Earlier scores by the same scorer are replaced.
    """
    record = store.get_run(run_id)
    default = store.get_suite(record.suite_hash).manifest.get("scorer")
    cache: dict[str, Scorer] = {}
    summaries: dict[str, ScorerSummary] = {}
    unscored = 0

    def scorer_for(name: str) -> Scorer:
        if name not in cache:
            cache[name] = get_scorer(name, **(options or {}).get(name, {}))
            summaries[name] = ScorerSummary(name, cache[name].version)
        return cache[name]

    wanted = sorted({n for ns in plan.values() for n in ns}) if plan is not None else scorers
    for name in wanted:
        scorer_for(name)  # fail on an unknown name before grading anything

    async def grade_all() -> None:
        nonlocal unscored
        gate = asyncio.Semaphore(concurrency)
        batch: list[Score] = []
        tasks: set[asyncio.Task[None]] = set()

        async def grade(scorer: Scorer, item: Item, response: Response) -> None:
            async with gate:
                graded = await scorer.score(item, response)
            score = Score(
                run_id=record.id,
                item_id=item.id,
                scorer=scorer.name,
                scorer_version=scorer.version,
                value=graded.value,
                label=graded.label,
                explanation=graded.explanation,
            )
            summary = summaries[scorer.name]
            summary.n += 1
            if graded.value is not None:
                summary.graded += 1
                summary.total += graded.value
            summary.labels[graded.label or "-"] += 1
            batch.append(score)
            if on_score is not None:
                on_score(score)

        for item, response in _pairs(store, record.id, record.suite_hash):
            if plan is not None:
                names = list(plan.get(item.id, ()))
            else:
                names = list(scorers) or [n for n in (item.scorer or default,) if n]
            if not names:
                unscored += 1
                continue
            for name in names:
                task = asyncio.create_task(grade(scorer_for(name), item, response))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            if len(tasks) >= concurrency * 4:
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            if len(batch) >= 500:
                store.write_scores(batch)
                batch = []
        if tasks:
            await asyncio.gather(*tasks)
        store.write_scores(batch)

    asyncio.run(grade_all())
    if not summaries and unscored:
        raise ConfigError(
            f"No scorer applies to run {record.id}: its suite names no default scorer. "
            "Name one with --scorer (tianping score --help lists them)."
        )
    return ScoreResult(record.id, summaries, unscored)
