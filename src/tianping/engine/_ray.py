"""Runs across a Ray cluster: chunks of (model x suite x items), one progress bar.

The driver (this process) records each run, cuts its items into chunks and
keeps a bounded number in flight per run; workers send them and write the
outcomes straight into the shared store (PostgreSQL across machines; a SQLite
file only when every worker is on this machine). The progress bar reads the
store, so it shows what is durably saved. A chunk whose worker dies is retried
by Ray and, resuming, sends only what the dead worker had not stored.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core import ConfigError, RunError
from ..store import Store
from ._chunks import Chunk, ChunkResult, plan_chunks, run_chunk, share
from ._executors import ExecutorSpec
from ._progress import Progress, interactive
from ._runs import PreparedRun, RunResult, close_adapter, finish_run, sigterm_as_interrupt
from ._scheduler import Counters, EngineConfig

MAX_RETRIES = 5  # times Ray re-runs a chunk whose worker or node died
POLL_S = 0.5
CANCEL_GRACE_S = 10.0
LOCAL_SCHEMES = ("hf", "local", "vllm")


def import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise ConfigError(
            "--executor ray needs Ray on this machine and every worker: "
            "pip install 'tianping[scale]' (or scripts/setup --dev)."
        ) from exc
    return ray


def worker_store_url(store: Store) -> str:
    """The store's URL as workers must open it: password kept, SQLite path absolute."""
    url = store.engine.url
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ConfigError("An in-memory database cannot be shared with Ray workers.")
        url = url.set(database=str(Path(url.database).expanduser().resolve()))
    return url.render_as_string(hide_password=False)


def chunk_task(store_url: str, chunk: Chunk, config: EngineConfig) -> ChunkResult:
    """The remote function: one chunk, in a worker process."""
    return run_chunk(store_url, chunk, config)


def _forwarded_env(runs: list[PreparedRun]) -> dict[str, str]:
    # Workers need the API keys the models read and Tianping's own settings.
    names = {n for n in os.environ if n.startswith("TIANPING_")}
    names.update(k for r in runs if isinstance(k := getattr(r.adapter, "key_env", None), str))
    return {n: os.environ[n] for n in sorted(names) if n in os.environ}


class _Cluster:
    """Connect to ``address`` (or start a local cluster); shut down only what we started."""

    def __init__(self, ray: Any, spec: ExecutorSpec, env: dict[str, str]) -> None:
        self.ray, self.spec, self.env = ray, spec, env
        self.started = False

    def __enter__(self) -> int:
        ray = self.ray
        if not ray.is_initialized():
            local = self.spec.address is None
            ray.init(
                # "local": a new cluster here, never one a `ray start` left in /tmp/ray.
                address=self.spec.address or "local",
                num_cpus=(self.spec.workers or os.cpu_count() or 1) if local else None,
                include_dashboard=False,
                log_to_driver=False,
                logging_level=logging.WARNING,
                runtime_env={"env_vars": self.env} if self.env else None,
            )
            self.started = True
        cpus = float(ray.cluster_resources().get("CPU", 1))
        return max(1, int(cpus / self.spec.chunk_cpus + 1e-9))

    def __exit__(self, *exc: object) -> None:
        if self.started:
            self.ray.shutdown()


def _token_available() -> bool:
    if os.environ.get("RAY_AUTH_TOKEN"):
        return True
    path = os.environ.get("RAY_AUTH_TOKEN_PATH") or "~/.ray/auth_token"
    return Path(path).expanduser().is_file()


def _check_reach(ray: Any, store: Store) -> None:
    if store.dialect != "sqlite":
        return
    here = ray.util.get_node_ip_address()
    others = {n["NodeManagerAddress"] for n in ray.nodes() if n.get("Alive")} - {here}
    if others:
        raise ConfigError(
            f"The store is a SQLite file on this machine, but the Ray cluster has workers on "
            f"{', '.join(sorted(others))}: give them a shared database with "
            "--db postgresql://USER:PASS@HOST/DB."
        )


@dataclass
class _RunState:
    run: PreparedRun
    pending: deque[Chunk]
    config: EngineConfig
    resources: dict[str, float]
    inflight: int = 0
    results: list[ChunkResult] = field(default_factory=list)
    status: str = "completed"
    error: str | None = None

    @property
    def settled(self) -> bool:
        return not self.pending and self.inflight == 0


