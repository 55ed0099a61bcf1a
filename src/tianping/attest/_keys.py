"""Ed25519 signing keys: generation, the default key directory, loading with clear errors."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, rsa, x448, x25519
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ._errors import AttestationError

PRIVATE_KEY_NAME = "tianping-ed25519.key"
PUBLIC_KEY_NAME = "tianping-ed25519.pub"
PASSPHRASE_ENV = "TIANPING_KEY_PASSPHRASE"


@dataclass(frozen=True)
class KeyPair:
    """Where a key pair lives, and its key id (hex sha256 of the raw 32-byte public key)."""

    private_key: Path
    public_key: Path
    keyid: str
    encrypted: bool


def default_key_dir() -> Path:
    """``keys`` in Tianping's home (``$TIANPING_HOME``, else the user's data directory,
    which also holds the default database)."""
    from .._home import data_home

    return data_home() / "keys"


def key_id(public_key: Ed25519PublicKey) -> str:
    """Hex sha256 of the raw 32-byte public key: the ``keyid`` in Tianping's envelopes."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def _passphrase(given: str | None) -> bytes | None:
    value = os.environ.get(PASSPHRASE_ENV) if given is None else given
    return value.encode() if value else None


def generate_key(
    directory: str | Path | None = None, *, force: bool = False, passphrase: str | None = None
) -> KeyPair:
    """Make a new Ed25519 key pair in ``directory`` (default: :func:`default_key_dir`).

    Writes ``tianping-ed25519.key`` (PKCS8 PEM, mode 0600, encrypted when a passphrase is
    given or ``TIANPING_KEY_PASSPHRASE`` is set) and ``tianping-ed25519.pub``
    (SubjectPublicKeyInfo PEM). Refuses to replace an existing key unless ``force``.
    """
    folder = Path(directory).expanduser() if directory is not None else default_key_dir()
    private_path, public_path = folder / PRIVATE_KEY_NAME, folder / PUBLIC_KEY_NAME
    existing = [p for p in (private_path, public_path) if p.exists()]
    if existing and not force:
        raise AttestationError(
            f"a key already exists at {existing[0]}; pass --force to replace it "
            "(attestations signed with it then verify only with a copy of its .pub)"
        )
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise AttestationError(f"cannot create {folder}: {exc.strerror or exc}") from exc
    key = Ed25519PrivateKey.generate()
    secret = _passphrase(passphrase)
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(secret) if secret else serialization.NoEncryption()
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    public = key.public_key()
    public_pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _write_atomic(private_path, private_pem, 0o600)
    _write_atomic(public_path, public_pem, 0o644)
    return KeyPair(private_path, public_path, key_id(public), secret is not None)


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    """Write via a temporary file in the same folder: the key is never readable by others,
    not even for an instant, and a crash never leaves half a key."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise AttestationError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _key_path(path: str | Path | None, name: str) -> Path:
    if path is None:
        return default_key_dir() / name
    p = Path(path).expanduser()
    return p / name if p.is_dir() else p


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        hint = " (make one with `tianping keys generate`)" if what == "private key" else ""
        raise AttestationError(f"{what} {path} not found{hint}") from exc
    except IsADirectoryError as exc:
        raise AttestationError(f"{what} {path} is a directory, not a key file") from exc
    except OSError as exc:
        raise AttestationError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc


def _kind(key: object) -> str:
    kinds: list[tuple[tuple[type, ...], str]] = [
        ((rsa.RSAPrivateKey, rsa.RSAPublicKey), "an RSA"),
        ((ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey), "an elliptic-curve (ECDSA)"),
        ((dsa.DSAPrivateKey, dsa.DSAPublicKey), "a DSA"),
        ((ed448.Ed448PrivateKey, ed448.Ed448PublicKey), "an Ed448"),
        ((x25519.X25519PrivateKey, x25519.X25519PublicKey), "an X25519"),
        ((x448.X448PrivateKey, x448.X448PublicKey), "an X448"),
    ]
    return next((name for types, name in kinds if isinstance(key, types)), "a non-Ed25519")


def load_private_key(
    path: str | Path | None = None, *, passphrase: str | None = None
) -> Ed25519PrivateKey:
    """The Ed25519 private key at ``path``: a key file, or a key directory holding
    ``tianping-ed25519.key`` (default: :func:`default_key_dir`).

    An encrypted key is opened with ``passphrase`` or ``TIANPING_KEY_PASSPHRASE``.
    """
    p = _key_path(path, PRIVATE_KEY_NAME)
    data = _read(p, "private key")
    if b"-----BEGIN" not in data:
        raise AttestationError(f"{p} is not a PEM private key")
    if b"-----BEGIN PUBLIC KEY-----" in data:
        raise AttestationError(f"{p} is a public key; signing needs the private key (.key)")
    if b"-----BEGIN OPENSSH PRIVATE KEY-----" in data:
        raise AttestationError(
            f"{p} is an OpenSSH key; Tianping reads PKCS8 PEM keys (`tianping keys generate`)"
        )
    encrypted = b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in data
    secret = _passphrase(passphrase) if encrypted else None
    if encrypted and secret is None:
        raise AttestationError(f"{p} is encrypted: set {PASSPHRASE_ENV} to its passphrase")
    try:
        key = serialization.load_pem_private_key(data, password=secret)
    except ValueError as exc:
        if encrypted:
            raise AttestationError(f"wrong passphrase for {p}") from exc
        raise AttestationError(f"{p} is not a PEM private key Tianping can read") from exc
    except (TypeError, UnsupportedAlgorithm) as exc:
        raise AttestationError(f"cannot open {p}: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise AttestationError(f"{p} holds {_kind(key)} key; Tianping signs with Ed25519")
    return key


def load_public_key(path: str | Path | None = None) -> Ed25519PublicKey:
    """The Ed25519 public key at ``path``: a ``.pub`` file, or a key directory holding
    ``tianping-ed25519.pub`` (default: :func:`default_key_dir`)."""
    p = _key_path(path, PUBLIC_KEY_NAME)
    data = _read(p, "public key")
    if b"-----BEGIN" not in data:
        raise AttestationError(f"{p} is not a PEM public key")
    if b"PRIVATE KEY-----" in data:
        raise AttestationError(
            f"{p} is a private key; verifying needs the public key (.pub), "
            "and the private key should not leave the signer"
        )
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise AttestationError(f"{p} is not a PEM public key Tianping can read") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise AttestationError(
            f"{p} holds {_kind(key)} key; Tianping attestations are signed with Ed25519"
        )
    return key
