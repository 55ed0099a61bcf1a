"""DSSE envelopes (secure-systems-lab/dsse v1): signing and the file format."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ._errors import AttestationError
from ._keys import key_id
from ._statement import canonical_json, statement_problems

PAYLOAD_TYPE = "application/vnd.in-toto+json"
ENVELOPE_SUFFIX = ".dsse.json"


def pae(payload_type: str, body: bytes) -> bytes:
    """DSSE's pre-authentication encoding, the bytes that are actually signed:
    ``"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`` (LEN = decimal byte length)."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(body), body)


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: Any) -> bytes | None:
    """Standard or URL-safe base64 (DSSE verifiers must accept both), padding optional;
    ``None`` when ``text`` is not base64 at all."""
    if not isinstance(text, str):
        return None
    std = text.translate(str.maketrans("-_", "+/"))
    std += "=" * (-len(std) % 4)
    try:
        return base64.b64decode(std, validate=True)
    except (binascii.Error, ValueError):
        return None


def sign_statement(statement: Mapping[str, Any], private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """A DSSE envelope around ``statement`` (an in-toto Statement v1, see
    :func:`make_statement`), signed with Ed25519 over PAE(payloadType, payload).

    The payload is the statement's canonical JSON; ``keyid`` is the hex sha256 of the
    raw public key.
    """
    problems = statement_problems(statement)
    if problems:
        raise AttestationError("cannot sign: " + "; ".join(problems))
    if not isinstance(private_key, Ed25519PrivateKey):
        raise AttestationError(
            f"cannot sign: need an Ed25519 private key, got {type(private_key).__name__}"
        )
    body = canonical_json(dict(statement))
    sig = private_key.sign(pae(PAYLOAD_TYPE, body))
    return {
        "payloadType": PAYLOAD_TYPE,
        "payload": b64encode(body),
        "signatures": [{"keyid": key_id(private_key.public_key()), "sig": b64encode(sig)}],
    }


def write_envelope(envelope: Mapping[str, Any], path: str | Path) -> Path:
    """Write ``envelope`` as one JSON object (by convention ``<report>.dsse.json``),
    replacing the file atomically. Returns the path."""
    p = Path(path).expanduser()
    text = json.dumps(dict(envelope), indent=2, ensure_ascii=False) + "\n"
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.chmod(tmp, 0o644)
            os.replace(tmp, p)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise AttestationError(f"cannot write {p}: {exc.strerror or exc}") from exc
    return p


def read_envelope(path: str | Path) -> Any:
    """The JSON in an attestation file (an object if it is an envelope; checked by
    :func:`verify_envelope`). Raises :class:`AttestationError` if the file cannot be read
    or is not JSON."""
    p = Path(path).expanduser()
    try:
        return json.loads(read_attestation_bytes(p))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AttestationError(f"attestation {p} is not JSON: {exc}") from exc


def read_attestation_bytes(p: Path) -> bytes:
    try:
        return p.read_bytes()
    except FileNotFoundError as exc:
        raise AttestationError(f"attestation {p} not found") from exc
    except IsADirectoryError as exc:
        raise AttestationError(f"attestation {p} is a directory") from exc
    except OSError as exc:
        raise AttestationError(f"cannot read attestation {p}: {exc.strerror or exc}") from exc
