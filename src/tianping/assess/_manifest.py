"""The reproducibility manifest of an assessment: versions, banks, seeds, usage."""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._version import __version__
from ..engine._runs import _iso, _platform
from ..standards import LoadedProfile, Manifest
from ..standards import Suite as SuiteRef
from ..store import Store
from ._banks import Bank

if TYPE_CHECKING:
    from ..engine import RunResult
    from ._assess import AssessOptions


def build_manifest(
    loaded: LoadedProfile,
    banks: Mapping[str, Bank],
    run: RunResult | None,
    store: Store,
    options: AssessOptions,
    scorer_versions: Mapping[str, str],
    keywords: Path | None,
    started: float,
) -> Manifest:
    model: dict[str, Any] = {}
    usage = {"prompt_tokens": 0, "completion_tokens": 0}
    if run is not None:
        rec = store.get_run(run.run_id)
        model = dict(rec.manifest.get("model", {}))
        model["reported_identity"] = rec.manifest.get("reported_identity", {})
        for r in store.iter_run_responses(run.run_id):
            usage["prompt_tokens"] += r.prompt_tokens or 0
            usage["completion_tokens"] += r.completion_tokens or 0
    kw = None
    if keywords is not None:
        import hashlib

        kw = {
            "file": keywords.name,
            "sha256": hashlib.sha256(keywords.read_bytes()).hexdigest(),
        }
    return Manifest(
        tool_version=__version__,
        python=sys.version.split()[0],
        platform=_platform(),
        profile={
            "name": loaded.profile.name,
            "version": loaded.profile.version,
            "kind": loaded.profile.kind,
            "hash": loaded.hash,
            "source": loaded.profile.source.document,
        },
        model=model,
        suites=tuple(
            SuiteRef(
                role=b.role,
                name=b.suite.name,
                version=b.suite.version,
                hash=b.suite.hash,
                items=b.suite.n_items,
                source=b.suite.source,
            )
            for b in banks.values()
        ),
        sample_seed=options.sample_seed,
        max_per_clause=options.max_per_clause,
        run_id=run.run_id if run else None,
        scorers=dict(scorer_versions),
        judge=options.judge,
        keywords=kw,
        started_at=_iso(started),
        finished_at=_iso(time.time()),
        usage=usage,
        requests_sent=run.requests_sent if run else 0,
    )
