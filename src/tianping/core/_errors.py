"""The one exception tree of Tianping.

Every error Tianping raises on purpose is a :class:`TianpingError`; third-party
errors are mapped to these at the boundary with ``raise ... from exc``::

    TianpingError
    ├── ConfigError              bad option, unknown preset, missing key variable
    │   └── UnknownNameError     a name not in a registry ("did you mean ...")
    ├── SuiteError               malformed suite input; carries every Problem found
    ├── ModelError               a model endpoint failed to answer one request
    │   ├── AuthError            401/403: the key is wrong; stops the run
    │   ├── QuotaExhaustedError  quota or balance used up; stops the run
    │   ├── RateLimitError       rate limited; retried after ``retry_after`` seconds
    │   ├── ServerError          5xx; retried
    │   ├── RequestTimeout       no answer within the per-request timeout; retried
    │   ├── ConnectError         could not connect; retried
    │   ├── BadResponseError     the body is not a valid completion; retried
    │   └── RequestRejected      any other 4xx (bad parameters); not retried
    ├── StoreError               the database cannot be opened, migrated or written
    └── RunError                 a run cannot start or resume (unknown id, suite changed)

A vendor's content-safety block is *not* an error: adapters return it as an
answer refused by the service (see ``ModelOutput.refused_by_service``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


class TianpingError(Exception):
    """Base of every error Tianping raises on purpose."""

    exit_code = 1


class ConfigError(TianpingError):
    """A setting, option or model spec is invalid."""

    exit_code = 2


class UnknownNameError(ConfigError):
    """A name that is not in a registry; the message suggests close matches."""

    def __init__(self, kind: str, name: str, known: Iterable[str]) -> None:
        known_list = sorted(known)
        close = difflib.get_close_matches(name, known_list, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        super().__init__(
            f"Unknown {kind} {name!r}.{hint} Known: {', '.join(known_list) or '(none)'}."
        )
        self.kind = kind
        self.name = name
        self.suggestions = close


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a suite input, located by file and line (1-based; 0 = whole file)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class SuiteError(TianpingError):
    """A suite failed validation. ``problems`` lists every problem found, not just the first."""

    exit_code = 3

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        n = len(problems)
        head = f"{n} problem{'s' if n != 1 else ''} in suite input:"
        shown = "\n".join(f"  {p}" for p in problems[:50])
        more = f"\n  ... and {n - 50} more" if n > 50 else ""
        super().__init__(f"{head}\n{shown}{more}")


class ModelError(TianpingError):
    """A model endpoint failed to answer a request."""

    exit_code = 4
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.retry_after = retry_after


class AuthError(ModelError):
    """The endpoint rejected the credentials. Retrying cannot help."""


class QuotaExhaustedError(ModelError):
    """The account's quota or balance is used up. Retrying cannot help."""


class RateLimitError(ModelError):
    """The endpoint asked us to slow down."""

    retryable = True


class ServerError(ModelError):
    """The endpoint failed (5xx)."""

    retryable = True


class RequestTimeout(ModelError):
    """No answer arrived within the per-request timeout."""

    retryable = True


class ConnectError(ModelError):
    """The endpoint could not be reached."""

    retryable = True


class BadResponseError(ModelError):
    """The endpoint answered with something that is not a valid completion."""

    retryable = True


class RequestRejected(ModelError):
    """The endpoint rejected this request (4xx other than auth and rate limits)."""


class StoreError(TianpingError):
    """The store (database) cannot be opened, migrated or written."""

    exit_code = 5


class RunError(TianpingError):
    """A run cannot be started or resumed."""

    exit_code = 6
