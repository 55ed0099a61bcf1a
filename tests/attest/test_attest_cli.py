"""``tianping keys generate|show`` and ``tianping verify`` end to end, as a user runs them."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from conftest import cli_env, run_cli
from tianping.attest import (
    file_subject,
    json_subject,
    load_private_key,
    make_statement,
    sign_statement,
    write_envelope,
)

PREDICATE = {
    "conclusion": "does_not_conform",
    "verdicts": [
        {"clause": "5.1", "verdict": "conforms"},
        {"clause": "5.2", "verdict": "does_not_conform"},
        {"clause": "5.3", "verdict": "conforms"},
    ],
}


def _env(home: Path) -> dict[str, str]:
    return cli_env(TIANPING_HOME=str(home), TIANPING_KEY_PASSPHRASE=None)


@pytest.fixture
def signed(tmp_path: Path) -> tuple[Path, Path, dict[str, Any]]:
    """A key made through the CLI, a report, and its attestation: (home, attestation, keys)."""
    home = tmp_path / "home"
    done = run_cli("keys", "generate", "--json", env=_env(home))
    assert done.returncode == 0, done.stderr
    keys = json.loads(done.stdout)
    report = tmp_path / "out" / "report.html"
    report.parent.mkdir()
    report.write_text("<html>5.2 does not conform</html>", "utf-8")
    statement = make_statement(
        [file_subject(report), json_subject("model:mock:echo", {"spec": "mock:echo"})], PREDICATE
    )
    envelope = sign_statement(statement, load_private_key(keys["private_key"]))
    return home, write_envelope(envelope, report.parent / "report.html.dsse.json"), keys


def test_keys_generate_show_and_refuse_overwrite(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = run_cli("keys", "generate", env=_env(home))
    assert done.returncode == 0, done.stderr
    key_path = home / "keys" / "tianping-ed25519.key"
    assert f"private key: {key_path}" in done.stdout
    assert "not encrypted" in done.stderr
    keyid = done.stdout.split("key id: ", 1)[1].split()[0]
    assert len(keyid) == 64
    assert (key_path.stat().st_mode & 0o777) == 0o600

    again = run_cli("keys", "generate", env=_env(home))
    assert again.returncode == 7
    assert again.stderr.startswith("error: a key already exists at")
    assert "--force" in again.stderr
    assert "Traceback" not in again.stderr

    shown = run_cli("keys", "show", "--json", env=_env(home))
    assert shown.returncode == 0, shown.stderr
    info = json.loads(shown.stdout)
    assert info["keyid"] == keyid
    assert info["public_key"] == str(home / "keys" / "tianping-ed25519.pub")
    assert info["private_key_present"] is True

    forced = run_cli("keys", "generate", "--force", "--json", env=_env(home))
    assert forced.returncode == 0, forced.stderr
    assert json.loads(forced.stdout)["keyid"] != keyid

    elsewhere = run_cli("keys", "show", "--dir", str(tmp_path / "empty"), env=_env(home))
    assert elsewhere.returncode == 7
    assert "tianping-ed25519.pub not found" in elsewhere.stderr


def test_keys_generate_with_passphrase(tmp_path: Path) -> None:
    env = _env(tmp_path) | {"TIANPING_KEY_PASSPHRASE": "口令"}
    done = run_cli("keys", "generate", "--dir", str(tmp_path / "k"), "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["encrypted"] is True
    text = run_cli("keys", "show", "--dir", str(tmp_path / "k"), env=env)
    assert "passphrase-protected" in text.stdout


def test_verify_valid(signed: tuple[Path, Path, dict[str, Any]]) -> None:
    home, attestation, keys = signed
    done = run_cli("verify", str(attestation), env=_env(home))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == (
        f"valid: signed by key {keys['keyid']}, subject report.html, model:mock:echo"
    )
    assert "conclusion: does_not_conform" in lines
    assert "verdicts: 2 conforms, 1 does_not_conform" in lines
    assert any("report.html" in line and "matches" in line for line in lines)

    as_json = run_cli("verify", str(attestation), "--key", keys["public_key"], "--json")
    assert as_json.returncode == 0, as_json.stderr
    result = json.loads(as_json.stdout)
    assert result["valid"] is True
    assert result["problems"] == []
    assert result["keyid"] == keys["keyid"]
    assert result["predicate_type"] == "https://tianping.dev/assessment/v1"
    assert result["verdicts"] == {"conforms": 2, "does_not_conform": 1}
    assert result["subjects"][0]["check"] == "matches"
    assert result["statement"]["predicate"] == PREDICATE


def test_verify_tampered_report_and_payload(
    signed: tuple[Path, Path, dict[str, Any]], tmp_path: Path
) -> None:
    home, attestation, _keys = signed
    report = attestation.parent / "report.html"
    expected = hashlib.sha256(report.read_bytes()).hexdigest()
    report.write_text("<html>5.2 conforms</html>", "utf-8")
    got = hashlib.sha256(report.read_bytes()).hexdigest()
    done = run_cli("verify", str(attestation), env=_env(home))
    assert done.returncode == 7
    assert done.stdout.splitlines() == [
        "INVALID",
        f"  - subject report.html: file digest differs (expected {expected[:12]}…, "
        f"got {got[:12]}…)",
    ]

    envelope = json.loads(attestation.read_text("utf-8"))
    body = base64.b64decode(envelope["payload"]).replace(b"does_not_conform", b"conforms")
    envelope["payload"] = base64.b64encode(body).decode()
    forged = tmp_path / "forged.dsse.json"
    forged.write_text(json.dumps(envelope), "utf-8")
    as_json = run_cli("verify", str(forged), "--json", env=_env(home))
    assert as_json.returncode == 7
    result = json.loads(as_json.stdout)
    assert result["valid"] is False
    assert result["problems"] == ["payload was modified: signature does not verify"]
    assert result["statement"] is None


def test_verify_with_files_elsewhere_and_wrong_key(
    signed: tuple[Path, Path, dict[str, Any]], tmp_path: Path
) -> None:
    home, attestation, keys = signed
    moved = tmp_path / "moved"
    moved.mkdir()
    target = moved / "attestation.dsse.json"
    target.write_bytes(attestation.read_bytes())
    report = attestation.parent / "report.html"
    done = run_cli("verify", str(target), "--file", str(report), "--json", env=_env(home))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["subjects"][0]["file"] == str(report)

    other = run_cli("keys", "generate", "--dir", str(tmp_path / "other"), "--json")
    other_id = json.loads(other.stdout)["keyid"]
    wrong = run_cli(
        "verify", str(attestation), "--key", str(tmp_path / "other" / "tianping-ed25519.pub")
    )
    assert wrong.returncode == 7
    assert wrong.stdout.splitlines() == [
        "INVALID",
        f"  - key id {keys['keyid'][:12]}… does not match the public key ({other_id[:12]}…)",
    ]


def test_verify_errors_are_messages_not_tracebacks(tmp_path: Path) -> None:
    env = _env(tmp_path / "empty-home")
    missing = run_cli("verify", str(tmp_path / "nope.dsse.json"), "--key", "x.pub", env=env)
    assert missing.returncode == 7
    assert "not found" in missing.stderr
    assert "Traceback" not in missing.stderr

    junk = tmp_path / "junk.dsse.json"
    junk.write_text("{}", "utf-8")
    no_key = run_cli("verify", str(junk), env=env)
    assert no_key.returncode == 7
    assert "no public key to verify with: pass --key" in no_key.stderr
    assert "Traceback" not in no_key.stderr
    as_json = run_cli("verify", str(junk), "--json", env=env)
    assert as_json.returncode == 7
    assert json.loads(as_json.stdout)["valid"] is False
    assert "no public key" in json.loads(as_json.stdout)["problems"][0]
