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
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from typing import NoReturn

__all__ = ["SandboxResult", "SandboxStatus", "run_untrusted"]

SandboxStatus = Literal["passed", "failed", "timeout", "error", "killed"]

_OUTPUT_LIMIT = 8192  # bytes kept of stdout and of stderr: head and tail
_OPEN_FILES = 256
# Per-run uids come from this range: above the ranges distributions, systemd and
# subordinate-uid files hand out, below 2**31.
_UID_BASE = 1_600_000_000
_UID_SPAN = 1 << 24
_NOBODY = 65534
_TRUSTED_PATH = "/usr/bin:/bin"
_AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
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


# -- plans: which layers this machine allows ------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    python: str  # the child interpreter
    python_version: str
    namespaces: bool  # new network, PID, mount and IPC namespaces
    user_namespace: bool  # namespaces need a user namespace when we are not root
    uid: Literal["per-run", "nobody"] | None  # setuid target when we are root

    def describe(self, applied: dict[str, str], limits: _Limits) -> str:
        if self.uid == "per-run":
            user = "user: fresh unprivileged uid per run"
        elif self.uid == "nobody":
            user = "user: nobody (65534, shared with other runs)"
        elif self.user_namespace:
            user = "user: same as parent, in its own user and PID namespace, no capabilities"
        elif self.namespaces:
            user = "user: root without capabilities (weaker: owns root's files; no process limit)"
        elif _AS_ROOT:
            user = "user: root without capabilities (weaker: can signal root's processes)"
        else:
            user = "user: same as parent (weaker: can signal it and read its /proc)"
        if self.namespaces:
            net = "network: namespace"
            ro, total = applied.get("ro", "0/0").split("/")
            fs = "fs: read-only" if ro == total else f"fs: {int(total) - int(ro)} mounts writable"
            fs += f", private tmpfs /tmp /var/tmp /dev/shm ({_disk_mb(limits)} MiB)"
            fs += f", {applied.get('proc', '?')} /proc; pid: namespace"
        else:
            net = "network: python-guard (weaker)"
            writable = "root's files" if _AS_ROOT and self.uid is None else "world-writable dirs"
            fs = f"fs: shared (weaker: {writable} are writable); pid: shared"
        # The kernel never applies RLIMIT_NPROC to uid 0.
        procs = "not enforced (root)" if _AS_ROOT and self.uid is None else limits.max_procs
        parts = [
            user,
            net,
            fs,
            f"limits: cpu {limits.cpu_s} s, memory {limits.memory_mb} MiB, "
            f"file {limits.max_file_mb} MiB, processes {procs}, "
            f"open files {_OPEN_FILES}, core 0",
            "session: own; env: minimal",
            f"python: {self.python} ({self.python_version})",
        ]
        return "; ".join(parts)


@dataclass(frozen=True)
class _Limits:
    timeout: float
    memory_mb: int
    max_procs: int
    max_file_mb: int

    @property
    def cpu_s(self) -> int:
        return math.ceil(self.timeout) + 1


def _disk_mb(limits: _Limits) -> int:
    return max(64, 2 * limits.max_file_mb)


_plan_lock = threading.Lock()
_plan_cache: _Plan | None = None


def _plan() -> _Plan:
    global _plan_cache
    with _plan_lock:
        if _plan_cache is None:
            _plan_cache = _detect_plan()
        return _plan_cache


_CANARY = "import sys, json, hashlib, decimal\nprint('%d.%d' % sys.version_info[:2])\n"


def _detect_plan() -> _Plan:
    """The strongest plan whose canary run succeeds, strongest first."""
    ours = f"{sys.version_info[0]}.{sys.version_info[1]}"
    full = sys.version.split()[0]
    candidates: list[_Plan] = []
    if _AS_ROOT:
        pythons = _interpreters(ours)
        uids: tuple[Literal["per-run", "nobody"], ...] = ("per-run", "nobody")
        for namespaces in (True, False):
            for uid in uids:
                for path, version in pythons:
                    candidates.append(_Plan(path, version, namespaces, False, uid))
        candidates.append(_Plan(sys.executable, full, True, False, None))
    else:
        candidates.append(_Plan(sys.executable, full, True, True, None))
    fallback = _Plan(sys.executable, full, False, False, None)
    limits = _Limits(10.0, 256, 8, 1)
    for plan in candidates:
        result = _execute(_CANARY, plan, limits)
        if result.status == "passed" and result.stdout.strip() == ours:
            return plan
    return fallback


