"""Run untrusted Python (model-written code) in a separate, confined process.

:func:`run_untrusted` starts a fresh interpreter on the code and applies, in the
child, as many layers as this machine allows; ``SandboxResult.isolation`` says
which ones were applied.

* Always: its own session (the whole process group is killed on timeout or when
  the program ends), a wall-clock timeout, resource limits (CPU time, address
  space, file size, process count, open files, no core files), an environment
  of six variables (no API keys), a private temporary directory that is
  removed afterwards, ``no_new_privs``, and an interpreter started without
  site-packages or the script's directory on ``sys.path``.
* Where the kernel lets us (root, or unprivileged user namespaces): new network,
  PID, mount and IPC namespaces. No network (only ``lo``, and it is down); the
  code sees only its own processes, so it cannot signal anything outside; the
  file system is read-only except private ``/tmp``, ``/var/tmp`` and ``/dev/shm``
  (small tmpfs that vanish with the run), and ``/proc`` shows only the sandbox.
  Without namespaces the network is cut by a Python-level guard instead, which
  code using ``ctypes`` or a subprocess can bypass.
* As root: the code runs as a fresh unprivileged uid (one per run, no passwd
  entry), so it cannot signal or read root's processes, and RLIMIT_NPROC
  counts only its own processes. If no interpreter of our version is readable by
  such a uid (the running one may live under ``/root``), the first readable
  system interpreter of the same minor version is used.

The strongest plan that works is found once per process by running a canary
program (a few tens of milliseconds) and reused. Tested on Linux.

The plans live in :mod:`._sandbox_plan`, the child's own setup code in
:mod:`._sandbox_child`; this module runs one program and collects what it did.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Literal

from ._sandbox_child import _child_program
from ._sandbox_plan import (
    _NOBODY,
    _OPEN_FILES,
    _TRUSTED_PATH,
    _detect_plan,
    _disk_mb,
    _Limits,
    _uids,
)
from ._sandbox_plan import _Plan as _Plan  # tests annotate with it

__all__ = ["SandboxResult", "SandboxStatus", "run_untrusted"]

SandboxStatus = Literal["passed", "failed", "timeout", "error", "killed"]

_OUTPUT_LIMIT = 8192  # bytes kept of stdout and of stderr: head and tail
_INIT = "sandbox_init.py"  # the child's own first code, beside the script


@dataclass(frozen=True)
class SandboxResult:
    """What happened to one program.

    ``status``: ``passed`` (exit code 0), ``failed`` (another exit code: an
    exception, a failed assertion, a syntax error), ``timeout`` (still running
    at the deadline; killed), ``killed`` (ended by a signal: CPU limit,
    segfault ...) or ``error`` (the sandbox itself could not be set up; the
    reason is in ``stderr``). ``returncode`` is negative for a signal and None
    if no process started. ``stdout``/``stderr`` keep at most 8 KiB each (the
    head and the tail, with a marker saying how much was left out).
    """

    status: SandboxStatus
    returncode: int | None
    stdout: str
    stderr: str
    duration_s: float
    isolation: str


def run_untrusted(
    code: str,
    *,
    timeout: float = 10.0,
    memory_mb: int = 512,
    max_procs: int = 32,
    max_file_mb: int = 16,
) -> SandboxResult:
    """Run ``code`` as the ``__main__`` module of a confined child interpreter.

    Blocks until the program ends or ``timeout`` seconds (wall clock) pass, so
    call it from a worker thread in async code. ``memory_mb`` caps the address
    space of each process, ``max_procs`` the number of processes, ``max_file_mb``
    the size of any file written. Only the standard library is importable.
    """
    if timeout <= 0 or memory_mb < 32 or max_procs < 1 or max_file_mb < 1:
        raise ValueError(
            "run_untrusted needs timeout > 0, memory_mb >= 32, max_procs >= 1, max_file_mb >= 1"
        )
    limits = _Limits(timeout, memory_mb, max_procs, max_file_mb)
    return _execute(code, _plan(), limits)


# -- plans: which layers this machine allows (see _sandbox_plan) ----------------------------


_plan_lock = threading.Lock()
_plan_cache: _Plan | None = None


def _plan() -> _Plan:
    global _plan_cache
    with _plan_lock:
        if _plan_cache is None:
            _plan_cache = _detect_plan(_execute)
        return _plan_cache


# -- one run ---------------------------------------------------------------------------------


def _execute(code: str, plan: _Plan, limits: _Limits) -> SandboxResult:
    uid = None
    if plan.uid == "per-run":
        uid = _uids.acquire()
    elif plan.uid == "nobody":
        uid = _NOBODY
    host_dir = tempfile.mkdtemp(prefix="tianping-sbx-")  # mode 0700
    try:
        script = os.path.join(host_dir, "main.py")
        with open(script, "w", encoding="utf-8") as f:
            f.write(code)
        with open(os.path.join(host_dir, _INIT), "w", encoding="utf-8") as f:
            f.write(_child_program())
        if uid is not None and not plan.namespaces:  # the code works in this very directory
            os.chown(host_dir, uid, uid)
            os.chown(script, uid, uid)
        home = f"/tmp/{os.path.basename(host_dir)}" if plan.namespaces else host_dir
        return _spawn(plan, limits, uid, host_dir, script, home)
    finally:
        _remove_tree(host_dir)
        if plan.uid == "per-run" and uid is not None:
            _uids.release(uid)


def _spawn(
    plan: _Plan, limits: _Limits, uid: int | None, host_dir: str, script: str, home: str
) -> SandboxResult:
    config = {
        "script": script,
        "home": home,
        "ns": int(plan.namespaces),
        "userns": int(plan.user_namespace),
        "uid": -1 if uid is None else uid,
        "cpu": limits.cpu_s,
        "mem": limits.memory_mb << 20,
        "fsize": limits.max_file_mb << 20,
        "nofile": _OPEN_FILES,
        "nproc": limits.max_procs,
        # A uid of our own counts only the sandbox; otherwise the count includes
        # every process the user already has.
        "nproc_relative": int(uid is None or uid == _NOBODY),
        "disk": _disk_mb(limits) << 20,
        "parent": os.getpid(),
    }
    env = {
        "PATH": _TRUSTED_PATH,
        "LANG": "C.UTF-8",
        "HOME": home,
        "TMPDIR": home,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
    }
    ready_r, ready_w = os.pipe()
    config["ready"] = ready_w
    # -s -S -P -B rather than -I: -I implies -E, which would ignore PYTHONHASHSEED
    # (set iteration order must not vary between runs); the environment is ours anyway.
    argv = [plan.python, "-s", "-S", "-P", "-B", os.path.join(host_dir, _INIT)]
    argv += [f"{key}={value}" for key, value in config.items()]
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=host_dir,
            env=env,
            start_new_session=True,
            pass_fds=(ready_w,),
        )
    except OSError as exc:
        os.close(ready_r)
        return SandboxResult("error", None, "", f"cannot start {plan.python}: {exc}", 0.0, "")
    finally:
        os.close(ready_w)
    assert proc.stdout is not None
    assert proc.stderr is not None
    out, err, ready = _Capture(), _Capture(), _Capture()
    streams = {proc.stdout.fileno(): out, proc.stderr.fileno(): err, ready_r: ready}
    try:
        timed_out = _collect(proc.pid, streams, start + limits.timeout)
    finally:
        # Kill whatever is left while the leader is unreaped, so its pid (= the
        # group id) cannot have been reused by an unrelated process.
        _kill_group(proc.pid)
        # A uid of its own and no PID namespace: processes that left the group
        # with setsid() and files left in world-writable directories.
        own_uid = uid if uid != _NOBODY and not plan.namespaces else None
        if own_uid is not None:
            _kill_uid(own_uid, plan.python)
        _drain(streams, time.monotonic() + 0.5)
        proc.stdout.close()
        proc.stderr.close()
        os.close(ready_r)
        returncode = proc.wait()
        if own_uid is not None:
            _remove_files_of(own_uid)
    duration = time.monotonic() - start

    report = ready.text()
    applied = dict(p.split("=", 1) for p in report.split()[1:] if "=" in p)
    isolation = plan.describe(applied, limits)
    status: SandboxStatus
    stderr = err.text()
    if timed_out:
        status = "timeout"
    elif not report.startswith("ok"):
        status = "error"
        stderr = f"sandbox setup failed: {report.removeprefix('error ') or 'no report'}\n{stderr}"
    elif returncode == 0:
        status = "passed"
    elif returncode < 0:
        status = "killed"
    else:
        status = "failed"
    return SandboxResult(status, returncode, out.text(), stderr, round(duration, 4), isolation)


class _Capture:
    """Keeps the head and the tail of a stream and counts what lies between."""

    _HALF = (_OUTPUT_LIMIT - 64) // 2

    def __init__(self) -> None:
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self.open = True

    def add(self, data: bytes) -> None:
        self.total += len(data)
        room = self._HALF - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data:
            self.tail += data
            del self.tail[: -self._HALF]

    def text(self) -> str:
        omitted = self.total - len(self.head) - len(self.tail)
        head = self.head.decode(errors="replace")
        tail = self.tail.decode(errors="replace")
        if omitted <= 0:
            return (self.head + self.tail).decode(errors="replace")
        return f"{head}\n[... {omitted} bytes left out ...]\n{tail}"


def _collect(pid: int, streams: dict[int, _Capture], deadline: float) -> bool:
    """Read the pipes until the child exits or ``deadline``; True if the deadline came first.

    Waits for the exit itself, not for the pipes to close: the code may close its
    output and go on, or leave a process behind that holds them open.
    """
    try:
        exit_fd: int | None = os.pidfd_open(pid)  # readable once the child exits
    except (AttributeError, OSError):  # not Linux >= 5.3: poll
        exit_fd = None
    try:
        with selectors.DefaultSelector() as sel:
            for fd, capture in streams.items():
                if capture.open:
                    sel.register(fd, selectors.EVENT_READ)
            if exit_fd is not None:
                sel.register(exit_fd, selectors.EVENT_READ)
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return True
                for key, _ in sel.select(remaining if exit_fd is not None else 0.05):
                    if key.fd == exit_fd:
                        return False
                    _read(key.fd, streams[key.fd], sel)
                if exit_fd is None and _has_exited(pid):
                    return False
    finally:
        if exit_fd is not None:
            os.close(exit_fd)


def _drain(streams: dict[int, _Capture], deadline: float) -> None:
    """Read what is left in the pipes until they close or ``deadline``."""
    with selectors.DefaultSelector() as sel:
        for fd, capture in streams.items():
            if capture.open:
                sel.register(fd, selectors.EVENT_READ)
        while sel.get_map() and (remaining := deadline - time.monotonic()) > 0:
            for key, _ in sel.select(remaining):
                _read(key.fd, streams[key.fd], sel)


def _read(fd: int, capture: _Capture, sel: selectors.BaseSelector) -> None:
    data = os.read(fd, 65536)
    if data:
        capture.add(data)
    else:
        capture.open = False
        sel.unregister(fd)


def _has_exited(pid: int) -> bool:
    """Whether the child has exited, without reaping it (WNOWAIT)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _kill_uid(uid: int, python: str) -> None:
    """Kill every process of ``uid``: ``kill(-1)`` sent as that uid, atomic in the kernel."""
    kill = shutil.which("kill", path=_TRUSTED_PATH)
    # "-9 -1" is the form procps, util-linux and busybox kill all accept.
    argv = [kill, "-9", "-1"] if kill else [python, "-S", "-c", "import os; os.kill(-1, 9)"]
    subprocess.run(
        argv,
        user=uid,
        group=uid,
        extra_groups=[],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={"PATH": _TRUSTED_PATH},
        timeout=10,
        check=False,
    )


def _remove_files_of(uid: int) -> None:
    """Without a mount namespace the code could write to world-writable directories."""
    for directory in ("/tmp", "/var/tmp", "/dev/shm"):
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path)  # never follows symlinks
                else:
                    os.unlink(entry.path)
            except OSError:
                pass


def _remove_tree(path: str) -> None:
    try:
        shutil.rmtree(path)
    except FileNotFoundError:
        return
    except OSError:
        # Without root the code may have made a subdirectory unreadable.
        for root, dirs, _files in os.walk(path):
            for name in dirs:
                os.chmod(os.path.join(root, name), 0o700)
        shutil.rmtree(path, ignore_errors=True)
