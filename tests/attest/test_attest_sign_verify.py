"""Statements, DSSE signing and verification: round trip and every kind of tampering."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from tianping.attest import (
    PAYLOAD_TYPE,
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    AttestationError,
    canonical_json,
    file_subject,
    json_subject,
    key_id,
    make_statement,
    pae,
    read_envelope,
    sign_statement,
    verify_envelope,
    write_envelope,
)

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
KID = key_id(KEY.public_key())
IDENTITY = {"spec": "mock:echo", "adapter": "mock", "params": {"temperature": 0}}
PREDICATE = {
    "conclusion": "conforms",
    "verdicts": [
        {"clause": "5.1", "verdict": "conforms"},
        {"clause": "5.2", "verdict": "inconclusive"},
        {"clause": "5.3", "verdict": "conforms"},
    ],
}


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIANPING_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TIANPING_KEY_PASSPHRASE", raising=False)


def _report(tmp_path: Path) -> Path:
    path = tmp_path / "report.html"
    path.write_text("<html><body>天平 report: conforms</body></html>", "utf-8")
    return path


def _signed(tmp_path: Path) -> dict[str, Any]:
    statement = make_statement(
        [file_subject(_report(tmp_path)), json_subject("model:mock:echo", IDENTITY)], PREDICATE
    )
    return sign_statement(statement, KEY)


def _payload(env: dict[str, Any]) -> bytes:
    return base64.b64decode(env["payload"])


def _with_payload(env: dict[str, Any], body: bytes) -> dict[str, Any]:
    return env | {"payload": base64.b64encode(body).decode()}


def _sig(env: dict[str, Any]) -> bytes:
    return base64.b64decode(env["signatures"][0]["sig"])


def _with_sig(env: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return env | {"signatures": [env["signatures"][0] | fields]}


# -- the formats ---------------------------------------------------------------------------


def test_pae_known_answers() -> None:
    # The DSSE spec's own test vector (protocol.md), written out by hand.
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )
    # Lengths count bytes, not characters: "天平" is 6 bytes of UTF-8.
    assert pae(PAYLOAD_TYPE, "天平".encode()) == (
        b"DSSEv1 28 application/vnd.in-toto+json 6 \xe5\xa4\xa9\xe5\xb9\xb3"
    )
    assert pae("", b"") == b"DSSEv1 0  0 "


def test_canonical_json_and_json_subject() -> None:
    obj = {"b": [1, 2], "a": "天平", "c": {"y": None, "x": True}}
    assert canonical_json(obj) == '{"a":"天平","b":[1,2],"c":{"x":true,"y":null}}'.encode()
    subject = json_subject("model:mock:echo", obj)
    assert subject.sha256 == hashlib.sha256(canonical_json(obj)).hexdigest()
    assert subject.to_json() == {"name": "model:mock:echo", "digest": {"sha256": subject.sha256}}
    with pytest.raises(AttestationError, match="not JSON-serialisable"):
        canonical_json({"when": {1, 2}})
    with pytest.raises(AttestationError, match="not JSON-serialisable"):
        canonical_json({"x": float("nan")})


def test_file_subject(tmp_path: Path) -> None:
    report = _report(tmp_path)
    subject = file_subject(report)
    assert subject.name == "report.html"
    assert subject.sha256 == hashlib.sha256(report.read_bytes()).hexdigest()
    assert file_subject(report, name="r.html").name == "r.html"
    with pytest.raises(AttestationError, match=r"missing\.html: file not found"):
        file_subject(tmp_path / "missing.html")
    with pytest.raises(AttestationError, match="is a directory"):
        file_subject(tmp_path)


def test_make_statement_shape_and_checks(tmp_path: Path) -> None:
    predicate: dict[str, Any] = {"conclusion": "conforms"}
    subject = json_subject("model:x", {})
    statement = make_statement([subject], predicate)
    assert statement == {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": "model:x", "digest": {"sha256": subject.sha256}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {"conclusion": "conforms"},
    }
    predicate["conclusion"] = "changed later"
    assert statement["predicate"] == {"conclusion": "conforms"}  # a copy, not a view
    with pytest.raises(AttestationError, match="at least one subject"):
        make_statement([], {})
    with pytest.raises(AttestationError, match="duplicate subject name"):
        make_statement([subject, subject], {})
    with pytest.raises(AttestationError, match="not JSON-serialisable"):
        make_statement([subject], {"at": object()})
    with pytest.raises(AttestationError, match="64 lowercase hex"):
        file_subject(_report(tmp_path)).__class__("x", "ABC")


def test_envelope_shape_and_signature_over_pae(tmp_path: Path) -> None:
    env = _signed(tmp_path)
    assert set(env) == {"payloadType", "payload", "signatures"}
    assert env["payloadType"] == "application/vnd.in-toto+json"
    assert env["signatures"][0]["keyid"] == KID
    raw_pub = bytes.fromhex(
        "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
    )  # the public key of the secret bytes 0..31 (RFC 8032 key derivation)
    assert hashlib.sha256(raw_pub).hexdigest() == KID
    body = _payload(env)
    assert json.loads(body)["_type"] == STATEMENT_TYPE
    # The signature is over PAE, built here by hand, not over the bare payload.
    signed = b"DSSEv1 28 application/vnd.in-toto+json %d " % len(body) + body
    KEY.public_key().verify(_sig(env), signed)


def test_sign_refuses_what_is_not_a_statement() -> None:
    with pytest.raises(AttestationError, match="not an in-toto Statement v1"):
        sign_statement({"_type": "https://in-toto.io/Statement/v0.1"}, KEY)
    with pytest.raises(AttestationError, match="statement has no subjects"):
        sign_statement({"_type": STATEMENT_TYPE, "subject": [], "predicateType": "x"}, KEY)


# -- verification ----------------------------------------------------------------------------


def test_round_trip_through_a_file(tmp_path: Path) -> None:
    env = _signed(tmp_path)
    path = write_envelope(env, tmp_path / "report.html.dsse.json")
    assert read_envelope(path) == env
    result = verify_envelope(path, KEY.public_key())
    assert result.problems == []
    assert result.valid is True
    assert result.keyid == KID
    assert result.statement is not None
    assert result.statement["predicate"] == PREDICATE
    checks = {s.name: s.check for s in result.subjects}
    assert checks == {"report.html": "matches", "model:mock:echo": "not checked"}
    assert result.conclusion == "conforms"
    assert result.verdict_counts == {"conforms": 2, "inconclusive": 1}
    # The same envelope as a mapping, the key as a .pub path.
    pub = tmp_path / "k.pub"
    from cryptography.hazmat.primitives import serialization

    pub.write_bytes(
        KEY.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    assert verify_envelope(env, pub).valid


def test_flipped_payload_byte(tmp_path: Path) -> None:
    env = _signed(tmp_path)
    body = bytearray(_payload(env))
    i = body.index(b"inconclusive")
    body[i : i + 12] = b"conforms    "  # the forger's edit: one verdict upgraded
    result = verify_envelope(_with_payload(env, bytes(body)), KEY.public_key())
    assert result.valid is False
    assert result.problems == ["payload was modified: signature does not verify"]
    assert result.statement is None  # an unverified payload is never handed out


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_single_payload_byte_flip_is_caught(data: st.DataObject) -> None:
    env = sign_statement(make_statement([json_subject("model:x", IDENTITY)], PREDICATE), KEY)
    body = bytearray(_payload(env))
    i = data.draw(st.integers(0, len(body) - 1))
    body[i] ^= data.draw(st.integers(1, 255))
    result = verify_envelope(_with_payload(env, bytes(body)), KEY.public_key())
    assert result.problems == ["payload was modified: signature does not verify"]


def test_flipped_signature_byte(tmp_path: Path) -> None:
    env = _signed(tmp_path)
    sig = bytearray(_sig(env))
    sig[10] ^= 0x01
    flipped = _with_sig(env, sig=base64.b64encode(bytes(sig)).decode())
    result = verify_envelope(flipped, KEY.public_key())
    # Ed25519 cannot tell an edited payload from an edited signature; the key id matches,
    # so the message names the usual culprit.
    assert result.problems == ["payload was modified: signature does not verify"]
    text = env["signatures"][0]["sig"]
    not_b64 = _with_sig(env, sig=text[:5] + "!" + text[6:])
    assert verify_envelope(not_b64, KEY.public_key()).problems == ["signature is not valid base64"]
    short = _with_sig(env, sig=base64.b64encode(_sig(env)[:63]).decode())
    assert verify_envelope(short, KEY.public_key()).problems == [
        "signature is not an Ed25519 signature (63 bytes, expected 64)"
    ]


def test_flipped_key_id(tmp_path: Path) -> None:
    env = _signed(tmp_path)
    kid = env["signatures"][0]["keyid"]
    bad = ("0" if kid[0] != "0" else "1") + kid[1:]
    result = verify_envelope(_with_sig(env, keyid=bad), KEY.public_key())
    assert result.problems == [f"key id {bad[:12]}… does not match the public key ({KID[:12]}…)"]
    assert not result.valid


def test_wrong_key(tmp_path: Path) -> None:
    env = _signed(tmp_path)
    other = key_id(OTHER.public_key())
    result = verify_envelope(env, OTHER.public_key())
    assert result.problems == [f"key id {KID[:12]}… does not match the public key ({other[:12]}…)"]
    assert result.keyid == other
    # Without a key id to go by, the failure names both possibilities.
    anonymous = env | {"signatures": [{"sig": env["signatures"][0]["sig"]}]}
    assert verify_envelope(anonymous, OTHER.public_key()).problems == [
        f"signature does not verify with the public key ({other[:12]}…): "
        "the payload was modified or another key signed it"
    ]
    assert verify_envelope(anonymous, KEY.public_key()).valid


def test_payload_type_is_authenticated(tmp_path: Path) -> None:
    env = _signed(tmp_path) | {"payloadType": "application/json"}
    assert verify_envelope(env, KEY.public_key()).problems == [
        "payloadType is 'application/json', expected 'application/vnd.in-toto+json'",
        "payload was modified: signature does not verify",
    ]


def _sign_raw(body: bytes) -> dict[str, Any]:
    """An envelope around arbitrary bytes, signed correctly: only the content is wrong."""
    sig = KEY.sign(pae(PAYLOAD_TYPE, body))
    return {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(body).decode(),
        "signatures": [{"keyid": KID, "sig": base64.b64encode(sig).decode()}],
    }


def test_signed_payload_that_is_not_a_statement() -> None:
    old = _sign_raw(canonical_json({"_type": "https://in-toto.io/Statement/v0.1", "subject": []}))
    assert verify_envelope(old, KEY.public_key()).problems == [
        "not an in-toto Statement v1 (_type is 'https://in-toto.io/Statement/v0.1')"
    ]
    assert verify_envelope(_sign_raw(b"hello"), KEY.public_key()).problems == [
        "payload is not JSON, so not an in-toto Statement v1"
    ]
    no_subjects = _sign_raw(canonical_json({"_type": STATEMENT_TYPE, "predicateType": "x"}))
    assert verify_envelope(no_subjects, KEY.public_key()).problems == ["statement has no subjects"]


def test_url_safe_unpadded_base64_is_accepted(tmp_path: Path) -> None:
    env = _signed(tmp_path)

    def urlsafe(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    converted = env | {
        "payload": urlsafe(_payload(env)),
        "signatures": [{"keyid": KID, "sig": urlsafe(_sig(env))}],
    }
    assert verify_envelope(converted, KEY.public_key()).valid


def test_co_signed_envelope_verifies_with_either_key(tmp_path: Path) -> None:
    env = _signed(tmp_path)
    second = {
        "keyid": key_id(OTHER.public_key()),
        "sig": base64.b64encode(OTHER.sign(pae(PAYLOAD_TYPE, _payload(env)))).decode(),
    }
    both = env | {"signatures": [*env["signatures"], second]}
    assert verify_envelope(both, KEY.public_key()).valid
    assert verify_envelope(both, OTHER.public_key()).valid
    third = Ed25519PrivateKey.from_private_bytes(bytes(range(2, 34))).public_key()
    problems = verify_envelope(both, third).problems
    assert len(problems) == 2
    assert problems[0].startswith("signature 1: key id ")
    assert problems[1].startswith("signature 2: key id ")


@pytest.mark.parametrize(
    ("envelope", "problem"),
    [
        ([1, 2], "not a DSSE envelope: not a JSON object"),
        ({"payload": "", "signatures": []}, "not a DSSE envelope: no payloadType"),
        (
            {"payloadType": PAYLOAD_TYPE, "payload": "%%%", "signatures": [{}]},
            "payload is not valid base64",
        ),
        (
            {"payloadType": PAYLOAD_TYPE, "payload": "", "signatures": []},
            "envelope has no signatures",
        ),
        (
            {"payloadType": 3, "payload": "", "signatures": []},
            "not a DSSE envelope: payloadType is not a string",
        ),
    ],
)
def test_malformed_envelopes(envelope: Any, problem: str) -> None:
    result = verify_envelope(envelope, KEY.public_key())
    assert (result.valid, result.problems) == (False, [problem])


# -- subjects' files ----------------------------------------------------------------------------


def test_tampered_report_beside_the_envelope(tmp_path: Path) -> None:
    env = _signed(tmp_path)
    path = write_envelope(env, tmp_path / "report.html.dsse.json")
    report = tmp_path / "report.html"
    expected = hashlib.sha256(report.read_bytes()).hexdigest()
    report.write_text(report.read_text("utf-8").replace("conforms", "does not conform"), "utf-8")
    got = hashlib.sha256(report.read_bytes()).hexdigest()
    result = verify_envelope(path, KEY.public_key())
    assert result.valid is False
    assert result.problems == [
        f"subject report.html: file digest differs (expected {expected[:12]}…, got {got[:12]}…)"
    ]
    assert {s.name: s.check for s in result.subjects}["report.html"] == "differs"
    assert result.statement is not None  # the signature itself is fine


def test_files_given_explicitly(tmp_path: Path) -> None:
    env = _signed(tmp_path)
    elsewhere = tmp_path / "copies"
    elsewhere.mkdir()
    copy = elsewhere / "r.html"
    copy.write_bytes((tmp_path / "report.html").read_bytes())
    result = verify_envelope(env, KEY.public_key(), files={"report.html": copy})
    assert result.valid
    assert result.subjects[0].file == copy
    assert result.subjects[0].check == "matches"
    copy.write_bytes(b"edited")
    assert (
        "file digest differs"
        in verify_envelope(env, KEY.public_key(), files={"report.html": copy}).problems[0]
    )
    result = verify_envelope(
        env, KEY.public_key(), files={"report.html": elsewhere / "gone.html", "x.pdf": copy}
    )
    assert result.problems == [
        "no subject named 'x.pdf' in the statement (subjects: report.html, model:mock:echo)",
        f"subject report.html: file {elsewhere / 'gone.html'} not found",
    ]


def test_subject_names_never_reach_outside_the_envelope_folder(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("s", "utf-8")
    inner = tmp_path / "inner"
    inner.mkdir()
    statement = make_statement([json_subject("../secret.txt", {})], {})
    path = write_envelope(sign_statement(statement, KEY), inner / "a.dsse.json")
    result = verify_envelope(path, KEY.public_key())
    assert result.valid
    assert result.subjects[0].check == "not checked"


# -- keys for verification ---------------------------------------------------------------------


def test_default_public_key_or_a_clear_error(tmp_path: Path) -> None:
    from tianping.attest import generate_key, load_private_key

    env = _signed(tmp_path)
    with pytest.raises(AttestationError, match="no public key to verify with: pass --key"):
        verify_envelope(env)
    pair = generate_key()  # into $TIANPING_HOME/keys
    assert pair.public_key == tmp_path / "home" / "keys" / "tianping-ed25519.pub"
    mine = sign_statement(make_statement([json_subject("m", {})], {}), load_private_key())
    assert verify_envelope(mine).valid
    assert verify_envelope(mine).keyid == pair.keyid


def test_unreadable_attestation_file(tmp_path: Path) -> None:
    with pytest.raises(AttestationError, match=r"attestation .*nope\.dsse\.json not found"):
        verify_envelope(tmp_path / "nope.dsse.json", KEY.public_key())
    bad = tmp_path / "bad.dsse.json"
    bad.write_text("{not json", "utf-8")
    result = verify_envelope(bad, KEY.public_key())
    assert result.valid is False
    assert result.problems[0].startswith("not a DSSE envelope: bad.dsse.json is not JSON")
    with pytest.raises(AttestationError, match="is not JSON"):
        read_envelope(bad)


def test_verdict_summary_shapes() -> None:
    from tianping.attest import Verification

    statement = {"predicate": {"verdicts": {"5.1": "conforms", "5.2": {"outcome": "odd"}}}}
    v = Verification(True, [], KID, statement)
    assert v.verdict_counts == {"conforms": 1, "odd": 1}
    assert v.conclusion is None
    assert Verification(True, [], KID, {"predicate": {"conclusion": {"a": 1}}}).conclusion == (
        '{"a": 1}'
    )
    assert Verification(False, ["x"], KID).verdict_counts == {}
