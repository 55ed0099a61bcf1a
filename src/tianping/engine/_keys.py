"""Request keys: a hash of everything that determines a model's answer."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def request_key(
    identity: str, messages: list[dict[str, str]], wire_params: dict[str, Any], sample: int = 0
) -> str:
    """SHA-256 over the model identity, the messages, the parameters as sent, and the sample index.

    The same key means the same request: it is answered from the store, never paid
    for twice. ``sample`` tells apart deliberate repeats (for pass@k).
    """
    payload = json.dumps(
        [identity, messages, wire_params, sample],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
