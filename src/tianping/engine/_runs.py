"""Run lifecycle: start, resume, finish; the manifest an auditor reads."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from .._version import __version__
from ..adapters import Adapter, AdapterOptions, build_adapter
from ..core import GenerationParams, RunError
from ..store import OutcomeWriter, RunRecord, Store, SuiteRecord
from ._progress import Progress, interactive
from ._scheduler import Counters, EngineConfig, FatalModelError, Pipeline


@dataclass
class RunResult:
    """What a run did; ``to_json`` is what ``tianping run --json`` prints."""

    run_id: str
    status: str
    model: str
    suite: str
    suite_hash: str
    items: int
    completed: int
    failed: int
    requests_sent: int
    cache_hits: int
    retries: int
    wall_s: float
    db: str
    error: str | None = None
    errors: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["items_per_s"] = round(self.items / self.wall_s, 2) if self.wall_s else None
        return out


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def _platform() -> str:
    # platform.platform() reads the interpreter binary to find the libc: ~15 ms.
    u = os.uname()
    return f"{u.sysname}-{u.release}-{u.machine}"


def _new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


def _alive(manifest: dict[str, Any]) -> bool:
    """Whether the process that owns a 'running' run is still alive on this host."""
    proc = manifest.get("process") or {}
    if proc.get("host") != socket.gethostname() or not isinstance(proc.get("pid"), int):
        return False
    if proc["pid"] == os.getpid():
        return False
    try:
        os.kill(proc["pid"], 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class PreparedRun:
    """A run recorded in the store and ready to execute (here or on a cluster)."""

    run_id: str
    adapter: Adapter
    params: GenerationParams
    config: EngineConfig
    n_items: int
    manifest: dict[str, Any]
    started: float
    resuming: bool
    base_requests: int = 0
    base_retries: int = 0

    @property
    def suite_hash(self) -> str:
        return str(self.manifest["suite"]["hash"])


def prepare_run(
    model: str,
    suite: str,
    *,
    store: Store,
    params: GenerationParams | None = None,
    config: EngineConfig | None = None,
) -> PreparedRun:
    """Store the suite (once) and a new run of it against ``model``; send nothing yet."""
    from ..suites import load_suite

    started = time.time()
    params = params or GenerationParams()
    config = config or EngineConfig()
    loaded = load_suite(suite)
    adapter = build_adapter(
        model, AdapterOptions(timeout=config.timeout, max_connections=config.concurrency)
    )
    if not store.has_suite(loaded.hash):
        store.save_suite(
            SuiteRecord(
                hash=loaded.hash,
                name=loaded.name,
                version=loaded.version,
                source=str(loaded.source),
                manifest=loaded.manifest.model_dump(mode="json"),
                n_items=loaded.n_items,
            ),
            ((it.id, it.model_dump_json(exclude_defaults=True)) for it in loaded.iter_items()),
        )
    run_id = _new_run_id()
    manifest = {
        "tool": {"name": "tianping", "version": __version__},
        "python": sys.version.split()[0],
        "platform": _platform(),
        "process": {"host": socket.gethostname(), "pid": os.getpid()},
        "suite": {
            "name": loaded.name,
            "version": loaded.version,
            "hash": loaded.hash,
            "source": str(loaded.source),
            "items": loaded.n_items,
        },
        "model": adapter.describe(),
        "params": {
            "requested": params.model_dump(mode="json"),
            "sent": adapter.wire_params(params),
        },
        "engine": asdict(config),
        "started_at": _iso(started),
    }
    store.create_run(
        RunRecord(
            id=run_id,
            status="running",
            model_spec=model,
            suite_hash=loaded.hash,
            suite_name=loaded.name,
            n_items=loaded.n_items,
            manifest=manifest,
            created_at=started,
        )
    )
    return PreparedRun(run_id, adapter, params, config, loaded.n_items, manifest, started, False)


def prepare_resume(run_id: str, *, store: Store, config: EngineConfig | None = None) -> PreparedRun:
    """Mark a stopped run running again; what it already finished is kept."""
    started = time.time()
    record = store.get_run(run_id)
    if record.status == "running" and _alive(record.manifest):
        raise RunError(
            f"Run {record.id} is still running (pid {record.manifest['process']['pid']})."
        )
    manifest = dict(record.manifest)
    config = config or _config_from_json(manifest.get("engine", {}))
    params = GenerationParams.model_validate(manifest["params"]["requested"])
    adapter = rebuild_adapter(record, config)
    manifest["process"] = {"host": socket.gethostname(), "pid": os.getpid()}
    manifest.setdefault("resumed_at", []).append(_iso(started))
    store.update_run(record.id, status="running", manifest=manifest, error=None)
    return PreparedRun(
        record.id,
        adapter,
        params,
        config,
        record.n_items,
        manifest,
        started,
        True,
        base_requests=record.requests_sent,
        base_retries=record.retries,
    )


def rebuild_adapter(record: RunRecord, config: EngineConfig) -> Adapter:
    """The adapter of a stored run, here (a resume, a cluster worker): the same model
    it was started with, or a RunError."""
    adapter = build_adapter(
        record.model_spec,
        AdapterOptions(timeout=config.timeout, max_connections=config.concurrency),
    )
    if adapter.identity != record.manifest.get("model", {}).get("identity", adapter.identity):
        raise RunError(
            f"Run {record.id}: the model spec {record.model_spec} no longer resolves "
            f"to the same model on {socket.gethostname()}."
        )
    return adapter


def start_run(
    model: str,
    suite: str,
    *,
    store: Store,
    params: GenerationParams | None = None,
    config: EngineConfig | None = None,
    show_progress: bool | None = None,
) -> RunResult:
    """Run every item of ``suite`` against ``model`` and store each response as it arrives."""
    prepared = prepare_run(model, suite, store=store, params=params, config=config)
    return _execute(store, prepared, show_progress=show_progress)


def resume_run(
    run_id: str,
    *,
    store: Store,
    config: EngineConfig | None = None,
    show_progress: bool | None = None,
) -> RunResult:
    """Finish a stopped run: re-send only what did not finish (failed items are retried)."""
    prepared = prepare_resume(run_id, store=store, config=config)
    return _execute(store, prepared, show_progress=show_progress)


def close_adapter(run: PreparedRun) -> None:
    """Close the adapter of a run that will not execute in this process."""
    asyncio.run(run.adapter.aclose())


def _config_from_json(data: dict[str, Any]) -> EngineConfig:
    from ._limits import Backoff

    fields = {k: v for k, v in data.items() if k in EngineConfig.__dataclass_fields__}
    if isinstance(fields.get("backoff"), dict):
        fields["backoff"] = Backoff(**fields["backoff"])
    return EngineConfig(**fields)


def _execute(store: Store, run: PreparedRun, *, show_progress: bool | None) -> RunResult:
    counters = Counters(total=run.n_items)
    adapter, config = run.adapter, run.config

    def run_counters() -> dict[str, int]:
        return {
            "requests_sent": run.base_requests + counters.requests_sent,
            "retries": run.base_retries + counters.retries,
        }

    writer = OutcomeWriter(store, run_counters=run_counters)
    status, error = "completed", None
    enabled = interactive() if show_progress is None else show_progress
    progress = Progress(
        counters, f"{run.manifest['suite']['name']} → {adapter.spec.raw}", enabled=enabled
    )
    pipeline = Pipeline(
        adapter,
        store,
        writer,
        run.run_id,
        run.params,
        config,
        counters,
        resuming=run.resuming,
        on_progress=progress.tick,
    )

    async def main() -> None:
        try:
            # A first page of two waves gets requests going before the rest is parsed.
            pages = store.iter_suite_items(run.suite_hash, first_page=config.concurrency * 2)
            await pipeline.run(pages)
        finally:
            await adapter.aclose()

    try:
        with progress, sigterm_as_interrupt():
            asyncio.run(main())
    except KeyboardInterrupt:
        status, error = "interrupted", "interrupted by the user"
    except FatalModelError as exc:
        status, error = "failed", str(exc)
    except BaseException as exc:
        writer.close()
        finish_run(store, run, f"{type(exc).__name__}: {exc}", counters, run_counters())
        raise
    writer.close()
    return finish_run(store, run, error, counters, run_counters(), status=status)


def finish_run(
    store: Store,
    run: PreparedRun,
    error: str | None,
    counters: Counters,
    totals: dict[str, int] | None,
    *,
    status: str = "failed",
) -> RunResult:
    """Record how a run ended (``totals`` sets its request counters) and what it did."""
    ended = time.time()
    manifest = dict(run.manifest)
    manifest["finished_at"] = _iso(ended)
    if counters.identities:
        seen = manifest.setdefault("reported_identity", {})
        for ident, n in counters.identities.items():
            seen[ident] = seen.get(ident, 0) + n
    store.update_run(
        run.run_id,
        status=status,
        error=error,
        finished_at=ended,
        manifest=manifest,
        **(totals or {}),
    )
    record = store.get_run(run.run_id)
    if status == "completed" and record.failed:
        status = "incomplete"
        store.update_run(run.run_id, status=status)
    return RunResult(
        run_id=run.run_id,
        status=status,
        model=run.adapter.spec.raw,
        suite=manifest["suite"]["name"],
        suite_hash=run.suite_hash,
        items=run.n_items,
        completed=record.completed,
        failed=record.failed,
        requests_sent=counters.requests_sent,
        cache_hits=counters.cache_hits,
        retries=counters.retries,
        wall_s=round(ended - run.started, 3),
        db=store.url,
        error=error,
        errors=dict(counters.errors),
    )


class sigterm_as_interrupt:
    """Treat SIGTERM like Ctrl-C, so a stopped run is flushed and marked interrupted."""

    def __enter__(self) -> None:
        self._old: Any = None
        if threading.current_thread() is threading.main_thread():
            self._old = signal.getsignal(signal.SIGTERM)
            if self._old in (signal.SIG_DFL, None):
                signal.signal(signal.SIGTERM, signal.default_int_handler)

    def __exit__(self, *exc: object) -> None:
        if self._old is not None:
            signal.signal(signal.SIGTERM, self._old)
