"""The ``code`` scorer: run the model's Python against the item's tests, in a sandbox.

An item for this scorer carries its test code in ``tests``. HumanEval-style
items also set ``meta["entry_point"]`` (the function under test; tests that
define ``check(candidate)`` are called as ``check(<entry_point>)``) and give the
function stub either in ``meta["prompt_prefix"]`` or, with
``meta["completion_mode"]`` true, as the prompt itself; the stub is put before
the answer, as the model was asked to continue it.

Also :func:`pass_at_k`, the unbiased pass@k estimator.
"""

from __future__ import annotations

import asyncio
import re
import signal
from typing import Any, ClassVar

from ..core import ConfigError, Item, Response
from ._base import Graded
from ._registry import register_scorer
from ._sandbox import SandboxResult, run_untrusted

__all__ = ["CodeScorer", "build_program", "extract_code", "pass_at_k"]

_PYTHON_LABELS = {"", "python", "python3", "py", "py3"}
# A fenced block; a last fence left open (the answer was cut off) runs to the end.
_FENCE = re.compile(r"^[ \t]*```[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:^[ \t]*```|\Z)", re.M | re.S)
_CHECK = re.compile(r"^def check\s*\(", re.M)
_CHECK_CALLED = re.compile(r"^check\s*\(", re.M)


def extract_code(text: str, entry_point: str | None = None) -> str:
    """The Python code in a model's answer.

    The first fenced block labelled python/py (or unlabelled) that defines
    ``entry_point``; else the first such block; else the whole text (an answer
    that is bare code, or a raw completion).
    """
    blocks = [body for label, body in _FENCE.findall(text) if label.lower() in _PYTHON_LABELS]
    if not blocks:
        return text
    if entry_point:
        defines = re.compile(rf"^\s*(?:async\s+)?def\s+{re.escape(entry_point)}\s*\(", re.M)
        for body in blocks:
            if defines.search(body):
                return str(body)
    return str(blocks[0])


def build_program(item: Item, code: str) -> str:
    """The program to run: [function stub] + code + tests [+ ``check(<entry_point>)``]."""
    meta = item.meta
    entry_point = meta.get("entry_point")
    stub = meta.get("prompt_prefix")
    if stub is None and meta.get("completion_mode"):
        stub = item.prompt
    if stub is not None and not isinstance(stub, str):
        raise ConfigError(f"Item {item.id}: meta.prompt_prefix must be text, not {stub!r}")
    program = ""
    if entry_point and stub:
        # Joined as the stub's continuation (a bare body, indented); a whole
        # function redefines the stub, which is itself valid Python.
        program = stub if stub.endswith("\n") or code[:1].isspace() else stub + "\n"
    program += code.rstrip() + "\n\n"
    tests = item.tests or ""
    program += tests.rstrip() + "\n"
    if entry_point and _CHECK.search(tests) and not _CHECK_CALLED.search(tests):
        program += f"\n\ncheck({entry_point})\n"
    return program


@register_scorer
class CodeScorer:
    """1.0 when the answer's code passes the item's tests in the sandbox, else 0.0.

    Options: ``timeout`` (seconds, wall clock, per item) and ``memory_mb`` (the
    address-space limit of each sandboxed process). Labels: the sandbox status
    (``passed``, ``failed``, ``timeout``, ``killed``), or, with value None,
    ``no_response`` (no answer) and ``error`` (the sandbox could not run: not the
    model's fault). An item without tests, or with tests that call
    ``check(candidate)`` but no ``meta["entry_point"]``, is a ConfigError. Each
    call runs in a worker thread, so concurrent calls run concurrently.
    """

    name: ClassVar[str] = "code"
    version: ClassVar[str] = "1"

    def __init__(self, timeout: float = 10.0, memory_mb: int = 512) -> None:
        if timeout <= 0:
            raise ConfigError(f"code scorer: timeout must be positive, not {timeout}")
        if memory_mb < 64:
            raise ConfigError(f"code scorer: memory_mb must be at least 64, not {memory_mb}")
        self.timeout = float(timeout)
        self.memory_mb = int(memory_mb)

    async def score(self, item: Item, response: Response) -> Graded:
        if response.text is None:
            why = f": {response.error}" if response.error else ""
            return Graded(
                None, "no_response", f"No answer to grade (status {response.status}{why})."
            )
        entry_point = _entry_point(item)
        code = extract_code(response.text, entry_point)
        program = build_program(item, code)
        result = await asyncio.to_thread(
            run_untrusted, program, timeout=self.timeout, memory_mb=self.memory_mb
        )
        value = None if result.status == "error" else float(result.status == "passed")
        return Graded(value, result.status, f"{self._what(result)} Sandbox: {result.isolation}.")

    def _what(self, result: SandboxResult) -> str:
        if result.status == "passed":
            return f"The tests passed ({result.duration_s:.2f} s)."
        if result.status == "timeout":
            return f"Timed out after {self.timeout:g} s."
        if result.status == "killed":
            sig = -(result.returncode or 0)
            try:
                name = signal.Signals(sig).name
            except ValueError:
                name = f"signal {sig}"
            hint = {
                "SIGXCPU": " (CPU time limit)",
                "SIGKILL": " (a limit was hit)",
                "SIGXFSZ": " (file size limit)",
            }.get(name, "")
            return f"Killed by {name}{hint}."
        last = _last_line(result.stderr)
        if result.status == "error":
            return f"The sandbox could not run the code: {_first_line(result.stderr)}."
        return f"The tests failed: {last or f'exit code {result.returncode}'}."


def _entry_point(item: Item) -> str | None:
    """The function under test; an item the scorer cannot use is a ConfigError."""
    if not item.tests:
        raise ConfigError(f"Item {item.id}: the code scorer needs tests, and it has none")
    entry_point: Any = item.meta.get("entry_point")
    if entry_point is not None and not (
        isinstance(entry_point, str) and entry_point.isidentifier()
    ):
        raise ConfigError(f"Item {item.id}: meta.entry_point {entry_point!r} is not a Python name")
    if _CHECK.search(item.tests) and not entry_point:
        raise ConfigError(
            f"Item {item.id}: its tests define check(candidate), so meta needs an entry_point"
        )
    return entry_point


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0][:300] if lines else "no reason given"


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased pass@k estimate from ``n`` samples of which ``c`` passed.

    ``1 - C(n-c, k) / C(n, k)``, computed as a product so large ``n`` neither
    overflows nor loses precision; 1.0 when fewer than ``k`` samples failed.
    """
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass_at_k needs 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    all_fail = 1.0
    for i in range(n - c + 1, n + 1):
        all_fail *= 1.0 - k / i
    return 1.0 - all_fail
