"""The child side of :mod:`._sandbox`: the first code the confined interpreter runs.

:func:`_child_main` is not called here: :func:`_child_program` turns its source
into a script that the parent writes beside the code, so the function must stay
self-contained (everything it uses, it imports itself).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import NoReturn


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
