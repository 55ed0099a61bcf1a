"""Store methods for people: users, API tokens and browser sessions (mixed into :class:`Store`).

The store never sees a secret: passwords arrive as argon2id hashes, tokens and
session ids as SHA-256 hex digests (see ``tianping.server._auth``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from ..core import ConfigError, StoreError, UnknownNameError
from ._tables import sessions, tokens, users

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ._store import _Tx

ROLES = ("admin", "assessor", "reviewer", "viewer")
"""Roles from most to least powerful; each may do everything the ones after it may."""


@dataclass(frozen=True)
class User:
    """Who is asking: the identity every permission check and review label refers to."""

    id: int
    name: str
    role: str

    def at_least(self, role: str) -> bool:
        """Whether this user's role ranks at or above ``role``."""
        return ROLES.index(self.role) <= ROLES.index(role)


@dataclass(frozen=True)
class UserInfo:
    """A user as an administrator lists them."""

    id: int
    name: str
    role: str
    disabled: bool
    created_at: float
    has_password: bool


@dataclass(frozen=True)
class TokenInfo:
    """An API token as listed: never the token itself, only its public prefix."""

    id: int
    user_id: int
    user_name: str
    name: str
    prefix: str
    created_at: float
    last_used_at: float | None
    revoked: bool


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UnknownNameError("role", role, ROLES)
    return role


def _user(row: Any) -> User:
    return User(id=int(row["id"]), name=str(row["name"]), role=str(row["role"]))


class UserMethods:
    engine: Engine

    def _begin(self) -> _Tx:  # provided by Store
        raise NotImplementedError

    # -- users -----------------------------------------------------------

    def add_user(self, name: str, role: str, password_hash: str | None = None) -> User:
        """Create a user; a duplicate name is an error."""
        name = name.strip()
        if not name or len(name) > 100:
            raise ConfigError("A user name must be 1 to 100 characters.")
        check_role(role)
        try:
            with self._begin() as conn:
                new_id = conn.execute(
                    users.insert(),
                    {
                        "name": name,
                        "role": role,
                        "password_hash": password_hash,
                        "disabled": False,
                        "created_at": time.time(),
                    },
                ).inserted_primary_key
        except StoreError as exc:
            if isinstance(exc.__cause__, IntegrityError):
                raise ConfigError(f"A user named {name!r} already exists.") from exc
            raise
        assert new_id is not None
        return User(id=int(new_id[0]), name=name, role=role)

    def get_user(self, name: str) -> User:
        """An enabled or disabled user by name."""
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).mappings().first()
            if row is None:
                known = conn.execute(select(users.c.name).limit(50)).scalars().all()
                raise UnknownNameError("user", name, known)
        return _user(row)

    def get_user_by_id(self, user_id: int) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.id == user_id)).mappings().first()
        return None if row is None else _user(row)

    def login_record(self, name: str) -> tuple[User, str | None] | None:
        """An enabled user and their password hash, for a login; None if unknown or disabled."""
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(users).where(users.c.name == name, users.c.disabled.is_(False)))
                .mappings()
                .first()
            )
        return None if row is None else (_user(row), row["password_hash"])

    def list_users(self) -> list[UserInfo]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(users).order_by(users.c.name)).mappings().all()
        return [
            UserInfo(
                id=r["id"],
                name=r["name"],
                role=r["role"],
                disabled=bool(r["disabled"]),
                created_at=r["created_at"],
                has_password=r["password_hash"] is not None,
            )
            for r in rows
        ]

    def count_users(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(users)).scalar_one())

    def update_user(
        self,
        name: str,
        *,
        role: str | None = None,
        disabled: bool | None = None,
        password_hash: str | None = None,
    ) -> User:
        """Change a user's role, disabled flag or password; disabling ends their sessions."""
        user = self.get_user(name)
        values: dict[str, Any] = {}
        if role is not None:
            values["role"] = check_role(role)
        if disabled is not None:
            values["disabled"] = disabled
        if password_hash is not None:
            values["password_hash"] = password_hash
        if values:
            with self._begin() as conn:
                conn.execute(update(users).where(users.c.id == user.id).values(**values))
                if disabled or password_hash is not None:
                    conn.execute(delete(sessions).where(sessions.c.user_id == user.id))
        return User(id=user.id, name=user.name, role=values.get("role", user.role))

    # -- API tokens ------------------------------------------------------

    def add_token(self, user_id: int, name: str, token_hash: str, prefix: str) -> int:
        """Record a new token by its hash; returns the token's id."""
        with self._begin() as conn:
            new_id = conn.execute(
                tokens.insert(),
                {
                    "user_id": user_id,
                    "name": name,
                    "token_hash": token_hash,
                    "prefix": prefix,
                    "created_at": time.time(),
                    "last_used_at": None,
                    "revoked": False,
                },
            ).inserted_primary_key
        assert new_id is not None
        return int(new_id[0])

    def list_tokens(self, user_id: int | None = None) -> list[TokenInfo]:
        q = (
            select(tokens, users.c.name.label("user_name"))
            .join(users, users.c.id == tokens.c.user_id)
            .order_by(tokens.c.id)
        )
        if user_id is not None:
            q = q.where(tokens.c.user_id == user_id)
        with self.engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
        return [
            TokenInfo(
                id=r["id"],
                user_id=r["user_id"],
                user_name=r["user_name"],
                name=r["name"],
                prefix=r["prefix"],
                created_at=r["created_at"],
                last_used_at=r["last_used_at"],
                revoked=bool(r["revoked"]),
            )
            for r in rows
        ]

    def revoke_token(self, token_id: int) -> bool:
        """Revoke a token; False if there is no such token."""
        with self._begin() as conn:
            done = conn.execute(
                update(tokens).where(tokens.c.id == token_id).values(revoked=True)
            ).rowcount
        return bool(done)

    def token_user(self, token_hash: str) -> User | None:
        """The enabled user a live token belongs to (and note its use), or None."""
        q = (
            select(users, tokens.c.id.label("token_id"), tokens.c.last_used_at)
            .join(tokens, tokens.c.user_id == users.c.id)
            .where(
                tokens.c.token_hash == token_hash,
                tokens.c.revoked.is_(False),
                users.c.disabled.is_(False),
            )
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).mappings().first()
        if row is None:
            return None
        now = time.time()
        # Note use at most once a minute: a busy client must not turn reads into writes.
        if row["last_used_at"] is None or now - row["last_used_at"] > 60:
            with self._begin() as conn:
                conn.execute(
                    update(tokens).where(tokens.c.id == row["token_id"]).values(last_used_at=now)
                )
        return _user(row)

    # -- browser sessions ------------------------------------------------

    def add_session(self, id_hash: str, user_id: int, csrf: str, expires_at: float) -> None:
        now = time.time()
        with self._begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.expires_at < now))
            conn.execute(
                sessions.insert(),
                {
                    "id_hash": id_hash,
                    "user_id": user_id,
                    "csrf": csrf,
                    "created_at": now,
                    "expires_at": expires_at,
                },
            )

    def session_user(self, id_hash: str) -> tuple[User, str] | None:
        """The enabled user and CSRF token of a live session, or None."""
        q = (
            select(users, sessions.c.csrf)
            .join(sessions, sessions.c.user_id == users.c.id)
            .where(
                sessions.c.id_hash == id_hash,
                sessions.c.expires_at > time.time(),
                users.c.disabled.is_(False),
            )
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).mappings().first()
        return None if row is None else (_user(row), str(row["csrf"]))

    def delete_session(self, id_hash: str) -> None:
        with self._begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.id_hash == id_hash))
