"""The error of the attestation package."""

from __future__ import annotations

from ..core._errors import TianpingError


class AttestationError(TianpingError):
    """An attestation cannot be made or checked: a key that is missing, unreadable, of the
    wrong type or would be overwritten; a statement that is not an in-toto Statement v1; an
    attestation file that cannot be read. Exit code 7, the same as an invalid attestation.
    """

    exit_code = 7