class _Driver:
    def __init__(
        self,
        ray: Any,
        store: Store,
        url: str,
        runs: list[PreparedRun],
        spec: ExecutorSpec,
        slots: int,
    ) -> None:
        self.ray, self.store, self.url, self.spec, self.slots = ray, store, url, spec, slots
        # By default the cluster is shared out among the runs: each run's limits hold
        # for the run, so many models at once each get their own rate.
        per_run = min(spec.workers, slots) if spec.workers else max(1, slots // len(runs))
        gpus = float(ray.cluster_resources().get("GPU", 0))
        self.states = [
            _RunState(
                run,
                deque(plan_chunks(run.run_id, run.n_items, spec.chunk_size)),
                share(run.config, per_run),
                {"num_gpus": 1.0} if gpus and run.adapter.spec.prefix in LOCAL_SCHEMES else {},
            )
            for run in runs
        ]
        self.per_run = per_run
        self.remote = ray.remote(chunk_task)
        self.refs: dict[Any, tuple[_RunState, Chunk]] = {}
        self._next = 0  # the run whose turn it is
        self.counters = Counters(total=sum(r.n_items for r in runs))
        self.ids = [r.run_id for r in runs]
        base = store.run_counts(self.ids)
        self.base_done = sum(c["completed"] for c in base.values())
        self.counters.already_done = self.base_done
        self.base_hits = sum(c["cache_hits"] for c in base.values())

    def run(self, show_progress: bool | None) -> list[RunResult]:
        for state in self.states:
            state.run.manifest["executor"] = {
                **self.spec.to_json(),
                "slots": self.slots,
                "workers_per_run": self.per_run,
                "worker_engine": {
                    "concurrency": state.config.concurrency,
                    "requests_per_second": state.config.requests_per_second,
                    "tokens_per_minute": state.config.tokens_per_minute,
                },
            }
            self.store.update_run(state.run.run_id, manifest=state.run.manifest)
        enabled = interactive() if show_progress is None else show_progress
        label = f"{len(self.states)} run(s) on Ray ({self.slots} chunk slots)"
        progress = Progress(self.counters, label, enabled=enabled)
        try:
            with progress, sigterm_as_interrupt():
                self._loop(progress)
        except KeyboardInterrupt:
            self._cancel_all()
        return [self._finish(state) for state in self.states]

    def _loop(self, progress: Progress) -> None:
        polled, every = 0.0, POLL_S
        while True:
            self._fill()
            if not self.refs:
                break
            ready, _ = self.ray.wait(list(self.refs), num_returns=1, timeout=POLL_S)
            for ref in ready:
                self._collect(ref)
            if time.monotonic() - polled >= every:
                started = time.monotonic()
                self._poll()
                polled = time.monotonic()
                # Counting grows with the runs' rows (0.25 s at 400,000 on PostgreSQL):
                # never spend more than a tenth of the driver's time on the bar.
                every = max(POLL_S, 10 * (polled - started))
                progress.tick()
        self._poll()

    def _fill(self) -> None:
        # Round-robin over the runs (starting after the last one served), so every
        # model moves; at most one chunk per CPU in flight, so the driver, not Ray's
        # queue, decides what goes next.
        n = len(self.states)
        idle = 0
        while len(self.refs) < self.slots and idle < n:
            state = self.states[self._next]
            self._next = (self._next + 1) % n
            if not state.pending or state.inflight >= self.per_run:
                idle += 1
                continue
            idle = 0
            chunk = state.pending.popleft()
            options: dict[str, Any] = {
                "name": "tianping-chunk",
                "num_cpus": self.spec.chunk_cpus,
                "max_retries": MAX_RETRIES,
                "retry_exceptions": False,
                **state.resources,
            }
            ref = self.remote.options(**options).remote(self.url, chunk, state.config)
            self.refs[ref] = (state, chunk)
            state.inflight += 1

    def _collect(self, ref: Any) -> None:
        state, chunk = self.refs.pop(ref)
        state.inflight -= 1
        try:
            result: ChunkResult = self.ray.get(ref)
        except self.ray.exceptions.TaskCancelledError:
            return
        except self.ray.exceptions.RayError as exc:
            self._fail(state, f"items {chunk.start}-{chunk.stop - 1}: {_describe(exc)}")
            return
        state.results.append(result)
        done = result.counters
        self.counters.retries += done.retries
        self.counters.requests_sent += done.requests_sent
        for name, n in done.errors.items():
            self.counters.errors[name] = self.counters.errors.get(name, 0) + n
        if result.fatal is not None:
            self._fail(state, result.fatal)

    def _fail(self, state: _RunState, error: str) -> None:
        """Stop one run: its workers see the status and stop; the other runs go on."""
        if state.status != "failed":
            state.status, state.error = "failed", error
            self.store.update_run(state.run.run_id, status="failed", error=error)
        state.pending.clear()

    def _poll(self) -> None:
        counts = self.store.run_counts(self.ids)
        done = sum(c["completed"] for c in counts.values())
        self.counters.completed = max(0, done - self.base_done)
        self.counters.failed = sum(c["failed"] for c in counts.values())
        hits = sum(c["cache_hits"] for c in counts.values())
        self.counters.cache_hits = max(0, hits - self.base_hits)

    def _cancel_all(self) -> None:
        """Ctrl-C: the workers see their runs interrupted, store what they have and stop.

        (Stopping them through the store rather than ``ray.cancel`` also avoids a Ray
        2.60 driver abort when a cancelled task's reply arrives.)
        """
        for state in self.states:
            if not state.settled and state.status == "completed":
                state.status, state.error = "interrupted", "interrupted by the user"
                self.store.update_run(state.run.run_id, status="interrupted")
            state.pending.clear()
        deadline = time.monotonic() + CANCEL_GRACE_S
        while self.refs and time.monotonic() < deadline:
            ready, _ = self.ray.wait(list(self.refs), num_returns=1, timeout=0.5)
            for ref in ready:
                self._collect(ref)
        for ref in self.refs:  # a worker that did not stop in time
            self.ray.cancel(ref, force=True)
        self.refs.clear()

    def _finish(self, state: _RunState) -> RunResult:
        run = state.run
        record = self.store.get_run(run.run_id)
        counters = Counters(
            total=run.n_items,
            requests_sent=record.requests_sent - run.base_requests,
            retries=record.retries - run.base_retries,
            cache_hits=sum(r.counters.cache_hits for r in state.results),
        )
        for result in state.results:
            for name, n in result.counters.errors.items():
                counters.errors[name] = counters.errors.get(name, 0) + n
            for ident, n in result.counters.identities.items():
                counters.identities[ident] = counters.identities.get(ident, 0) + n
        return finish_run(self.store, run, state.error, counters, None, status=state.status)


def _describe(exc: BaseException) -> str:
    cause = getattr(exc, "cause", None)
    if isinstance(cause, BaseException):
        return f"{type(cause).__name__}: {cause}"
    first = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {first[0] if first else ''}"


def probe(address: str, timeout: float = 5.0) -> None:
    """Fail fast when nothing listens at ``address`` (Ray itself waits minutes)."""
    if address in ("auto", "local"):
        return
    host, _, port = address.split("://", 1)[-1].rpartition(":")
    if not port.isdigit():
        raise ConfigError(f"--address takes HOST:PORT (or auto), not {address!r}.")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout).close()
    except OSError as exc:
        raise RunError(
            f"No Ray cluster answers at {address} ({exc.strerror or exc}). Start one with "
            "`ray start --head`, or leave out --address to start one here."
        ) from exc


