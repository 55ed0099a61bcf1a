"""Checking a DSSE envelope: signature, key id, statement shape, and the subjects' files."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ._dsse import PAYLOAD_TYPE, b64decode, pae, read_attestation_bytes
from ._errors import AttestationError
from ._keys import PUBLIC_KEY_NAME, default_key_dir, key_id, load_public_key
from ._statement import sha256_file, statement_problems

FileCheck = Literal["matches", "differs", "missing", "not checked"]
_OUTCOMES = ("conforms", "does_not_conform", "inconclusive", "not_applicable")


@dataclass(frozen=True)
class SubjectCheck:
    """One subject of a verified statement and what became of comparing its file."""

    name: str
    digest: dict[str, str]
    file: Path | None
    check: FileCheck


@dataclass
class Verification:
    """The outcome of :func:`verify_envelope`.

    ``valid`` is true only when a signature verifies with the public key, the payload is an
    in-toto Statement v1 and every file compared matches its subject's digest. ``problems``
    says what is wrong, one sentence each. ``keyid`` is the id of the public key checked
    against. ``statement`` is set only when the signature verified: an unverified payload
    is never handed out.
    """

    valid: bool
    problems: list[str]
    keyid: str | None
    statement: dict[str, Any] | None = None
    subjects: list[SubjectCheck] = field(default_factory=list)
    attestation: Path | None = None

    @property
    def predicate(self) -> dict[str, Any]:
        pred = (self.statement or {}).get("predicate")
        return pred if isinstance(pred, dict) else {}

    @property
    def conclusion(self) -> str | None:
        """The predicate's ``conclusion``, as text (``None`` when it has none)."""
        value = self.predicate.get("conclusion")
        if value is None or isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

    @property
    def verdict_counts(self) -> dict[str, int]:
        """How many of the predicate's ``verdicts`` have each outcome (empty when none)."""
        return _count_verdicts(self.predicate.get("verdicts"))

    def to_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "problems": self.problems,
            "keyid": self.keyid,
            "attestation": str(self.attestation) if self.attestation else None,
            "predicate_type": (self.statement or {}).get("predicateType"),
            "subjects": [
                {
                    "name": s.name,
                    "digest": s.digest,
                    "file": str(s.file) if s.file else None,
                    "check": s.check,
                }
                for s in self.subjects
            ],
            "conclusion": self.conclusion,
            "verdicts": self.verdict_counts,
            "statement": self.statement,
        }


def verify_envelope(
    envelope: Mapping[str, Any] | str | Path,
    public_key: Ed25519PublicKey | str | Path | None = None,
    *,
    files: Mapping[str, str | Path] | None = None,
) -> Verification:
    """Check a DSSE envelope (a mapping, or the path of a ``.dsse.json`` file).

    ``public_key`` is a key or the path of a ``.pub`` file; by default the default key
    directory's ``tianping-ed25519.pub``. ``files`` maps subject names to files whose sha256
    is compared with the statement's; when the envelope is a path, a subject's file lying
    next to it (same name) is compared too.

    What is wrong with the envelope is reported in the result, never raised. Raises
    :class:`AttestationError` only when there is nothing to check: the attestation file
    cannot be read, or the public key is missing or unreadable.
    """
    where: Path | None = None
    if isinstance(envelope, str | Path):
        where = Path(envelope).expanduser()
        raw = read_attestation_bytes(where)
    key = _resolve_key(public_key)
    kid = key_id(key)

    def invalid(*problems: str) -> Verification:
        return Verification(False, list(problems), kid, attestation=where)

    if where is not None:
        try:
            env: Any = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return invalid(f"not a DSSE envelope: {where.name} is not JSON ({exc})")
    else:
        env = envelope
    if not isinstance(env, Mapping):
        return invalid("not a DSSE envelope: not a JSON object")
    missing = [k for k in ("payloadType", "payload", "signatures") if k not in env]
    if missing:
        return invalid(f"not a DSSE envelope: no {', '.join(missing)}")
    ptype = env["payloadType"]
    if not isinstance(ptype, str):
        return invalid("not a DSSE envelope: payloadType is not a string")
    body = b64decode(env["payload"])
    if body is None:
        return invalid("payload is not valid base64")
    sigs = env["signatures"]
    if not isinstance(sigs, list) or not sigs:
        return invalid("envelope has no signatures")

    problems: list[str] = []
    if ptype != PAYLOAD_TYPE:
        problems.append(f"payloadType is {ptype!r}, expected {PAYLOAD_TYPE!r}")
    sig_problems = _check_signatures(sigs, key, kid, pae(ptype, body))
    if sig_problems:
        return invalid(*problems, *sig_problems)

    try:
        statement = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return invalid(*problems, "payload is not JSON, so not an in-toto Statement v1")
    shape = statement_problems(statement)
    if shape:
        return invalid(*problems, *shape)
    subjects = _check_files(statement["subject"], files or {}, where, problems)
    return Verification(not problems, problems, kid, statement, subjects, where)


