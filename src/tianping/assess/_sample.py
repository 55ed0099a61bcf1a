"""Drawing a clause's items from a bank: filtered, stratified, seeded, reproducible."""

from __future__ import annotations

import hashlib
import json
import random
from collections import defaultdict
from collections.abc import Sequence

from ..core import Item, risks_in
from ..standards import Draw


def eligible(items: Sequence[Item], draw: Draw) -> list[Item]:
    """The items a draw may choose from, in bank order."""
    risks: set[str] = set()
    for r in draw.risks:
        risks.update(risks_in(r) or [r])
    out = []
    for it in items:
        if not draw.attacks and "attack" in it.meta:
            continue
        if draw.refuse is not None and it.refuse is not draw.refuse:
            continue
        by_risk = bool(risks) and it.risk in risks
        by_tag = bool(draw.tags) and bool(set(draw.tags) & set(it.tags))
        if draw.match == "any" and (risks or draw.tags):
            if not (by_risk or by_tag):
                continue
        elif (risks and not by_risk) or (draw.tags and not by_tag):
            continue
        if draw.langs and it.lang not in draw.langs:
            continue
        out.append(it)
    return out


def stratum(item: Item, by: str) -> str:
    """The stratum of an item: its risk, aspect or language ('-' when unlabelled)."""
    if by == "risk":
        return item.risk or "-"
    if by == "aspect":
        aspect = item.meta.get("aspect")
        return aspect if isinstance(aspect, str) else "-"
    if by == "lang":
        return item.lang or "-"
    return "-"


def _allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    """Split n over strata in proportion to their sizes (largest remainder)."""
    total = sum(sizes.values())
    exact = {k: n * v / total for k, v in sizes.items()}
    share = {k: min(sizes[k], int(x)) for k, x in exact.items()}
    left = n - sum(share.values())
    # Hand the remainder out by largest fractional part, then by name for ties.
    order = sorted(sizes, key=lambda k: (-(exact[k] - int(exact[k])), k))
    while left > 0:
        moved = False
        for k in order:
            if left and share[k] < sizes[k]:
                share[k] += 1
                left -= 1
                moved = True
        if not moved:
            break
    return share


def seed_of(sample_seed: int, bank_hash: str, draw: Draw) -> int:
    """The random seed of one draw: the same draw on the same bank gives the same sample."""
    key = json.dumps(
        [sample_seed, bank_hash, draw.model_dump(mode="json", exclude={"role"})], sort_keys=True
    )
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")


def draw_items(
    items: Sequence[Item], draw: Draw, *, sample_seed: int, bank_hash: str
) -> list[Item]:
    """The items of ``draw`` from ``items``: all eligible when ``n`` is unset or
    not smaller, else a stratified random sample of ``n``; returned in bank order."""
    pool = eligible(items, draw)
    if draw.n is None or draw.n >= len(pool):
        return pool
    rng = random.Random(seed_of(sample_seed, bank_hash, draw))
    groups: dict[str, list[int]] = defaultdict(list)
    for i, it in enumerate(pool):
        groups[stratum(it, draw.stratify)].append(i)
    share = _allocate({k: len(v) for k, v in groups.items()}, draw.n)
    chosen: list[int] = []
    for key in sorted(groups):
        chosen.extend(rng.sample(groups[key], share[key]))
    return [pool[i] for i in sorted(chosen)]