def execute_on_ray(
    store: Store,
    runs: list[PreparedRun],
    spec: ExecutorSpec,
    *,
    show_progress: bool | None = None,
) -> list[RunResult]:
    """Execute ``runs`` as chunks on a Ray cluster; results in the order given."""
    for run in runs:
        close_adapter(run)  # the driver sends nothing itself
    try:
        if spec.address is not None:
            probe(spec.address)
            if "RAY_AUTH_MODE" not in os.environ and _token_available():
                # A cluster started by `ray start` asks for its token (Ray >= 2.52), and a
                # client sends it only in token mode, read when Ray is imported. A cluster
                # without authentication ignores it.
                os.environ["RAY_AUTH_MODE"] = "token"
        ray = import_ray()
        url = worker_store_url(store)  # an in-memory store fails here, before a cluster starts
        cluster = _Cluster(ray, spec, _forwarded_env(runs))
        slots = cluster.__enter__()
    except Exception as exc:
        # Nothing was sent: the runs are marked, to be resumed once the cluster is there.
        for run in runs:
            finish_run(store, run, f"{type(exc).__name__}: {exc}", Counters(), None)
        raise
    try:
        _check_reach(ray, store)
        return _Driver(ray, store, url, runs, spec, slots).run(show_progress)
    except Exception as exc:
        for run in runs:
            if store.get_run(run.run_id).status == "running":
                finish_run(store, run, f"{type(exc).__name__}: {exc}", Counters(), None)
        raise
    finally:
        cluster.__exit__(None, None, None)
