"""``tianping users`` and ``tianping tokens``: people and API tokens from the command line."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from subprocess import CompletedProcess

from _webtest import run_cli

from tianping.store import Store


def _add(db: str, name: str, role: str, pw: str = "a long password") -> CompletedProcess[str]:
    return run_cli("users", "add", name, "--role", role, "--password-stdin", "--db", db, stdin=pw)


def test_users_add_list_disable_enable(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/t.db"
    assert _add(db, "ada", "admin").returncode == 0
    assert _add(db, "rey", "reviewer").returncode == 0
    dup = _add(db, "ada", "viewer")
    assert dup.returncode == 2
    assert "already exists" in dup.stderr
    bad = _add(db, "bob", "boss")
    assert bad.returncode == 2
    assert "Unknown role 'boss'" in bad.stderr
    short = _add(db, "cy", "viewer", "short")
    assert short.returncode == 2
    assert "at least 8" in short.stderr
    listed = json.loads(run_cli("users", "list", "--db", db, "--json").stdout)
    assert [(u["name"], u["role"], u["disabled"]) for u in listed] == [
        ("ada", "admin", False),
        ("rey", "reviewer", False),
    ]
    assert run_cli("users", "disable", "rey", "--db", db).returncode == 0
    with Store.open(db) as store:
        assert store.login_record("rey") is None
        found = store.login_record("ada")
        assert found is not None
        assert found[1] is not None
        assert found[1].startswith("$argon2id$")
    assert run_cli("users", "enable", "rey", "--db", db).returncode == 0
    assert "rey" in run_cli("users", "list", "--db", db).stdout
    missing = run_cli("users", "disable", "nobody", "--db", db)
    assert missing.returncode == 2
    assert "Unknown user 'nobody'" in missing.stderr


def test_tokens_create_list_revoke(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/t.db"
    assert _add(db, "ada", "admin").returncode == 0
    made = run_cli("tokens", "create", "ci", "--db", db)  # the only user: no --user needed
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("tp_")
    assert "shown once" in made.stderr
    listed = run_cli("tokens", "list", "--db", db, "--json")
    (row,) = json.loads(listed.stdout)
    assert token not in listed.stdout
    assert (row["name"], row["user"], row["prefix"], row["revoked"]) == (
        "ci",
        "ada",
        token[:10],
        False,
    )
    with Store.open(db) as store:
        user = store.token_user(hashlib.sha256(token.encode()).hexdigest())
        assert user is not None
        assert user.name == "ada"
    assert run_cli("tokens", "revoke", str(row["id"]), "--db", db).returncode == 0
    with Store.open(db) as store:
        assert store.token_user(hashlib.sha256(token.encode()).hexdigest()) is None
    assert run_cli("tokens", "revoke", "999", "--db", db).returncode == 2
    assert _add(db, "bo", "viewer").returncode == 0
    ambiguous = run_cli("tokens", "create", "x", "--db", db)
    assert ambiguous.returncode == 2
    assert "--user" in ambiguous.stderr
