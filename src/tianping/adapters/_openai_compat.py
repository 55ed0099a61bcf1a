"""OpenAI-compatible chat completions over HTTP, shaped by a vendor preset."""

from __future__ import annotations

import json
import os
import re
import time
from email.utils import parsedate_to_datetime
from typing import Any

from ..core import (
    AuthError,
    BadResponseError,
    ConfigError,
    GenerationParams,
    ModelOutput,
    QuotaExhaustedError,
    RateLimitError,
    RequestRejected,
    RequestTimeout,
    ServerError,
)
from ._base import Adapter
from ._http import HttpClient, HttpResponse
from ._presets import Preset, generic_preset, get_preset
from ._spec import ModelSpec

# Where vendors put error codes and messages in their bodies.
_CODE_PATHS = (
    "error.code",
    "error.type",
    "code",
    "type",
    "error_code",
    "errorCode",
    "base_resp.status_code",
    "header.code",
    "Response.Error.Code",
)
_MESSAGE_PATHS = (
    "error.message",
    "message",
    "msg",
    "error_msg",
    "base_resp.status_msg",
    "header.message",
    "Response.Error.Message",
)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def _dig(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _duration(text: str) -> float | None:
    """Seconds in ``1.5``, ``20ms``, ``6m0s`` or an HTTP date; None if unreadable."""
    text = text.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    parts = _DURATION.findall(text)
    if parts and "".join(n + u for n, u in parts) == text:
        return sum(float(n) * _UNIT[u] for n, u in parts)
    try:
        return max(0.0, parsedate_to_datetime(text).timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return None


def retry_after(headers: dict[str, str]) -> float | None:
    """How long the server asked us to wait, from the headers vendors use."""
    if "retry-after-ms" in headers:
        try:
            return max(0.0, float(headers["retry-after-ms"]) / 1000.0)
        except ValueError:
            pass
    if "retry-after" in headers:
        value = _duration(headers["retry-after"])
        if value is not None:
            return value
    resets = [
        _duration(headers[h])
        for h in ("x-ratelimit-reset-requests", "x-ratelimit-reset-tokens")
        if h in headers
    ]
    found = [r for r in resets if r is not None]
    return max(found) if found else None


class OpenAICompatAdapter(Adapter):
    """POST {base_url}/chat/completions, non-streaming."""

    enforces_timeout = True  # the HTTP client's per-request deadline

    def __init__(
        self,
        spec: ModelSpec,
        preset: Preset,
        *,
        api_key: str | None,
        key_env: str | None = None,
        timeout: float = 120.0,
        max_connections: int = 64,
    ) -> None:
        super().__init__(spec)
        self.preset = preset
        base = (spec.base_url or preset.base_url).rstrip("/")
        if not base:
            raise ConfigError(f"{spec.raw}: no base URL; write MODEL@http://host:port/v1.")
        self.url = base + "/chat/completions"
        self.timeout = timeout
        self.max_connections = max_connections
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        self._headers.update(preset.headers)
        if api_key:
            scheme = f"{preset.auth_scheme} " if preset.auth_scheme else ""
            self._headers[preset.auth_header] = scheme + api_key
        self._client: HttpClient | None = None
        self._rules = [r for r in preset.params if re.search(r.match, spec.model)]
        self._code_paths = (*preset.code_paths, *_CODE_PATHS)
        self._code_roots = frozenset(p.split(".")[0] for p in self._code_paths)
        self._wire_for: GenerationParams | None = None
        self._wire: dict[str, Any] = {}
        #: The variable the key was read from (named in auth errors).
        self.key_env = key_env or preset.key_env

    @classmethod
    def from_spec(cls, spec: ModelSpec, *, timeout: float, max_connections: int) -> Adapter:
        if spec.prefix == "openai-compat":
            preset = generic_preset()
            if not spec.base_url:
                raise ConfigError(
                    f"{spec.raw}: openai-compat needs a base URL: "
                    "openai-compat:MODEL@http://127.0.0.1:8000/v1"
                )
        else:
            preset = get_preset(spec.prefix)
        key_env = spec.options.get("key_env") or preset.key_env
        api_key = os.environ.get(key_env) if key_env else None
        if preset.key_required and not api_key:
            raise ConfigError(
                f"{spec.raw} needs an API key: set {key_env} "
                f"(export {key_env}=...), or name another variable with ?key_env=NAME."
            )
        return cls(
            spec,
            preset,
            api_key=api_key,
            key_env=key_env,
            timeout=timeout,
            max_connections=max_connections,
        )

    # -- request ---------------------------------------------------------

    def wire_params(self, params: GenerationParams) -> dict[str, Any]:
        body = params.to_wire()
        for rule in self._rules:
            for name in rule.drop:
                body.pop(name, None)
            for old, new in rule.rename.items():
                if old in body:
                    body[new] = body.pop(old)
            body.update(rule.set)
            if rule.temperature is not None and "temperature" in body:
                lo, hi = rule.temperature
                lo_ex, hi_ex = rule.temperature_exclusive
                t = float(body["temperature"])
                t = max(t, lo + 0.01 if lo_ex else lo)
                t = min(t, hi - 0.01 if hi_ex else hi)
                body["temperature"] = round(t, 4)
            if rule.max_tokens_limit is not None:
                for name in ("max_tokens", "max_completion_tokens"):
                    if name in body:
                        body[name] = min(int(body[name]), rule.max_tokens_limit)
        return body

    async def generate(
        self, messages: list[dict[str, str]], params: GenerationParams
    ) -> ModelOutput:
        if self._client is None:
            self._client = HttpClient(max_connections=self.max_connections or 64)
        if params is not self._wire_for:  # most requests of a run share one params object
            self._wire_for, self._wire = params, self.wire_params(params)
        body = {"model": self.spec.model, "messages": messages, **self._wire}
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        resp = await self._client.post(self.url, payload, self._headers, timeout=self.timeout)
        return self._read(resp)

    # -- response --------------------------------------------------------

    def _read(self, resp: HttpResponse) -> ModelOutput:
        # Some vendors send blank lines or ': keep-alive' before the JSON body.
        raw = resp.body.strip()
        while raw.startswith(b":"):
            _, _, raw = raw.partition(b"\n")
            raw = raw.strip()
        data: Any = None
        try:
            data = json.loads(raw) if raw else None
        except (UnicodeDecodeError, ValueError):
            data = None
        if resp.status == 200 and isinstance(data, dict) and data.get("choices"):
            if not isinstance(data["choices"], list):
                raise BadResponseError("'choices' is not a list", status=resp.status)
            return self._completion(data, resp)
        return self._failure(resp, data)

    def _completion(self, data: dict[str, Any], resp: HttpResponse) -> ModelOutput:
        # A plain completion carries no error fields; look for codes only if it might.
        codes = self._codes(data) if not self._code_roots.isdisjoint(data) else []
        if codes:
            # A completion body that also carries a vendor error code (MiniMax base_resp).
            meaning = self._classify(200, codes, self._message(data))
            if meaning == "content_filter":
                return self._service_refusal(codes, data)
        choice = data["choices"][0]
        if not isinstance(choice, dict):
            raise BadResponseError("choices[0] is not an object", status=resp.status)
        message = choice.get("message") or {}
        text = message.get("content") if isinstance(message, dict) else None
        if text is None:
            text = choice.get("text", "")
        if isinstance(text, list):  # content parts
            text = "".join(p.get("text", "") for p in text if isinstance(p, dict))
        if not isinstance(text, str):
            raise BadResponseError("choices[0].message.content is not text", status=resp.status)
        finish = choice.get("finish_reason")
        finish = str(finish) if finish is not None else None
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        assert isinstance(usage, dict)
        return ModelOutput(
            text=text,
            finish_reason=finish,
            refused_by_service=finish in self.preset.refusal_finish_reasons,
            vendor_code=finish if finish in self.preset.refusal_finish_reasons else None,
            prompt_tokens=_int(usage.get("prompt_tokens")),
            completion_tokens=_int(usage.get("completion_tokens")),
            reported_model=_str(data.get("model")),
            system_fingerprint=_str(data.get("system_fingerprint")),
        )

    def _service_refusal(self, codes: list[str], data: Any) -> ModelOutput:
        return ModelOutput(
            text="",
            finish_reason="content_filter",
            refused_by_service=True,
            vendor_code=codes[0] if codes else None,
            reported_model=_str(data.get("model")) if isinstance(data, dict) else None,
        )

    def _codes(self, data: Any) -> list[str]:
        codes = []
        for path in self._code_paths:
            value = _dig(data, path)
            if value is not None and value != "" and not isinstance(value, dict | list):
                if path == "base_resp.status_code" and value == 0:
                    continue
                codes.append(str(value))
        return codes

    def _message(self, data: Any) -> str:
        for path in _MESSAGE_PATHS:
            value = _dig(data, path)
            if isinstance(value, str) and value:
                return value
        return ""

    def _classify(self, status: int, codes: list[str], message: str) -> str | None:
        for rule in self.preset.errors:
            if rule.matches(status, codes, message):
                return rule.means
        return None

    def _failure(self, resp: HttpResponse, data: Any) -> ModelOutput:
        codes = self._codes(data)
        message = self._message(data) or resp.body[:200].decode("utf-8", "replace")
        meaning = self._classify(resp.status, codes, message)
        if meaning is None:
            meaning = _by_status(resp.status)
        code = codes[0] if codes else None
        where = f"HTTP {resp.status}" + (f" code {code}" if code else "")
        detail = f"{self.preset.title}: {where}: {message}".strip()
        wait = retry_after(resp.headers)
        if meaning == "content_filter":
            return self._service_refusal(codes, data)
        if meaning == "quota":
            raise QuotaExhaustedError(
                f"{detail}. The account's quota or balance is used up; top it up and resume.",
                status=resp.status,
                code=code,
            )
        if meaning == "auth":
            key = self.key_env or "the API key"
            raise AuthError(
                f"{detail}. Check {key} for {self.spec.raw}.", status=resp.status, code=code
            )
        if meaning == "rate_limit":
            raise RateLimitError(detail, status=resp.status, code=code, retry_after=wait)
        if meaning == "server":
            raise ServerError(detail, status=resp.status, code=code, retry_after=wait)
        if meaning == "timeout":
            raise RequestTimeout(detail, status=resp.status, code=code)
        if meaning == "bad":
            raise BadResponseError(
                f"{detail}: not a chat completion", status=resp.status, code=code
            )
        raise RequestRejected(detail, status=resp.status, code=code)

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "preset": self.spec.prefix,
            "vendor": self.preset.vendor,
            "url": self.url,
        }

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _by_status(status: int) -> str:
    if status == 200:
        return "bad"
    if status in (401, 403):
        return "auth"
    if status == 429:
        return "rate_limit"
    if status == 408:
        return "timeout"
    if status >= 500:
        return "server"
    return "reject"


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
