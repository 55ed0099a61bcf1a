"""Plans for :mod:`._sandbox`: which isolation layers this machine allows.

A :class:`_Plan` names the child interpreter and the layers to apply (namespaces,
a user namespace, a uid to switch to); :func:`_detect_plan` picks the strongest
one whose canary run succeeds. Also here: the resource limits of one run, the
search for a system interpreter of our version, and the pool of per-run uids.
"""

from __future__ import annotations

import math
import os
import secrets
import subprocess
import sys
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._sandbox import SandboxResult

_OPEN_FILES = 256
# Per-run uids come from this range: above the ranges distributions, systemd and
# subordinate-uid files hand out, below 2**31.
_UID_BASE = 1_600_000_000
_UID_SPAN = 1 << 24
_NOBODY = 65534
_TRUSTED_PATH = "/usr/bin:/bin"
_AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


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


_CANARY = "import sys, json, hashlib, decimal\nprint('%d.%d' % sys.version_info[:2])\n"


def _detect_plan(execute: Callable[[str, _Plan, _Limits], SandboxResult]) -> _Plan:
    """The strongest plan whose canary run (through ``execute``) succeeds, strongest first."""
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
        result = execute(_CANARY, plan, limits)
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
