"""Model specs: the strings users type to name a model (``qwen:qwen-plus``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from ..core import ConfigError

_URL = re.compile(r"^(?P<model>.*?)@(?P<url>https?://\S+)$")


@dataclass(frozen=True)
class ModelSpec:
    """A parsed model spec: ``PREFIX:MODEL[@BASE_URL][?opt=value&...]``.

    ``prefix`` is an adapter kind (``openai-compat``, ``mock``) or a preset name
    (``qwen``, ``deepseek`` ...). Options tune the adapter (``key_env``,
    ``latency_ms`` for mocks ...).
    """

    raw: str
    prefix: str
    model: str
    base_url: str | None = None
    options: dict[str, str] = field(default_factory=dict)

    @property
    def identity(self) -> str:
        """The part of the spec that determines answers (no secrets, no tuning options)."""
        ident = f"{self.prefix}:{self.model}"
        if self.base_url:
            ident += f"@{self.base_url.rstrip('/')}"
        return ident


def parse_model_spec(text: str) -> ModelSpec:
    """Parse ``text``; raises ConfigError with an example when it is malformed."""
    raw = text.strip()
    prefix, sep, rest = raw.partition(":")
    if not sep or not prefix or not rest:
        raise ConfigError(
            f"Model spec {text!r} is not PREFIX:MODEL. Examples: qwen:qwen-plus, "
            "openai-compat:my-model@http://127.0.0.1:8000/v1, mock:refuse-all. "
            "`tianping models presets` lists the prefixes."
        )
    options: dict[str, str] = {}
    if "?" in rest:
        rest, _, query = rest.partition("?")
        try:
            options = dict(parse_qsl(query, keep_blank_values=True, strict_parsing=True))
        except ValueError as exc:
            raise ConfigError(f"Bad options in model spec {text!r}: {exc}") from exc
    base_url = None
    match = _URL.match(rest)
    if match:
        rest, base_url = match.group("model"), match.group("url")
    if not rest:
        raise ConfigError(f"Model spec {text!r} names no model after {prefix!r}:.")
    return ModelSpec(raw=raw, prefix=prefix.lower(), model=rest, base_url=base_url, options=options)
