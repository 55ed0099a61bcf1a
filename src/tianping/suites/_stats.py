"""How a suite's items are spread over its labels: ``tianping suites stats``."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tianping.core import CATEGORIES, RISKS, Item

from ._loader import load_suite

UNLABELLED = "unlabelled"
"""The group of items that carry no value for a dimension."""

DIMENSIONS: tuple[str, ...] = (
    "risk",
    "category",
    "lang",
    "form",
    "attack",
    "aspect",
    "scenario",
    "refuse",
)
"""What :func:`count_items` counts by, in the order reports show them."""

_RISK_ORDER = {rid: i for i, rid in enumerate([*RISKS, *CATEGORIES])}


def _text(value: object) -> str:
    return value if isinstance(value, str) else str(value)


def item_groups(item: Item) -> dict[str, list[str]]:
    """The item's value(s) for every dimension of :data:`DIMENSIONS`.

    ``form`` comes from ``form:*`` tags (an item with two such tags is in both
    groups); ``attack`` and ``aspect`` from ``meta``; ``refuse`` is ``true``,
    ``false`` or ``unset``. A missing label is :data:`UNLABELLED` (``attack``:
    ``none``, since most items are not attacks).
    """
    forms = [t.removeprefix("form:") for t in item.tags if t.startswith("form:")]
    attack = item.meta.get("attack")
    aspect = item.meta.get("aspect")
    return {
        "risk": [item.risk or UNLABELLED],
        "category": [RISKS[item.risk].category if item.risk else UNLABELLED],
        "lang": [item.lang or UNLABELLED],
        "form": forms or [UNLABELLED],
        "attack": [_text(attack) if attack is not None else "none"],
        "aspect": [_text(aspect) if aspect is not None else UNLABELLED],
        "scenario": [item.scenario or UNLABELLED],
        "refuse": ["unset" if item.refuse is None else str(item.refuse).lower()],
    }


def _ordered(dimension: str, counts: Counter[str]) -> dict[str, int]:
    if dimension in ("risk", "category"):
        # Appendix A order reads better than counts: gaps between A1a and A1h show.
        keys = sorted(counts, key=lambda k: (_RISK_ORDER.get(k, len(_RISK_ORDER)), k))
    else:
        keys = sorted(counts, key=lambda k: (k == UNLABELLED, -counts[k], k))
    return {k: counts[k] for k in keys}


def count_items(items: Iterable[Item]) -> tuple[int, dict[str, dict[str, int]]]:
    """The number of items and, per dimension, the count of each value."""
    counters: dict[str, Counter[str]] = {d: Counter() for d in DIMENSIONS}
    total = 0
    for item in items:
        total += 1
        for dimension, values in item_groups(item).items():
            counters[dimension].update(values)
    return total, {d: _ordered(d, c) for d, c in counters.items()}


@dataclass(frozen=True)
class SuiteStats:
    """Counts of a suite's items by label (see :func:`item_groups` for the dimensions)."""

    name: str
    version: str
    source: str
    items: int
    by: dict[str, dict[str, int]]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: ``name``, ``version``, ``source``, ``items`` and ``by``."""
        return {
            "name": self.name,
            "version": self.version,
            "source": self.source,
            "items": self.items,
            "by": self.by,
        }

    def __str__(self) -> str:
        lines = [f"{self.name} {self.version}: {self.items} items ({self.source})"]
        for dimension, counts in self.by.items():
            lines.append(f"{dimension}:")
            width = max((len(k) for k in counts), default=0)
            for key, n in counts.items():
                share = 100 * n / self.items if self.items else 0.0
                label = _label(dimension, key)
                lines.append(f"  {key:<{width}}  {n:>6}  {share:5.1f} %{label}")
        return "\n".join(lines)


def _label(dimension: str, key: str) -> str:
    if dimension == "risk" and key in RISKS:
        return f"  {RISKS[key].en}"
    if dimension == "category" and key in CATEGORIES:
        return f"  {CATEGORIES[key][1]}"
    return ""


def suite_stats(path_or_name: str | os.PathLike[str]) -> SuiteStats:
    """Load a suite (raising :class:`SuiteError` if invalid) and count its items by label."""
    suite = load_suite(path_or_name)
    total, by = count_items(suite.iter_items())
    return SuiteStats(suite.name, suite.version, suite.source, total, by)