def _resolve_key(public_key: Ed25519PublicKey | str | Path | None) -> Ed25519PublicKey:
    if isinstance(public_key, Ed25519PublicKey):
        return public_key
    if public_key is not None:
        return load_public_key(public_key)
    default = default_key_dir() / PUBLIC_KEY_NAME
    if not default.exists():
        raise AttestationError(
            "no public key to verify with: pass --key with the signer's "
            f"{PUBLIC_KEY_NAME} (there is no default key at {default})"
        )
    return load_public_key(default)


def _check_signatures(
    sigs: list[Any], key: Ed25519PublicKey, kid: str, message: bytes
) -> list[str]:
    """Problems with the signatures; empty as soon as one of them verifies with ``key``.

    A signature whose key id names another key is not tried: an envelope co-signed by
    several keys verifies with any one of them, and one signed only by others is reported
    by key id rather than as a modified payload.
    """
    problems: list[str] = []
    for i, sig in enumerate(sigs, 1):
        label = f"signature {i}: " if len(sigs) > 1 else ""
        if not isinstance(sig, Mapping):
            problems.append(f"{label}signature is not a JSON object")
            continue
        sid = sig.get("keyid")
        if sid not in (None, "") and sid != kid:
            problems.append(
                f"{label}key id {_short(str(sid))} does not match the public key ({_short(kid)})"
            )
            continue
        raw = b64decode(sig.get("sig"))
        if raw is None:
            problems.append(f"{label}signature is not valid base64")
            continue
        if len(raw) != 64:
            problems.append(
                f"{label}signature is not an Ed25519 signature ({len(raw)} bytes, expected 64)"
            )
            continue
        try:
            key.verify(raw, message)
        except InvalidSignature:
            # With the key id matching, the likely story is an edited payload; without a
            # key id, it may as well be another signer's envelope.
            problems.append(
                f"{label}payload was modified: signature does not verify"
                if sid
                else f"{label}signature does not verify with the public key ({_short(kid)}): "
                "the payload was modified or another key signed it"
            )
            continue
        return []
    return problems


def _check_files(
    subjects: list[dict[str, Any]],
    files: Mapping[str, str | Path],
    where: Path | None,
    problems: list[str],
) -> list[SubjectCheck]:
    names = [s["name"] for s in subjects]
    for name in files:
        if name not in names:
            problems.append(
                f"no subject named {name!r} in the statement (subjects: {', '.join(names)})"
            )
    checks: list[SubjectCheck] = []
    for s in subjects:
        name, digest = s["name"], dict(s["digest"])
        path = Path(files[name]).expanduser() if name in files else None
        if path is None and where is not None and _plain_file_name(name):
            beside = where.parent / name
            path = beside if beside.is_file() else None
        checks.append(SubjectCheck(name, digest, path, _check_file(name, digest, path, problems)))
    return checks


def _check_file(
    name: str, digest: dict[str, str], path: Path | None, problems: list[str]
) -> FileCheck:
    if path is None:
        return "not checked"
    expected = digest.get("sha256")
    if expected is None:
        problems.append(f"subject {name}: no sha256 digest to compare {path} with")
        return "not checked"
    try:
        got = sha256_file(path)
    except FileNotFoundError:
        problems.append(f"subject {name}: file {path} not found")
        return "missing"
    except OSError as exc:
        problems.append(f"subject {name}: cannot read {path}: {exc.strerror or exc}")
        return "missing"
    if got != expected.lower():
        problems.append(
            f"subject {name}: file digest differs (expected {_short(expected)}, got {_short(got)})"
        )
        return "differs"
    return "matches"


def _plain_file_name(name: str) -> bool:
    """A bare file name (no folders, no ``..``): only such subjects are looked for beside
    the attestation, so a statement cannot make the verifier read an arbitrary path."""
    return name not in ("", ".", "..") and "/" not in name and "\\" not in name


def _short(hex_id: str) -> str:
    return hex_id[:12] + "…" if len(hex_id) > 12 else hex_id


def _count_verdicts(verdicts: Any) -> dict[str, int]:
    if isinstance(verdicts, Mapping):
        entries: list[Any] = list(verdicts.values())
    elif isinstance(verdicts, list):
        entries = verdicts
    else:
        return {}
    counts: Counter[str] = Counter()
    for entry in entries:
        outcome = entry
        if isinstance(entry, Mapping):
            outcome = next(
                (entry[k] for k in ("verdict", "outcome", "result", "status") if k in entry), None
            )
        if isinstance(outcome, str):
            counts[outcome] += 1
    ordered = {k: counts.pop(k) for k in _OUTCOMES if k in counts}
    return ordered | dict(sorted(counts.items()))
