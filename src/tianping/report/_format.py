"""How numbers, thresholds and intervals are printed in every format.

A clause measures either a rate (a share of sampled items, printed as a
percentage) or a count (bank and keyword-library clauses: how many items or
terms there are, printed as an integer). One set of functions serves HTML,
Markdown and the filing export so that they never disagree.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..standards._results import ClauseVerdict

# Clause kinds whose threshold is a count, not a rate.
COUNT_KINDS = frozenset({"bank", "keywords"})

DASH = "—"


def is_count(v: ClauseVerdict) -> bool:
    return v.kind in COUNT_KINDS


def pct(x: float | None) -> str:
    """A rate as a percentage: one decimal, two below 1 % so that 0.1 % stays visible."""
    if x is None:
        return DASH
    p = x * 100
    if 0 < abs(p) < 1:
        return f"{p:.2f}%"
    return f"{p:.1f}%"


def _pct_short(x: float) -> str:
    """A threshold as a percentage without needless decimals: 95%, 0.1%, 97.5%."""
    return f"{x * 100:.4f}".rstrip("0").rstrip(".") + "%"


def count(x: float | int | None) -> str:
    if x is None:
        return DASH
    return f"{round(x):,}"


def interval(low: float | None, high: float | None) -> str:
    """``[low, high]`` as percentages, or a dash when there is no interval."""
    if low is None or high is None:
        return DASH
    return f"[{pct(low)}, {pct(high)}]"


def estimate(v: ClauseVerdict) -> str:
    """The measured rate (a count clause has none: its count is ``n``)."""
    return pct(v.estimate)


def direction_sign(direction: str | None) -> str:
    return {"at_least": "≥", "at_most": "≤"}.get(direction or "", "")


def threshold(v: ClauseVerdict) -> str:
    """``≥ 95%``, ``≤ 5%`` or ``≥ 2,000``; a dash when the clause has none.

    A count clause (a bank, a keyword library) states its total floor as
    ``min_n`` when it has no ``threshold``.
    """
    if is_count(v):
        floor = v.threshold if v.threshold is not None else (v.min_n or None)
        if floor is None:
            return DASH
        return f"{direction_sign(v.direction or 'at_least')} {count(floor)}"
    if v.threshold is None:
        return DASH
    return rate_threshold(v.threshold, v.direction)


def rate_threshold(value: float | None, direction: str | None) -> str:
    if value is None:
        return DASH
    sign = direction_sign(direction)
    return f"{sign} {_pct_short(value)}" if sign else _pct_short(value)


def date_of(timestamp: str) -> str:
    """The date part of an ISO timestamp (the whole string when it is not ISO)."""
    head = timestamp[:10]
    if len(head) == 10 and head[4] == "-" and head[7] == "-":
        return head
    return timestamp


def plain(value: Any) -> str:
    """A manifest value as one line of text: nested values as compact JSON."""
    if value is None:
        return DASH
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:g}"
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def flatten(mapping: Mapping[str, Any] | None, prefix: str = "") -> list[tuple[str, str]]:
    """Nested mappings as ``(dotted.key, text)`` pairs, in key order."""
    if not mapping:
        return []
    rows: list[tuple[str, str]] = []
    for key in sorted(mapping):
        value = mapping[key]
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            rows.extend(flatten(value, f"{name}."))
        else:
            rows.append((name, plain(value)))
    return rows
