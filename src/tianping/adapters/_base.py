"""The adapter interface: one async method plus policy hooks."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from ..core import AuthError, GenerationParams, ModelError, ModelOutput, QuotaExhaustedError
from ._spec import ModelSpec


class Adapter(ABC):
    """Talks to one kind of model.

    Subclasses implement :meth:`generate`; the engine owns concurrency, retries,
    caching and storage, and asks the policy hooks what to do with errors.
    """

    #: Most requests this endpoint should have in flight (None: the engine decides).
    max_connections: int | None = None
    #: True when ``generate`` itself gives up after the engine's timeout (its
    #: transport has a deadline), so the engine need not wrap every call in one.
    enforces_timeout: bool = False

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec

    @abstractmethod
    async def generate(
        self, messages: list[dict[str, str]], params: GenerationParams
    ) -> ModelOutput:
        """Answer one conversation. Raise a :class:`ModelError` subclass on failure."""

    def should_retry(self, error: ModelError) -> bool:
        """Whether a failed request is worth sending again."""
        return error.retryable

    def is_auth_failure(self, error: ModelError) -> bool:
        """Whether the error means the credentials are wrong (the run stops)."""
        return isinstance(error, AuthError)

    def stops_run(self, error: ModelError) -> bool:
        """Whether no further request can succeed (bad key, quota used up)."""
        return self.is_auth_failure(error) or isinstance(error, QuotaExhaustedError)

    @property
    def identity(self) -> str:
        """What, besides the request, determines the answer: part of every request key."""
        return self.spec.identity

    def wire_params(self, params: GenerationParams) -> dict[str, Any]:
        """The generation parameters as actually sent (after vendor renames and clamps)."""
        return params.to_wire()

    def describe(self) -> dict[str, Any]:
        """What the run manifest records about this adapter."""
        return {"adapter": type(self).__name__, "spec": self.spec.raw, "identity": self.identity}

    async def aclose(self) -> None:
        """Release connections."""
        return None
