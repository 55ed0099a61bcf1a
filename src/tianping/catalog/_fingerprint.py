"""Model fingerprints: a fixed probe set at temperature 0, hashed, compared with the last one.

A fingerprint records what the endpoint reports about itself (the model name in
each answer, and OpenAI's ``system_fingerprint`` where given) and the SHA-256 of
each normalised answer. A new fingerprint is ``changed`` when the reported model
name(s) differ from the previous fingerprint's, or when more than ``tolerance``
of the answers (as a share of the probes both answered) differ.

Why a tolerance: at temperature 0 a model picks the most likely token, but many
hosted endpoints are still not bit-for-bit stable — requests are batched with
others, floating-point sums run in a different order on different hardware,
mixture-of-experts routing has ties — so one or two of twelve answers can come
back a little different from one call to the next with nothing changed. A new
model version, different weights or a new system prompt changes most answers at
once. The default, 0.25, lets up to three of the twelve probes differ; use 0 for
endpoints that are deterministic (a local model, vLLM with a fixed seed) and a
higher value only for an endpoint known to be noisy.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..core import ConfigError, ModelError, ModelOutput, RequestTimeout
from ..store._catalog import Fingerprint, ModelRecord
from ._models import ensure_model, normalise_spec
from ._probes import DEFAULT_PROBE_SET, Probe, ProbeSet, answer_hash, load_probe_set

if TYPE_CHECKING:
    from ..adapters import Adapter, AdapterOptions
    from ..core import GenerationParams
    from ..store import Store
    from ._verdicts import LatestVerdict

DEFAULT_TOLERANCE = 0.25
"""Share of answers that may differ from the previous fingerprint without calling it a change."""

_ATTEMPTS = 4
_CONCURRENCY = 4


class _Observed(Protocol):
    @property
    def probe_set(self) -> str: ...
    @property
    def answers(self) -> dict[str, str]: ...
    @property
    def reported_models(self) -> tuple[str, ...]: ...
    @property
    def system_fingerprints(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Observation:
    """What one pass over a probe set saw (before it is stored)."""

    probe_set: str
    answers: dict[str, str]  # probe id -> sha256 of the normalised answer
    reported_models: tuple[str, ...]
    system_fingerprints: tuple[str, ...]
    texts: dict[str, str]  # probe id -> the answer as received (not stored)

    @property
    def digest(self) -> str:
        return fingerprint_digest(self.probe_set, self.reported_models, self.answers)


@dataclass(frozen=True)
class Comparison:
    """How a fingerprint differs from the one before it."""

    changed: bool
    baseline: bool  # there was no earlier fingerprint to compare with
    previous_id: int | None
    identity_changed: bool
    models_before: tuple[str, ...]
    models_after: tuple[str, ...]
    compared: int  # probes answered in both (0: different probe sets, or no previous)
    differing: tuple[str, ...]  # ids of the probes whose answers differ
    tolerance: float
    backend_changed: bool  # system_fingerprint differs: informative, not a change by itself

    @property
    def share(self) -> float:
        return len(self.differing) / self.compared if self.compared else 0.0

    def summary(self) -> str:
        """One line for people, saying plainly whether the model changed and why."""
        if self.baseline:
            return "first fingerprint: recorded as the baseline for later ones"
        parts = []
        if self.identity_changed:
            before = ", ".join(self.models_before) or "(nothing)"
            after = ", ".join(self.models_after) or "(nothing)"
            parts.append(f"reported model {before} -> {after}")
        if self.compared:
            cmp = ">" if self.share > self.tolerance else "<="
            parts.append(
                f"{len(self.differing)} of {self.compared} answers differ "
                f"({self.share:.0%} {cmp} tolerance {self.tolerance:.0%})"
            )
        else:
            parts.append("answers not compared (the previous fingerprint used another probe set)")
        head = "MODEL CHANGED" if self.changed else "unchanged"
        return f"{head}: {'; '.join(parts)}"

    def to_json(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "baseline": self.baseline,
            "previous_id": self.previous_id,
            "identity_changed": self.identity_changed,
            "models_before": list(self.models_before),
            "models_after": list(self.models_after),
            "compared": self.compared,
            "differing": list(self.differing),
            "share": round(self.share, 4),
            "tolerance": self.tolerance,
            "backend_changed": self.backend_changed,
            "summary": self.summary(),
        }


@dataclass(frozen=True)
class FingerprintResult:
    """A recorded fingerprint, what it was compared with, and the verdicts now stale."""

    model: ModelRecord
    fingerprint: Fingerprint
    previous: Fingerprint | None
    comparison: Comparison
    observation: Observation
    stale: dict[str, LatestVerdict]  # profile -> the latest verdict that is now stale

    @property
    def changed(self) -> bool:
        return self.comparison.changed

    def to_json(self) -> dict[str, Any]:
        return {
            "spec": self.model.spec,
            "model_id": self.model.id,
            "fingerprint": self.fingerprint.to_json(),
            "comparison": self.comparison.to_json(),
            "changed": self.changed,
            "stale": {p: v.to_json() for p, v in self.stale.items()},
        }


def fingerprint_digest(probe_set: str, models: tuple[str, ...], answers: dict[str, str]) -> str:
    """One SHA-256 over the probe set, the reported models and every answer hash."""
    canon = {"probe_set": probe_set, "models": list(models), "answers": answers}
    text = json.dumps(canon, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_tolerance(tolerance: float) -> float:
    if not 0.0 <= tolerance < 1.0:
        raise ConfigError(f"tolerance {tolerance} is not a share in [0, 1) (0.25 = a quarter).")
    return tolerance


def compare_fingerprints(
    previous: _Observed | None, new: _Observed, tolerance: float = DEFAULT_TOLERANCE
) -> Comparison:
    """Whether ``new`` shows a different model than ``previous`` (see the module docs)."""
    check_tolerance(tolerance)
    if previous is None:
        return Comparison(
            changed=False,
            baseline=True,
            previous_id=None,
            identity_changed=False,
            models_before=(),
            models_after=new.reported_models,
            compared=0,
            differing=(),
            tolerance=tolerance,
            backend_changed=False,
        )
    identity = set(previous.reported_models) != set(new.reported_models)
    if previous.probe_set == new.probe_set:
        common = sorted(set(previous.answers) & set(new.answers))
    else:
        common = []
    differing = tuple(p for p in common if previous.answers[p] != new.answers[p])
    share = len(differing) / len(common) if common else 0.0
    backend = bool(previous.system_fingerprints and new.system_fingerprints) and set(
        previous.system_fingerprints
    ) != set(new.system_fingerprints)
    return Comparison(
        changed=identity or share > tolerance,
        baseline=False,
        previous_id=getattr(previous, "id", None),
        identity_changed=identity,
        models_before=previous.reported_models,
        models_after=new.reported_models,
        compared=len(common),
        differing=differing,
        tolerance=tolerance,
        backend_changed=backend,
    )


async def probe_model(
    adapter: Adapter, probes: ProbeSet, *, request_timeout: float = 120.0
) -> Observation:
    """Send every probe (a few at a time, retrying transient errors) and hash the answers.

    Fingerprints never use the response cache: the point is to ask again. Any probe
    that cannot be answered fails the whole fingerprint with that probe's error.
    """
    params = probes.params()
    gate = asyncio.Semaphore(min(_CONCURRENCY, adapter.max_connections or _CONCURRENCY))
    rng = random.Random(probes.seed)

    async def one(probe: Probe) -> ModelOutput:
        async with gate:
            return await _ask(adapter, probe, params, request_timeout, rng)

    try:
        got = await asyncio.gather(*(one(p) for p in probes.probes), return_exceptions=True)
    finally:
        await adapter.aclose()
    outputs: dict[str, ModelOutput] = {}
    for probe, out in zip(probes.probes, got, strict=True):
        if isinstance(out, ModelError):
            raise type(out)(
                f"Fingerprint failed: probe {probe.id} got no answer: {out}",
                status=out.status,
                code=out.code,
                retry_after=out.retry_after,
            ) from out
        if isinstance(out, BaseException):
            raise out
        outputs[probe.id] = out
    texts = {pid: _answer_text(out) for pid, out in outputs.items()}
    return Observation(
        probe_set=probes.id,
        answers={pid: answer_hash(text) for pid, text in texts.items()},
        reported_models=_distinct(o.reported_model for o in outputs.values()),
        system_fingerprints=_distinct(o.system_fingerprint for o in outputs.values()),
        texts=texts,
    )


def _distinct(values: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(sorted({v for v in values if v}))


def _answer_text(out: ModelOutput) -> str:
    if out.refused_by_service:
        return f"[refused by the service: {out.vendor_code or 'blocked'}]"
    return out.text


async def _ask(
    adapter: Adapter,
    probe: Probe,
    params: GenerationParams,
    request_timeout: float,
    rng: random.Random,
) -> ModelOutput:
    from ..engine import Backoff

    backoff = Backoff(base=0.5, cap=10.0)
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            call = adapter.generate(probe.messages(), params)
            if adapter.enforces_timeout:
                return await call
            return await asyncio.wait_for(call, request_timeout)
        except TimeoutError:
            error: ModelError = RequestTimeout(f"no answer within {request_timeout:g} s")
        except ModelError as exc:
            error = exc
        if adapter.stops_run(error) or not adapter.should_retry(error) or attempt == _ATTEMPTS:
            raise error
        await asyncio.sleep(backoff.delay(attempt, error.retry_after, rng))
    raise AssertionError("unreachable")  # pragma: no cover


def take_fingerprint(
    store: Store,
    spec: str,
    *,
    via: str | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    probe_set: str = DEFAULT_PROBE_SET,
    options: AdapterOptions | None = None,
) -> FingerprintResult:
    """Fingerprint the model ``spec``, record it, and compare it with the previous one.

    ``via`` sends the probes to another spec (the same model through another
    gateway or key) while recording the fingerprint under ``spec``. The model gets
    a catalog record (spec only) if it has none. Do not call from a running event
    loop: use :func:`probe_model` there.
    """
    from ..adapters import AdapterOptions, build_adapter
    from ._verdicts import latest_verdicts

    check_tolerance(tolerance)
    key = normalise_spec(spec)
    probes = load_probe_set(probe_set)
    opts = options or AdapterOptions()
    adapter = build_adapter(normalise_spec(via) if via else key, opts)
    observed = asyncio.run(probe_model(adapter, probes, request_timeout=opts.timeout))
    model = ensure_model(store, key)
    previous = store.latest_fingerprint(model.id)
    comparison = compare_fingerprints(previous, observed, tolerance)
    fingerprint = store.add_fingerprint(
        model.id,
        probe_set=observed.probe_set,
        digest=observed.digest,
        answers=observed.answers,
        reported_models=observed.reported_models,
        system_fingerprints=observed.system_fingerprints,
        changed=comparison.changed,
        taken_at=max(time.time(), previous.taken_at + 1e-3 if previous else 0.0),
    )
    stale = {p: v for p, v in latest_verdicts(store, key).items() if v.stale}
    return FingerprintResult(model, fingerprint, previous, comparison, observed, stale)
