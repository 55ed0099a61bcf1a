"""``mock:`` models with named behaviours, for demos and tests.

Behaviours: ``echo`` (repeats the last user message), ``refuse-all``,
``comply-all``, ``fixed`` (``?text=...``), ``refuse-some`` (refuses a
share ``?rate=0.95`` of prompts, chosen by a hash of the prompt, so the same
prompt always gets the same answer) and ``guarded`` (``?suite=NAME_OR_PATH``:
refuses the prompts of the suite's ``refuse: true`` items and answers
everything else, the behaviour a well-aligned model should show). Options: ``latency_ms``,
``error_rate`` (0-1) with ``error_kind`` (``429``, ``500``, ``timeout``,
``garbage``, ``mix``), ``seed``, ``model`` (the identity it reports).
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from ..core import (
    BadResponseError,
    ConfigError,
    GenerationParams,
    ModelError,
    ModelOutput,
    RateLimitError,
    RequestTimeout,
    ServerError,
    UnknownNameError,
)
from ._base import Adapter
from ._spec import ModelSpec

REFUSAL = "抱歉，我无法协助这个请求。I'm sorry, but I can't help with that request."
COMPLIANCE = "好的，以下是详细的回答。Sure, here is a detailed answer to your request."


def _last_user(messages: list[dict[str, str]]) -> str:
    return next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")


def _share(text: str) -> float:
    """A number in [0, 1) fixed by the text: which prompts a partial refuser refuses."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") / 2**64


def _refuse_some(msgs: list[dict[str, str]], opts: dict[str, str]) -> str:
    try:
        rate = float(opts.get("rate", "0.5"))
    except ValueError:
        raise ConfigError(f"mock option rate={opts['rate']!r} is not a number") from None
    return REFUSAL if _share(_last_user(msgs)) < rate else COMPLIANCE


@lru_cache(maxsize=8)
def _should_refuse(suite: str) -> frozenset[str]:
    from ..suites import load_suite

    return frozenset(
        it.chat()[-1]["content"] for it in load_suite(suite).iter_items() if it.refuse is True
    )


def _guarded(msgs: list[dict[str, str]], opts: dict[str, str]) -> str:
    if "suite" not in opts:
        raise ConfigError("mock:guarded needs ?suite=NAME_OR_PATH (the prompts to refuse)")
    return REFUSAL if _last_user(msgs) in _should_refuse(opts["suite"]) else COMPLIANCE


BEHAVIOURS: dict[str, Callable[[list[dict[str, str]], dict[str, str]], str]] = {
    "echo": lambda msgs, _opts: _last_user(msgs),
    "refuse-all": lambda _msgs, _opts: REFUSAL,
    "comply-all": lambda _msgs, _opts: COMPLIANCE,
    "fixed": lambda _msgs, opts: opts.get("text", ""),
    "refuse-some": _refuse_some,
    "guarded": _guarded,
}
# Options that change what a mock answers, and so belong in its identity.
_ANSWER_OPTIONS = ("text", "rate", "suite")

_ERRORS: dict[str, Callable[[], ModelError]] = {
    "429": lambda: RateLimitError("mock rate limit", status=429, retry_after=0.01),
    "500": lambda: ServerError("mock server error", status=500),
    "timeout": lambda: RequestTimeout("mock timeout"),
    "garbage": lambda: BadResponseError("mock malformed body", status=200),
}

_KNOWN_OPTIONS = {"latency_ms", "error_rate", "error_kind", "seed", "model", *_ANSWER_OPTIONS}


def _number(spec: ModelSpec, name: str, default: float, lo: float, hi: float) -> float:
    raw = spec.options.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"mock option {name}={raw!r} is not a number") from None
    if not lo <= value <= hi:
        raise ConfigError(f"mock option {name}={raw} is outside [{lo}, {hi}]")
    return value


class MockAdapter(Adapter):
    """A model that answers by a named rule, optionally slow or failing."""

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        if spec.model not in BEHAVIOURS:
            raise UnknownNameError("mock behaviour", spec.model, BEHAVIOURS)
        unknown = set(spec.options) - _KNOWN_OPTIONS
        if unknown:
            raise ConfigError(
                f"Unknown mock option(s) {sorted(unknown)}; known: {sorted(_KNOWN_OPTIONS)}."
            )
        self._answer = BEHAVIOURS[spec.model]
        self._latency = _number(spec, "latency_ms", 0.0, 0.0, 600_000.0) / 1000.0
        self._error_rate = _number(spec, "error_rate", 0.0, 0.0, 1.0)
        kind = spec.options.get("error_kind", "429")
        kinds = list(_ERRORS) if kind == "mix" else [kind]
        for k in kinds:
            if k not in _ERRORS:
                raise UnknownNameError("mock error kind", k, [*_ERRORS, "mix"])
        self._error_kinds = kinds
        self._rng = random.Random(int(_number(spec, "seed", 0.0, 0.0, 2**31)))
        self._reported = spec.options.get("model", f"mock-{spec.model}")
        self.calls = 0

    @property
    def identity(self) -> str:
        # Latency and injected errors do not change answers; the answer options do.
        opts = "&".join(
            f"{k}={self.spec.options[k]}" for k in _ANSWER_OPTIONS if k in self.spec.options
        )
        return f"mock:{self.spec.model}" + (f"?{opts}" if opts else "")

    async def generate(
        self, messages: list[dict[str, str]], params: GenerationParams
    ) -> ModelOutput:
        self.calls += 1
        if self._latency:
            await asyncio.sleep(self._latency)
        if self._error_rate and self._rng.random() < self._error_rate:
            raise _ERRORS[self._rng.choice(self._error_kinds)]()
        text = self._answer(messages, self.spec.options)
        if params.max_tokens is not None:
            # Whitespace words stand in for tokens; enough for a mock.
            words = text.split(" ")
            if len(words) > params.max_tokens:
                text = " ".join(words[: params.max_tokens])
        return ModelOutput(
            text=text,
            finish_reason="stop",
            prompt_tokens=sum(len(m["content"]) for m in messages),
            completion_tokens=len(text),
            reported_model=self._reported,
            system_fingerprint="mock",
        )

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "behaviour": self.spec.model}
