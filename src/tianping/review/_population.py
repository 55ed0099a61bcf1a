"""The items an assessment drew for one clause: what a review samples from.

``assess`` draws each clause's items from its bank (seeded) and sends the union to
the model as one run, naming each item ``role/item_id``. To find one clause's items
again, its draw is replayed on the same bank with the same seed; the result is
checked against the bank's hash in the assessment's manifest. If the bank is no
longer at hand (or has changed), the clause's items are taken from the run's stored
copy instead: its items of the clause's role that pass the draw's filters — the
same items whenever no other clause draws a different sample from that role.

A completed assessment's items never change, so populations are cached per process:
the web's review page re-decides the clause after every label without re-reading
the bank.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from ..assess._sample import draw_items, eligible
from ..core import ConfigError, Item, SuiteError
from ..standards import Clause, LoadedProfile, load_profile
from ..store import AssessmentRecord, Store
from ._errors import ReviewError

__all__ = ["Population", "clause_population"]

# Scorers whose qualified/unqualified call is compared with people's, best first:
# the classifier of 9.3 c), then the keyword screen of 9.3 b).
PREFERRED_SCORERS = ("risk", "keywords")
_CACHE_SIZE = 32


@dataclass(frozen=True)
class Population:
    """One clause's answered items in one assessment, in draw order.

    ``scorers``: the automatic scorers the profile applies to items of the clause's
    bank (best first), each with the pass mark that makes its score "qualified".
    ``exact``: True when the draw was replayed, False when read from the stored run.
    """

    assessment_id: str
    run_id: str
    clause: Clause
    loaded: LoadedProfile
    items: dict[str, Item]
    scorers: dict[str, float]
    exact: bool


_cache: dict[tuple[Any, ...], Population] = {}
_lock = threading.Lock()


def _clause(loaded: LoadedProfile, clause_id: str) -> Clause:
    human = [c.id for c in loaded.profile.clauses if c.kind == "human"]
    try:
        clause = loaded.profile.clause(clause_id)
    except KeyError:
        clause = None
    if clause is None or clause.kind != "human" or clause.draw is None:
        raise ReviewError(
            f"Profile {loaded.profile.name} has no manual-review clause {clause_id!r}; "
            f"its manual-review clauses: {', '.join(human) or '(none)'}."
        )
    return clause


def _scorers(loaded: LoadedProfile, clause: Clause) -> dict[str, float]:
    assert clause.draw is not None
    marks: dict[str, float] = {}
    for c in loaded.profile.clauses:
        same_bank = c.draw is not None and c.draw.role == clause.draw.role
        if c.kind in ("rate", "grade") and same_bank and c.scorer and c.scorer != "auto":
            marks.setdefault(c.scorer, c.pass_mark)
    order = {name: i for i, name in enumerate(PREFERRED_SCORERS)}
    return dict(sorted(marks.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))


def _replay(rec: AssessmentRecord, loaded: LoadedProfile, clause: Clause) -> list[str] | None:
    """The clause's item ids by drawing again from its bank; None if the bank is gone."""
    from ..suites import load_suite

    assert clause.draw is not None
    role = clause.draw.role
    source = dict(rec.params.get("banks") or {}).get(role) or loaded.profile.banks[role]
    try:
        suite = load_suite(source)
    except (SuiteError, ConfigError, OSError):
        return None
    manifest = (rec.result or {}).get("manifest") or {}
    recorded = {s.get("role"): s.get("hash") for s in manifest.get("suites", [])}
    if recorded.get(role) not in (None, suite.hash):
        return None
    seed = int(rec.params.get("sample_seed", 0))
    chosen = draw_items(
        list(suite.iter_items()), clause.draw, sample_seed=seed, bank_hash=suite.hash
    )
    return [f"{role}/{it.id}" for it in chosen]


def clause_population(store: Store, assessment_id: str, clause_id: str) -> Population:
    """The answered items assessment ``assessment_id`` drew for manual clause ``clause_id``."""
    brief = store.review_assessment(assessment_id)
    if brief.run_id is None:
        raise ReviewError(
            f"Assessment {brief.id} has no responses yet (status {brief.status}); "
            f"finish it with `tianping assess --resume {brief.id}` before drawing for review."
        )
    key = (brief.id, clause_id, brief.run_id, brief.status, brief.finished_at)
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    rec = store.get_assessment(brief.id)
    assert rec.run_id is not None
    source = rec.params.get("profile_source", rec.profile)
    loaded = load_profile(source)
    if loaded.hash != rec.profile_hash:
        raise ReviewError(
            f"Profile {source} has changed since assessment {rec.id} used it "
            f"({rec.profile_hash[:19]}…, now {loaded.hash[:19]}…); its clauses may differ, "
            "so its review cannot be decided against the new one."
        )
    clause = _clause(loaded, clause_id)
    assert clause.draw is not None
    run = store.get_run(rec.run_id)
    prefix = clause.draw.role + "/"
    stored: dict[str, Item] = {}
    for page in store.iter_suite_items(run.suite_hash):
        for _position, item_id, data in page:
            if item_id.startswith(prefix):
                stored[item_id] = Item.model_validate_json(data)
    ids = _replay(rec, loaded, clause)
    exact = ids is not None
    if ids is None:
        ids = [it.id for it in eligible(list(stored.values()), clause.draw)]
    answered = store.done_item_ids(run.id, ids)
    # In id order, whichever way they were found, so a seeded draw picks the same items.
    items = {i: stored[i] for i in sorted(ids) if i in stored and i in answered}
    pop = Population(rec.id, run.id, clause, loaded, items, _scorers(loaded, clause), exact)
    with _lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = pop
    return pop
