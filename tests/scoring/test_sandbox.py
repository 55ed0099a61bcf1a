"""The sandbox for model-written code: correct results, and hostile code contained.

Tests that would hurt the test process if containment failed (signalling the
parent, ``kill(-1)``) run only where the plan in force keeps the code in its own
PID namespace or under its own uid.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

from tianping.scoring import _sandbox as sandbox
from tianping.scoring._sandbox import SandboxResult, run_untrusted

SANDBOX_SOURCE = Path(sandbox.__file__)


@pytest.fixture(scope="module")
def plan() -> sandbox._Plan:
    return sandbox._plan()


@pytest.fixture(params=["detected", "uid-only"])
def variant(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> sandbox._Plan:
    """The plan in force, and (as root) the fallback where namespaces are not allowed."""
    detected = sandbox._plan()
    if request.param == "detected":
        return detected
    if detected.uid != "per-run":
        pytest.skip("needs root: a uid per run")
    weaker = dataclasses.replace(detected, namespaces=False)
    monkeypatch.setattr(sandbox, "_plan_cache", weaker)
    return weaker


def contained(plan: sandbox._Plan) -> bool:
    """Whether the code can neither see nor signal processes outside the sandbox."""
    return plan.namespaces or plan.uid == "per-run"


def leftovers(marker: str, *more: str) -> list[int]:
    """Host pids whose command line names the run's private directory (and ``more``)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if all(m.encode() in cmdline for m in (marker, *more)):
            found.append(int(entry))
    return found


def run_dir_name(result: SandboxResult) -> str:
    """The private directory's name, which the code under test printed first."""
    return Path(result.stdout.splitlines()[0]).name


PRINT_HOME = "import os\nprint(os.environ['HOME'], flush=True)\n"


# -- correct results -----------------------------------------------------------------------


def test_a_passing_program() -> None:
    result = run_untrusted("print(sum(range(10)))")
    assert result.status == "passed"
    assert result.returncode == 0
    assert result.stdout == "45\n"
    assert result.stderr == ""
    assert 0 < result.duration_s < 10
    assert "limits: cpu" in result.isolation


def test_a_failing_program_reports_the_exception() -> None:
    result = run_untrusted("def f():\n    raise ValueError('wrong answer')\nf()\n")
    assert result.status == "failed"
    assert result.returncode == 1
    assert result.stderr.rstrip().splitlines()[-1] == "ValueError: wrong answer"
    assert "main.py" in result.stderr


def test_a_syntax_error_fails_with_the_message() -> None:
    result = run_untrusted("def f(:\n    pass\n")
    assert result.status == "failed"
    assert "SyntaxError" in result.stderr.splitlines()[-1]


def test_sys_exit_codes_and_assertions() -> None:
    assert run_untrusted("import sys; sys.exit(3)").returncode == 3
    assert run_untrusted("import sys; sys.exit(0)").status == "passed"
    assert run_untrusted("assert 1 == 2").stderr.rstrip().endswith("AssertionError")


def test_only_the_standard_library_is_importable() -> None:
    result = run_untrusted("import json, hashlib, decimal, collections\nimport pydantic\n")
    assert result.status == "failed"
    assert "No module named 'pydantic'" in result.stderr


def test_hashing_is_deterministic() -> None:
    code = "print(hash('tianping'), list({'a', 'b', 'c', 'd', 'e'}))"
    assert run_untrusted(code).stdout == run_untrusted(code).stdout


def test_the_code_runs_as_main_with_a_fresh_namespace() -> None:
    code = "print(__name__, sorted(k for k in globals() if not k.startswith('__')))"
    assert run_untrusted(code).stdout == "__main__ []\n"


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="timeout"):
        run_untrusted("pass", timeout=0)
    with pytest.raises(ValueError, match="memory_mb"):
        run_untrusted("pass", memory_mb=1)


def test_concurrent_runs_do_not_mix() -> None:
    results: dict[int, SandboxResult] = {}

    def one(i: int) -> None:
        results[i] = run_untrusted(f"import time; time.sleep(0.2); print({i})")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {i: r.stdout for i, r in results.items()} == {i: f"{i}\n" for i in range(4)}


# -- hostile code --------------------------------------------------------------------------


def test_an_infinite_loop_times_out() -> None:
    result = run_untrusted("while True:\n    pass\n", timeout=1.0)
    assert result.status == "timeout"
    assert 1.0 <= result.duration_s < 4.0


