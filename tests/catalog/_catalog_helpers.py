"""Shared pieces of the catalog tests: stored assessments and scripted probe answers."""

from __future__ import annotations

import itertools
from typing import Any

from tianping.catalog import load_probe_set
from tianping.store import AssessmentRecord, Store

_ids = itertools.count()

PROBES = load_probe_set()
PROMPT_TO_ID = {p.prompt: p.id for p in PROBES.probes}


def add_assessment(
    store: Store,
    spec: str,
    profile: str,
    conclusion: str | None,
    *,
    created: float,
    finished: float | None = None,
    status: str = "completed",
) -> str:
    """Store an assessment row as `tianping assess` leaves it (no run behind it)."""
    ident = f"a{next(_ids):05d}{int(created * 1000) % 10**9:09d}"
    store.create_assessment(
        AssessmentRecord(
            id=ident,
            status=status,
            model_spec=spec,
            profile=profile,
            profile_hash="sha256:test",
            params={},
            created_at=created,
            conclusion=conclusion,
            finished_at=finished if finished is not None else created + 60.0,
        )
    )
    return ident


def completion(
    text: str, model: str = "scripted-model", system_fingerprint: str | None = "fp_1"
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "x",
        "object": "chat.completion",
        "model": model,
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }
    if system_fingerprint is not None:
        body["system_fingerprint"] = system_fingerprint
    return body


def probe_id(body: dict[str, Any]) -> str:
    """Which probe a chat request carries."""
    return PROMPT_TO_ID[body["messages"][-1]["content"]]
