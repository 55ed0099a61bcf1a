"""Generation parameters, what an adapter returns, and stored responses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class GenerationParams(BaseModel):
    """Generation settings; ``None`` means "not sent" (the endpoint's default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    temperature: float | None = Field(default=0.0, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    max_tokens: int | None = Field(default=1024, ge=1)
    seed: int | None = None
    stop: tuple[str, ...] | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    def merged(self, overrides: dict[str, Any]) -> GenerationParams:
        """These parameters with an item's overrides applied."""
        if not overrides:
            return self
        return GenerationParams.model_validate({**self.model_dump(), **overrides})

    def to_wire(self) -> dict[str, Any]:
        """The non-default fields as they go into an OpenAI-style body."""
        body: dict[str, Any] = {}
        for name in ("temperature", "top_p", "max_tokens", "seed"):
            value = getattr(self, name)
            if value is not None:
                body[name] = value
        if self.stop:
            body["stop"] = list(self.stop)
        body.update(self.extra)
        return body


@dataclass(slots=True)
class ModelOutput:
    """One answer from a model, as an adapter returns it.

    ``refused_by_service`` is True when the vendor's content-safety system
    blocked the request or the answer (``vendor_code`` says how); that is an
    answer — a refusal by the service — not an error.
    """

    text: str
    finish_reason: str | None = None
    refused_by_service: bool = False
    vendor_code: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reported_model: str | None = None
    system_fingerprint: str | None = None


class Response(BaseModel):
    """A stored response to one item of one run."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    item_id: str
    position: int
    request_key: str
    status: str  # "done" or "failed"
    text: str | None = None
    finish_reason: str | None = None
    refused_by_service: bool = False
    vendor_code: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_ms: float | None = None
    attempts: int = 0
    cached: bool = False
    error: str | None = None
    reported_model: str | None = None
    system_fingerprint: str | None = None


class Score(BaseModel):
    """A grader's verdict on one response."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    item_id: str
    scorer: str
    scorer_version: str
    value: float | None
    label: str | None = None
    explanation: str = ""