def test_a_sleeping_program_times_out_on_the_wall_clock() -> None:
    result = run_untrusted("import time\ntime.sleep(60)\n", timeout=1.0)
    assert result.status == "timeout"
    assert result.duration_s < 4.0


@pytest.mark.parametrize(
    "bomb",
    [
        "while True:\n    os.fork()\n",
        # Nastier: swallow the failures so every process keeps forking.
        "while True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
    ],
    ids=["plain", "persistent"],
)
def test_a_fork_bomb_is_bounded_and_cleaned_up(bomb: str, variant: sandbox._Plan) -> None:
    start = time.monotonic()
    result = run_untrusted(PRINT_HOME + bomb, timeout=3.0, max_procs=16)
    assert result.status in ("timeout", "failed", "killed")
    assert time.monotonic() - start < 3.0 + 5.0
    assert leftovers(run_dir_name(result)) == []
    assert run_untrusted("print('still fine')").stdout == "still fine\n"


def test_the_process_count_is_limited() -> None:
    code = """
import os, time
n = 0
try:
    for _ in range(200):
        if os.fork() == 0:
            time.sleep(10)
            os._exit(0)
        n += 1
except OSError as exc:
    print(n, exc.errno)
"""
    result = run_untrusted(code, max_procs=8, timeout=5)
    n, errno = map(int, result.stdout.split())
    assert n < 8
    assert errno == 11  # EAGAIN


@pytest.mark.parametrize("who", ["a child", "the program itself"])
def test_a_process_that_leaves_the_group_is_killed(variant: sandbox._Plan, who: str) -> None:
    if not contained(variant):
        pytest.skip("needs a PID namespace or a uid of its own to find escaped processes")
    if who == "a child":
        code = PRINT_HOME + (
            "if os.fork() == 0:\n    os.setsid()\n    import time\n    time.sleep(60)\n"
            "else:\n    print('parent leaves')\n"
        )
        result = run_untrusted(code, timeout=5)
        assert result.status == "passed"
        assert result.duration_s < 3
    else:
        # In a PID namespace the program is not a group leader and can leave;
        # without one it leads its own session already and setsid() fails.
        code = PRINT_HOME + "try:\n    os.setsid()\nexcept OSError:\n    pass\n"
        code += "import time\ntime.sleep(60)\n"
        result = run_untrusted(code, timeout=1)
        assert result.status == "timeout"
    time.sleep(0.1)  # the kernel tears a PID namespace down asynchronously
    assert leftovers(run_dir_name(result)) == []