def _interpreters(version: str) -> list[tuple[str, str]]:
    """``sys.executable`` first, then system interpreters of the same minor version."""
    found = [(sys.executable, sys.version.split()[0])]
    seen = {os.path.realpath(sys.executable)}
    for name in (f"python{version}", "python3"):
        for directory in ("/usr/local/bin", "/usr/bin", "/bin"):
            path = os.path.join(directory, name)
            real = os.path.realpath(path)
            if real in seen or not os.access(path, os.X_OK):
                continue
            seen.add(real)
            try:
                out = subprocess.run(
                    [path, "-S", "-c", "import sys; print(sys.version.split()[0])"],
                    capture_output=True,
                    text=True,
                    timeout=10,
                    env={"PATH": _TRUSTED_PATH},
                    check=False,
                ).stdout.strip()
            except (OSError, subprocess.TimeoutExpired):
                continue
            if out.rsplit(".", 1)[0] == version:
                found.append((path, out))
    return found


class _UidPool:
    """Unused uids for concurrent runs: random start per process, never two alike at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used: set[int] = set()
        self._next = secrets.randbelow(_UID_SPAN)

    def acquire(self) -> int:
        with self._lock:
            while True:
                uid = _UID_BASE + self._next
                self._next = (self._next + 1) % _UID_SPAN
                if uid not in self._used:
                    self._used.add(uid)
                    return uid

    def release(self, uid: int) -> None:
        with self._lock:
            self._used.discard(uid)


_uids = _UidPool()


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


# -- the child ------------------------------------------------------------------------------


@cache
def _child_program() -> str:
    import inspect
    import textwrap

    source = textwrap.dedent(inspect.getsource(_child_main))
    return f"from __future__ import annotations\n{source}\n_child_main()\n"


def _child_main() -> None:
    """The first code the child runs; sent as source, so it may use only what it imports.

    Reads ``key=value`` arguments, confines itself (namespaces, mounts, limits,
    uid), writes ``ok ...`` or ``error ...`` to the ready pipe, then runs the
    script as ``__main__``.
    """
    import ctypes
    import os
    import resource
    import sys

    cfg = dict(arg.split("=", 1) for arg in sys.argv[1:])
    ready = int(cfg["ready"])
    num = {key: int(value) for key, value in cfg.items() if value.lstrip("-").isdigit()}
    home = cfg["home"]

    def fail(message: str) -> NoReturn:
        os.write(ready, ("error " + message).encode()[:4000])
        os._exit(125)

    try:
        libc = ctypes.CDLL(None, use_errno=True)

        def check(rc: int, what: str) -> None:
            if rc != 0:
                fail(f"{what}: {os.strerror(ctypes.get_errno())}")

        def die_with_parent(parent: int) -> None:
            # PR_SET_PDEATHSIG, SIGKILL. The kernel clears it when the uid changes,
            # so it is set again after setuid. Checking the parent after setting it
            # closes the race with a parent that died just before.
            if not hasattr(libc, "prctl"):  # not Linux
                return
            check(libc.prctl(1, 9, 0, 0, 0), "die with parent")
            if parent and os.getppid() != parent:
                os._exit(125)

        def mount(
            src: str | None, target: str, fstype: str | None, flags: int, data: str | None
        ) -> int:
            def enc(s: str | None) -> bytes | None:
                return None if s is None else s.encode()

            return int(
                libc.mount(enc(src), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data))
            )

        with open(cfg["script"], "rb") as src_file:
            source = src_file.read()
        # Before the fork: the waiter re-raises the code's fatal signal on itself.
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        nproc = num["nproc"]
        # RLIMIT_NPROC counts all of this user's processes.
        if num["nproc_relative"] and os.path.isdir("/proc"):
            me = os.getuid()
            for entry in os.listdir("/proc"):
                try:
                    if entry.isdigit() and os.stat(f"/proc/{entry}").st_uid == me:
                        nproc += 1
                except OSError:
                    pass
        applied = ""
        if num["ns"]:
            real_uid, real_gid = os.getuid(), os.getgid()
            flags = 0x40000000 | 0x20000000 | 0x08000000 | 0x00020000  # NET PID IPC NS
            if num["userns"]:
                flags |= 0x10000000
            check(libc.unshare(ctypes.c_int(flags)), "unshare")
            if num["userns"]:
                for name, text in (
                    ("setgroups", "deny"),
                    ("uid_map", f"{real_uid} {real_uid} 1"),
                    ("gid_map", f"{real_gid} {real_gid} 1"),
                ):
                    with open(f"/proc/self/{name}", "w") as map_file:
                        map_file.write(text)
            die_with_parent(num["parent"])  # we die with the scorer; the namespace with us
            child = os.fork()
            if child:  # outside the new PID namespace: wait, and relay how it ended
                os.close(ready)
                _, status = os.waitpid(child, 0)
                if os.WIFSIGNALED(status):
                    import signal  # costs 7 ms (enum): only here

                    sig = os.WTERMSIG(status)
                    if sig not in (signal.SIGKILL, signal.SIGSTOP):
                        signal.signal(sig, signal.SIG_DFL)
                    os.kill(os.getpid(), sig)
                    os._exit(128 + sig)
                os._exit(os.WEXITSTATUS(status))
            # PID 1 of the new namespace (its parent is outside it, so getppid()
            # is 0); if the waiter dies, so does the namespace.
            die_with_parent(0)
            check(mount(None, "/", None, 0x4000 | 0x40000, None), "make mounts private")
            readonly = total = 0
            with open("/proc/self/mountinfo") as info:
                points = [line.split()[4] for line in info]
            for raw in points:
                # Octal escapes (\040 for a space ...) in a UTF-8 path.
                point = raw.encode().decode("unicode_escape").encode("latin-1").decode()
                if point.split("/")[1] in ("proc", "dev"):
                    continue
                total += 1
                try:
                    st = os.statvfs(point).f_flag
                except OSError:
                    continue
                keep = st & (os.ST_NOSUID | os.ST_NODEV | os.ST_NOEXEC)  # same values as MS_*
                if mount(None, point, None, 0x20 | 0x1000 | 0x1 | keep, None) == 0:
                    readonly += 1  # MS_REMOUNT | MS_BIND | MS_RDONLY: this mount only
            opts = f"size={num['disk']},mode=1777"
            check(mount("tmpfs", "/tmp", "tmpfs", 0x2 | 0x4, opts), "mount /tmp")
            for point in ("/var/tmp", "/dev/shm"):
                if os.path.isdir(point):
                    check(mount("tmpfs", point, "tmpfs", 0x2 | 0x4, opts), f"mount {point}")
            proc = "private"
            if mount("proc", "/proc", "proc", 0x2 | 0x4 | 0x8, None) != 0:
                proc = "hidden"
                check(mount("tmpfs", "/proc", "tmpfs", 0x2 | 0x4 | 0x8, "size=4k"), "hide /proc")
            os.mkdir(home, 0o700)
            script = os.path.join(home, "main.py")
            with open(script, "wb") as out:
                out.write(source)
            if num["uid"] >= 0:
                os.chown(home, num["uid"], num["uid"])
                os.chown(script, num["uid"], num["uid"])
            applied = f" ro={readonly}/{total} proc={proc}"
        else:
            script = cfg["script"]
        os.chdir(home)
        for limit, soft, hard in (
            (resource.RLIMIT_CPU, num["cpu"], num["cpu"] + 1),
            (resource.RLIMIT_AS, num["mem"], num["mem"]),
            (resource.RLIMIT_FSIZE, num["fsize"], num["fsize"]),
            (resource.RLIMIT_NOFILE, num["nofile"], num["nofile"]),
            (resource.RLIMIT_NPROC, nproc, nproc),
        ):
            resource.setrlimit(limit, (soft, hard))
        if hasattr(libc, "prctl"):
            check(libc.prctl(38, 1, 0, 0, 0), "no_new_privs")  # PR_SET_NO_NEW_PRIVS
        if num["uid"] >= 0:
            uid = num["uid"]
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            if os.getresuid() != (uid, uid, uid):
                fail("setuid did not take")
        elif hasattr(libc, "capset"):
            # Drop every capability: those unshare gave us in a user namespace
            # would let the code unmount our /proc and /tmp, and root's would
            # let it do anything.

            class Header(ctypes.Structure):
                _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

            caps = (ctypes.c_uint32 * 6)()
            check(libc.capset(ctypes.byref(Header(0x20080522, 0)), caps), "capset")
        die_with_parent(0 if num["ns"] else num["parent"])
        if not num["ns"]:
            import _socket
            import socket

            def no_network(*args: object, **kwargs: object) -> NoReturn:
                raise PermissionError(1, "network access is disabled in the sandbox")

            for module in (socket, _socket):
                for name in ("socket", "SocketType", "socketpair", "fromfd", "create_connection"):
                    if hasattr(module, name):
                        setattr(module, name, no_network)
        os.write(ready, ("ok" + applied).encode())
        os.close(ready)
    except Exception as exc:
        fail(f"{type(exc).__name__}: {exc}")

    main = type(sys)("__main__")
    main.__file__ = script
    sys.modules["__main__"] = main
    sys.argv[:] = [script]
    code = compile(source, script, "exec")
    exec(code, main.__dict__)
