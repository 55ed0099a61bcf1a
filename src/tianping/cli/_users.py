"""``tianping users add|list|disable|enable|passwd`` and ``tianping tokens create|list|revoke``."""

from __future__ import annotations

import getpass
import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from ..core import ConfigError
from ._common import DbOption, JsonOption, console, open_store, print_json

users_app = typer.Typer(
    rich_markup_mode=None, help="People who use the web UI and API.", no_args_is_help=True
)
tokens_app = typer.Typer(
    rich_markup_mode=None, help="API tokens (Authorization: Bearer tp_...).", no_args_is_help=True
)

ROLE_HELP = "admin, assessor, reviewer or viewer (each may do what the ones after it may)."


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Again: "):
            raise ConfigError("The two passwords differ.")
    if len(password) < 8:
        raise ConfigError("A password must be at least 8 characters.")
    return password


@users_app.command("add")
def add_user(
    name: Annotated[str, typer.Argument(help="User name (to log in with).")],
    role: Annotated[str, typer.Option("--role", help=ROLE_HELP)],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin (one line).")
    ] = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="No password: the user uses API tokens only.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Add a user; asks for a password (unless --no-password)."""
    from ..server._auth import hash_password
    from ..store._users import check_role

    check_role(role)
    hashed = None if no_password else hash_password(_read_password(password_stdin))
    with open_store(db) as store:
        user = store.add_user(name, role, hashed)
    console().print(f"added {user.name} ({user.role})", markup=False)


@users_app.command("list")
def list_users(db: DbOption = None, json_out: JsonOption = False) -> None:
    """Every user with role and status."""
    with open_store(db) as store:
        found = store.list_users()
    if json_out:
        print_json(
            [
                {
                    "id": u.id,
                    "name": u.name,
                    "role": u.role,
                    "disabled": u.disabled,
                    "created_at": u.created_at,
                }
                for u in found
            ]
        )
        return
    out = console()
    for u in found:
        state = "disabled" if u.disabled else "active"
        out.print(f"{u.name:<24} {u.role:<9} {state:<8} since {_when(u.created_at)}", markup=False)
    if not found:
        out.print("no users: add one with 'tianping users add NAME --role admin'", markup=False)


@users_app.command("disable")
def disable_user(
    name: Annotated[str, typer.Argument(help="User name.")], db: DbOption = None
) -> None:
    """Stop a user logging in or using tokens (ends their sessions); keeps their labels."""
    with open_store(db) as store:
        store.update_user(name, disabled=True)
    console().print(f"disabled {name}", markup=False)


@users_app.command("enable")
def enable_user(
    name: Annotated[str, typer.Argument(help="User name.")], db: DbOption = None
) -> None:
    """Let a disabled user back in."""
    with open_store(db) as store:
        store.update_user(name, disabled=False)
    console().print(f"enabled {name}", markup=False)


@users_app.command("passwd")
def set_password(
    name: Annotated[str, typer.Argument(help="User name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin (one line).")
    ] = False,
    db: DbOption = None,
) -> None:
    """Set a user's password (ends their sessions)."""
    from ..server._auth import hash_password

    with open_store(db) as store:
        store.get_user(name)
        store.update_user(name, password_hash=hash_password(_read_password(password_stdin)))
    console().print(f"password set for {name}", markup=False)


@tokens_app.command("create")
def create_token(
    name: Annotated[str, typer.Argument(help="What the token is for (e.g. ci).")],
    user: Annotated[
        str | None, typer.Option("--user", help="Whose token it is (needed with 2+ users).")
    ] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Issue an API token. It is printed once: only its hash is kept."""
    from ..server._auth import create_token as issue

    if not name.strip() or len(name) > 100:
        raise ConfigError("A token name must be 1 to 100 characters.")
    with open_store(db) as store:
        if user is None:
            everyone = store.list_users()
            if len(everyone) != 1:
                raise ConfigError("Say whose token it is: --user NAME.")
            user = everyone[0].name
        owner = store.get_user(user)
        token_id, token = issue(store, owner, name.strip())
    if json_out:
        print_json({"id": token_id, "name": name, "user": owner.name, "token": token})
        return
    sys.stdout.write(token + "\n")
    sys.stderr.write(
        f"token {token_id} for {owner.name} ({owner.role}); shown once: store it now\n"
    )


@tokens_app.command("list")
def list_tokens(
    user: Annotated[str | None, typer.Option("--user", help="Only this user's tokens.")] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Tokens by id, with their prefix, owner and last use (never the token itself)."""
    with open_store(db) as store:
        owner = store.get_user(user).id if user else None
        found = store.list_tokens(owner)
    if json_out:
        print_json(
            [
                {
                    "id": t.id,
                    "name": t.name,
                    "user": t.user_name,
                    "prefix": t.prefix,
                    "created_at": t.created_at,
                    "last_used_at": t.last_used_at,
                    "revoked": t.revoked,
                }
                for t in found
            ]
        )
        return
    out = console()
    for t in found:
        state = "revoked" if t.revoked else "live"
        out.print(
            f"{t.id:>4}  {t.prefix}…  {t.user_name:<20} {t.name:<20} {state:<7} "
            f"made {_when(t.created_at)}, used {_when(t.last_used_at)}",
            markup=False,
        )


@tokens_app.command("revoke")
def revoke_token(
    token_id: Annotated[int, typer.Argument(help="Token id (see 'tokens list').")],
    db: DbOption = None,
) -> None:
    """Revoke a token: requests with it are refused from now on."""
    with open_store(db) as store:
        if not store.revoke_token(token_id):
            raise ConfigError(f"No token {token_id}: see 'tianping tokens list'.")
    console().print(f"revoked token {token_id}", markup=False)
