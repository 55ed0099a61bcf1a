"""Signing keys: where they go, their permissions, overwriting, passphrases, load errors."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tianping.attest import (
    AttestationError,
    default_key_dir,
    generate_key,
    key_id,
    load_private_key,
    load_public_key,
)
from tianping.core import TianpingError


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIANPING_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TIANPING_KEY_PASSPHRASE", raising=False)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_error_is_a_tianping_error_with_exit_code_7() -> None:
    assert issubclass(AttestationError, TianpingError)
    assert AttestationError.exit_code == 7


def test_default_dir_follows_tianping_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_key_dir() == tmp_path / "home" / "keys"
    monkeypatch.delenv("TIANPING_HOME")
    from platformdirs import user_data_dir

    assert default_key_dir() == Path(user_data_dir("tianping")) / "keys"


def test_generate_writes_pem_files_with_private_permissions(tmp_path: Path) -> None:
    old = os.umask(0)  # even a permissive umask must not expose the private key
    try:
        pair = generate_key(tmp_path / "k")
    finally:
        os.umask(old)
    assert pair.private_key == tmp_path / "k" / "tianping-ed25519.key"
    assert pair.public_key == tmp_path / "k" / "tianping-ed25519.pub"
    assert _mode(pair.private_key) == 0o600
    assert _mode(pair.public_key) == 0o644
    assert _mode(tmp_path / "k") == 0o700
    assert pair.private_key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS8
    assert pair.public_key.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")  # SPKI
    assert pair.encrypted is False
    public = load_public_key(pair.public_key)
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert len(raw) == 32
    assert pair.keyid == hashlib.sha256(raw).hexdigest() == key_id(public)
    assert key_id(load_private_key(pair.private_key).public_key()) == pair.keyid
    assert [p.name for p in (tmp_path / "k").iterdir() if p.name.startswith(".")] == []


def test_generate_into_the_default_dir(tmp_path: Path) -> None:
    pair = generate_key()
    assert pair.private_key.parent == tmp_path / "home" / "keys"
    assert key_id(load_private_key().public_key()) == pair.keyid
    assert key_id(load_public_key()) == pair.keyid


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    first = generate_key(tmp_path)
    before = first.private_key.read_bytes()
    with pytest.raises(AttestationError, match=r"a key already exists at .*pass --force"):
        generate_key(tmp_path)
    assert first.private_key.read_bytes() == before
    first.private_key.unlink()  # a lone .pub still counts: replacing it would orphan signatures
    with pytest.raises(AttestationError, match=r"already exists at .*\.pub"):
        generate_key(tmp_path)
    second = generate_key(tmp_path, force=True)
    assert second.keyid != first.keyid
    assert _mode(second.private_key) == 0o600
    assert key_id(load_public_key(second.public_key)) == second.keyid


def test_passphrase_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIANPING_KEY_PASSPHRASE", "正确的口令 horse")
    pair = generate_key(tmp_path)
    assert pair.encrypted is True
    pem = pair.private_key.read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError, match=r"(?i)password"):  # really encrypted, not just labelled
        serialization.load_pem_private_key(pem, password=None)
    assert key_id(load_private_key(pair.private_key).public_key()) == pair.keyid
    assert key_id(load_public_key(pair.public_key)) == pair.keyid  # the .pub is plain
    with pytest.raises(AttestationError, match=r"wrong passphrase for .*tianping-ed25519\.key"):
        load_private_key(pair.private_key, passphrase="wrong")
    monkeypatch.delenv("TIANPING_KEY_PASSPHRASE")
    with pytest.raises(AttestationError, match="is encrypted: set TIANPING_KEY_PASSPHRASE"):
        load_private_key(pair.private_key)
    assert key_id(
        load_private_key(pair.private_key, passphrase="正确的口令 horse").public_key()
    ) == (pair.keyid)


def test_explicit_passphrase_and_plain_key_with_env_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pair = generate_key(tmp_path, passphrase="s3cret")
    assert pair.encrypted
    assert key_id(load_private_key(pair.private_key, passphrase="s3cret").public_key()) == (
        pair.keyid
    )
    plain = generate_key(tmp_path / "plain")
    monkeypatch.setenv("TIANPING_KEY_PASSPHRASE", "unused")
    assert key_id(load_private_key(plain.private_key).public_key()) == plain.keyid


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_load_errors_are_clear(tmp_path: Path) -> None:
    pair = generate_key(tmp_path / "k")
    with pytest.raises(
        AttestationError, match=r"private key .*none\.key not found \(make one with `tianping keys"
    ):
        load_private_key(tmp_path / "none.key")
    with pytest.raises(AttestationError, match=r"public key .*none\.pub not found"):
        load_public_key(tmp_path / "none.pub")
    junk = _write(tmp_path / "junk", b"not a key at all")
    with pytest.raises(AttestationError, match="is not a PEM private key"):
        load_private_key(junk)
    with pytest.raises(AttestationError, match="is not a PEM public key"):
        load_public_key(junk)
    broken = _write(
        tmp_path / "broken", b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
    )
    with pytest.raises(AttestationError, match="is not a PEM public key Tianping can read"):
        load_public_key(broken)
    with pytest.raises(AttestationError, match="is a public key; signing needs the private key"):
        load_private_key(pair.public_key)
    with pytest.raises(AttestationError, match="is a private key; verifying needs the public key"):
        load_public_key(pair.private_key)
    # A key directory stands for the key in it.
    assert key_id(load_public_key(tmp_path / "k")) == pair.keyid
    assert key_id(load_private_key(tmp_path / "k").public_key()) == pair.keyid
    with pytest.raises(AttestationError, match=r"public key .*tianping-ed25519\.pub not found"):
        load_public_key(tmp_path)


def test_wrong_key_types(tmp_path: Path) -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_pem = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(AttestationError, match="holds an RSA key; Tianping signs with Ed25519"):
        load_private_key(_write(tmp_path / "rsa.key", rsa_pem))
    ec_pub = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(AttestationError, match=r"holds an elliptic-curve \(ECDSA\) key"):
        load_public_key(_write(tmp_path / "ec.pub", ec_pub))
    # An OpenSSH-format Ed25519 key is the right algorithm in the wrong file format.
    ssh = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    with pytest.raises(AttestationError, match="is an OpenSSH key; Tianping reads PKCS8"):
        load_private_key(_write(tmp_path / "ssh.key", ssh))
