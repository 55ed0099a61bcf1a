"""Plain records read from and written to the store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SuiteRecord:
    hash: str
    name: str
    version: str
    source: str
    manifest: dict[str, Any]
    n_items: int


@dataclass
class RunRecord:
    """One run: a model spec against one stored suite."""

    id: str
    status: str  # running | completed | failed | interrupted
    model_spec: str
    suite_hash: str
    suite_name: str
    n_items: int
    manifest: dict[str, Any]
    created_at: float
    finished_at: float | None = None
    requests_sent: int = 0
    retries: int = 0
    error: str | None = None
    completed: int = 0
    failed: int = 0
    cache_hits: int = 0


@dataclass(slots=True)
class ItemOutcome:
    """What became of one item in one run; ``response`` is the cache row for a fresh answer."""

    run_id: str
    item_id: str
    position: int
    request_key: str
    status: str  # done | failed
    cached: bool = False
    attempts: int = 0
    error: str | None = None
    response: dict[str, Any] | None = None


@dataclass
class AssessmentRecord:
    """One assessment as stored; ``result`` is the AssessmentResult JSON once decided."""

    id: str
    status: str  # running | completed | failed | interrupted
    model_spec: str
    profile: str
    profile_hash: str
    params: dict[str, Any]
    created_at: float
    run_id: str | None = None
    result: dict[str, Any] | None = None
    out_dir: str | None = None
    conclusion: str | None = None
    finished_at: float | None = None
    error: str | None = None
