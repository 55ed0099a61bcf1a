"""Signed attestations: in-toto Statement v1 in a DSSE envelope, signed with Ed25519.

An assessment's attestation names its subjects (the report files by sha256 of their
bytes, and ``model:<spec>`` by sha256 of the canonical JSON of the model's identity
record) and carries Tianping's predicate (``https://tianping.dev/assessment/v1``)::

    statement = make_statement([file_subject("report.html"), json_subject(...)], predicate)
    envelope = sign_statement(statement, load_private_key())
    write_envelope(envelope, "report.html.dsse.json")
    verify_envelope("report.html.dsse.json", "signer.pub").valid

Anyone holding the signer's ``.pub`` can check it offline (``tianping verify``).
"""

from ._dsse import (
    ENVELOPE_SUFFIX,
    PAYLOAD_TYPE,
    pae,
    read_envelope,
    sign_statement,
    write_envelope,
)
from ._errors import AttestationError
from ._keys import (
    PRIVATE_KEY_NAME,
    PUBLIC_KEY_NAME,
    KeyPair,
    default_key_dir,
    generate_key,
    key_id,
    load_private_key,
    load_public_key,
)
from ._statement import (
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    Subject,
    canonical_json,
    file_subject,
    json_subject,
    make_statement,
)
from ._verify import SubjectCheck, Verification, verify_envelope

__all__ = [
    "ENVELOPE_SUFFIX",
    "PAYLOAD_TYPE",
    "PREDICATE_TYPE",
    "PRIVATE_KEY_NAME",
    "PUBLIC_KEY_NAME",
    "STATEMENT_TYPE",
    "AttestationError",
    "KeyPair",
    "Subject",
    "SubjectCheck",
    "Verification",
    "canonical_json",
    "default_key_dir",
    "file_subject",
    "generate_key",
    "json_subject",
    "key_id",
    "load_private_key",
    "load_public_key",
    "make_statement",
    "pae",
    "read_envelope",
    "sign_statement",
    "verify_envelope",
    "write_envelope",
]
