"""The review package's one error."""

from __future__ import annotations

from ..core import ConfigError

__all__ = ["ReviewError"]


class ReviewError(ConfigError):
    """A review action the rules do not allow (a second label by the same person,
    adjudication by a reviewer ...) or that its inputs cannot support."""
