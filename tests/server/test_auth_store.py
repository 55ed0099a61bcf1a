"""The store's users, tokens and sessions, on SQLite and (with TIANPING_TEST_PG_URL) PostgreSQL."""

from __future__ import annotations

import time

import pytest

from tianping.core import ConfigError, UnknownNameError
from tianping.store import Store, User


def test_users_round_trip(store_url: str) -> None:
    with Store.open(store_url) as store:
        ada = store.add_user("ada", "admin", "$argon2id$fake")
        assert ada == User(ada.id, "ada", "admin")
        assert store.get_user("ada") == ada
        assert store.get_user_by_id(ada.id) == ada
        assert store.get_user_by_id(ada.id + 100) is None
        with pytest.raises(ConfigError, match="already exists"):
            store.add_user("ada", "viewer")
        with pytest.raises(UnknownNameError, match="role"):
            store.add_user("bo", "boss")
        with pytest.raises(ConfigError, match="1 to 100"):
            store.add_user(" ", "viewer")
        with pytest.raises(UnknownNameError, match="Did you mean 'ada'"):
            store.get_user("adaa")
        bo = store.add_user("bo", "viewer")
        assert store.count_users() == 2
        assert store.login_record("bo") == (bo, None)
        assert store.update_user("bo", role="reviewer") == User(bo.id, "bo", "reviewer")
        store.update_user("bo", disabled=True)
        assert store.login_record("bo") is None
        assert [(u.name, u.disabled) for u in store.list_users()] == [("ada", False), ("bo", True)]
        assert ada.at_least("viewer")
        assert not store.get_user("bo").at_least("assessor")


def test_tokens_and_sessions(store_url: str) -> None:
    with Store.open(store_url) as store:
        ada = store.add_user("ada", "assessor")
        tid = store.add_token(ada.id, "ci", "h" * 64, "tp_abcdefg")
        assert store.token_user("h" * 64) == ada
        assert store.token_user("x" * 64) is None
        (info,) = store.list_tokens()
        assert (info.id, info.user_name, info.prefix, info.revoked) == (
            tid,
            "ada",
            "tp_abcdefg",
            False,
        )
        assert info.last_used_at is not None
        assert store.list_tokens(ada.id + 1) == []
        assert store.revoke_token(tid)
        assert store.token_user("h" * 64) is None
        store.add_session("s" * 64, ada.id, "csrf-1", time.time() + 60)
        store.add_session("e" * 64, ada.id, "csrf-2", time.time() - 1)  # already expired
        assert store.session_user("s" * 64) == (ada, "csrf-1")
        assert store.session_user("e" * 64) is None
        store.update_user("ada", password_hash="$argon2id$new")  # a new password ends sessions
        assert store.session_user("s" * 64) is None
        store.add_session("t" * 64, ada.id, "csrf-3", time.time() + 60)
        store.delete_session("t" * 64)
        assert store.session_user("t" * 64) is None