def test_the_sandbox_dies_with_the_process_that_started_it(tmp_path: Path) -> None:
    # mkdtemp honours TMPDIR, so the run's directory, and so every sandbox
    # process's command line, names tmp_path; "cpu=61" (the CPU limit for a
    # 60 s timeout) tells this run from the canaries that find the plan.
    program = (
        "from tianping.scoring._sandbox import run_untrusted\n"
        "print('started', flush=True)\n"
        "run_untrusted('import time\\ntime.sleep(60)', timeout=60)\n"
    )
    scorer = subprocess.Popen(
        [sys.executable, "-c", program],
        env={**os.environ, "TMPDIR": str(tmp_path)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert scorer.stdout is not None
        assert scorer.stdout.readline() == "started\n"
        deadline = time.monotonic() + 20
        while not leftovers(str(tmp_path), "cpu=61") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert leftovers(str(tmp_path), "cpu=61"), "the sandbox never started"
    finally:
        scorer.kill()
        scorer.wait()
        scorer.stdout.close()  # type: ignore[union-attr]
    deadline = time.monotonic() + 5
    while leftovers(str(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert leftovers(str(tmp_path)) == []


@pytest.mark.parametrize(
    "bomb",
    ["x = bytearray(10**10)\n", "x = []\nwhile True:\n    x.append(bytearray(10**6))\n"],
    ids=["one-allocation", "growing"],
)
def test_a_memory_bomb_hits_the_limit(bomb: str) -> None:
    result = run_untrusted(bomb, memory_mb=256, timeout=10)
    assert result.status in ("failed", "killed")
    if result.status == "failed":
        assert "MemoryError" in result.stderr


def test_a_file_size_bomb_hits_the_limit() -> None:
    code = "with open('big', 'wb') as f:\n    for _ in range(64):\n        f.write(b'x' * 2**20)\n"
    result = run_untrusted(code, max_file_mb=4)
    assert result.status == "failed"
    assert "File too large" in result.stderr


def test_a_crash_is_killed_by_its_signal() -> None:
    result = run_untrusted("import ctypes\nctypes.string_at(0)\n")
    assert result.status == "killed"
    assert result.returncode == -11  # SIGSEGV
    assert run_untrusted(
        "import resource; print(resource.getrlimit(resource.RLIMIT_CORE))"
    ).stdout == ("(0, 0)\n")


def test_an_output_flood_is_truncated() -> None:
    result = run_untrusted("import sys\nsys.stdout.write('x' * 50_000_000)\nprint('END')\n")
    assert result.status == "passed"
    assert len(result.stdout) <= 8192
    assert "bytes left out" in result.stdout
    assert result.stdout.rstrip().endswith("END")


def test_an_endless_output_flood_times_out_truncated() -> None:
    result = run_untrusted("while True:\n    print('y' * 1000)\n", timeout=1.0)
    assert result.status == "timeout"
    assert len(result.stdout) <= 8192
    assert len(result.stderr) <= 8192


def test_api_keys_are_not_visible(monkeypatch: pytest.MonkeyPatch, variant: sandbox._Plan) -> None:
    secret = f"sk-{uuid.uuid4().hex}"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    monkeypatch.setenv("DASHSCOPE_API_KEY", secret)
    monkeypatch.setenv("TIANPING_DB", secret)
    code = f"""
import json, os
print(json.dumps(sorted(os.environ)))
for path in ('/proc/{os.getpid()}/environ', '/proc/1/environ'):
    try:
        print(open(path, 'rb').read())
    except OSError as exc:
        print(type(exc).__name__)
"""
    result = run_untrusted(code)
    assert result.status == "passed"
    names = json.loads(result.stdout.splitlines()[0])
    assert names == ["HOME", "LANG", "PATH", "PYTHONDONTWRITEBYTECODE", "PYTHONHASHSEED", "TMPDIR"]
    if contained(variant):  # same user without namespaces could read our /proc entry
        assert secret not in result.stdout


@pytest.mark.network
def test_no_network_to_a_loopback_server(plan: sandbox._Plan) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(0.5)
        port = server.getsockname()[1]
        code = f"""
import socket
s = socket.create_connection(('127.0.0.1', {port}), timeout=2)
print('connected')
"""
        result = run_untrusted(code)
        with pytest.raises(TimeoutError):
            server.accept()
    assert result.status == "failed"
    assert "connected" not in result.stdout
    assert "Error" in result.stderr.splitlines()[-1]
    if plan.namespaces:
        assert "network: namespace" in result.isolation
        assert run_untrusted("import socket; print(socket.if_nameindex())").stdout == (
            "[(1, 'lo')]\n"
        )


@pytest.mark.network
def test_the_python_guard_when_there_are_no_namespaces(
    monkeypatch: pytest.MonkeyPatch, plan: sandbox._Plan
) -> None:
    monkeypatch.setattr(sandbox, "_plan_cache", dataclasses.replace(plan, namespaces=False))
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        result = run_untrusted(f"import socket\nsocket.create_connection(('127.0.0.1', {port}))")
    assert result.status == "failed"
    assert "network access is disabled" in result.stderr
    assert "network: python-guard (weaker)" in result.isolation


def hostile_to_parent(pid: int, bystander: int) -> str:
    return f"""
import os
for what, call in [
    ("getppid", lambda: os.kill(os.getppid(), 9)),
    ("pid", lambda: os.kill({pid}, 9)),
    ("group", lambda: os.killpg(os.getpgid({pid}), 9)),
    ("bystander", lambda: os.kill({bystander}, 9)),
    ("everyone", lambda: os.kill(-1, 9)),
]:
    try:
        call()
        print(what, "sent")
    except OSError as exc:
        print(what, type(exc).__name__)
"""


def test_the_code_cannot_kill_its_parent(variant: sandbox._Plan) -> None:
    if not contained(variant):
        pytest.skip("the code runs as this user without a PID namespace: it could kill us")
    bystander = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        result = run_untrusted(hostile_to_parent(os.getpid(), bystander.pid))
        time.sleep(0.2)
        assert bystander.poll() is None  # not killed, nor by kill(-1)
    finally:
        bystander.kill()
        bystander.wait()
    assert result.status in ("passed", "failed")
    outcome = dict(line.split() for line in result.stdout.splitlines())
    # In a PID namespace getppid() is 0, and kill(0) reaches only the sandbox.
    assert outcome["pid"] != "sent"
    assert outcome["group"] != "sent"
    assert outcome["bystander"] != "sent"


def test_writes_stay_in_the_private_directory(variant: sandbox._Plan) -> None:
    escape = f"/tmp/escape_{uuid.uuid4().hex}"
    # Not under /tmp: in a mount namespace that tree is read-only (EROFS, errno 30),
    # not merely closed to another uid (EACCES, errno 13).
    beside_us = Path(__file__).parent / f"escape_{uuid.uuid4().hex}"
    code = f"""
import os
print(os.getcwd(), flush=True)
open('inside.txt', 'w').write('ok')
print(sorted(os.listdir('.')))
for path in ({escape!r}, {str(beside_us)!r}):
    try:
        open(path, 'w').write('escaped')
        print('wrote', path)
    except OSError as exc:
        print('refused', path, exc.errno)
"""
    result = run_untrusted(code)
    assert result.status == "passed"
    assert "'inside.txt'" in result.stdout
    workdir = result.stdout.splitlines()[0]
    assert not Path(workdir).exists()
    assert not (Path(tempfile.gettempdir()) / Path(workdir).name).exists()
    assert not beside_us.exists()
    if variant.namespaces:
        assert f"wrote {escape}" in result.stdout  # to the run's own /tmp
        # EROFS (30): the host tree is read-only inside. ENOENT (2): the checkout lies
        # under /tmp (as CI's clone may), which the run sees as its own empty tmpfs.
        assert any(f"refused {beside_us} {errno}" in result.stdout for errno in (30, 2))
    if contained(variant):
        assert not Path(escape).exists()  # gone with the namespace, or removed after the run
    else:
        Path(escape).unlink(missing_ok=True)


def test_a_setup_failure_is_an_error(monkeypatch: pytest.MonkeyPatch, plan: sandbox._Plan) -> None:
    bad = dataclasses.replace(plan, python="/nonexistent/python3")
    monkeypatch.setattr(sandbox, "_plan_cache", bad)
    result = run_untrusted("print(1)")
    assert result.status == "error"
    assert result.returncode is None


def test_the_isolation_is_described(plan: sandbox._Plan) -> None:
    isolation = run_untrusted("pass").isolation
    if plan.namespaces:
        assert "network: namespace" in isolation
        assert "pid: namespace" in isolation
    else:
        assert "network: python-guard (weaker)" in isolation
    if plan.uid == "per-run":
        assert "fresh unprivileged uid per run" in isolation


def test_without_root_a_user_namespace_is_used(plan: sandbox._Plan) -> None:
    """Run this module as ``nobody`` to show what an unprivileged user gets."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv to become nobody")
    program = f"""
import importlib, json, sys, types
# A bare package over the sandbox's folder: its modules, without the package's imports.
package = types.ModuleType("sbxpkg")
package.__path__ = [{str(SANDBOX_SOURCE.parent)!r}]
sys.modules["sbxpkg"] = package
sbx = importlib.import_module("sbxpkg." + {SANDBOX_SOURCE.stem!r})
code = '''
import os, socket
print(os.getuid(), os.getppid(), socket.if_nameindex())
try:
    open({str(SANDBOX_SOURCE.parent / "x")!r}, 'w')
except OSError as exc:
    print(type(exc).__name__)
'''
r = sbx.run_untrusted(code, timeout=5)
print(json.dumps([r.status, r.stdout, r.stderr, r.isolation]))
"""
    proc = subprocess.run(
        [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", plan.python, "-I"],
        input=program,
        capture_output=True,
        text=True,
        cwd="/",
        timeout=60,
        check=False,
    )
    if proc.returncode != 0 and "Permission denied" in proc.stderr:
        pytest.skip(f"nobody cannot run {plan.python}")
    status, stdout, stderr, isolation = json.loads(proc.stdout.splitlines()[-1])
    assert status == "passed", stderr
    if "user: same as parent, in its own user and PID namespace" not in isolation:
        assert "network: python-guard (weaker)" in isolation  # user namespaces are disabled
        return
    first, refused = stdout.splitlines()
    assert first == "65534 0 [(1, 'lo')]"
    # OSError (read-only host tree), or FileNotFoundError where the checkout lies under
    # /tmp, which the run sees as its own empty tmpfs: either way nothing was written.
    assert refused in ("OSError", "FileNotFoundError")
