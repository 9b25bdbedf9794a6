"""Users, passwords and personal API tokens; signing in at the command line."""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated

import typer
from rich.table import Table

from disclosure.attributes import Role
from disclosure.errors import InvalidInput, Violation
from govpub.cli_common import err, handled, open_govpub, out, token_file
from services.bootstrap import open_app
from services.settings import load_settings

users_app = typer.Typer(help="Users, passwords and personal API tokens.", no_args_is_help=True)
token_app = typer.Typer(help="Personal API tokens (shown once, stored hashed).", no_args_is_help=True)
users_app.add_typer(token_app, name="token")
session_commands = typer.Typer()  # login / logout, mounted at the top level
LOGIN_TOKEN_DAYS = 30


def _read_password(*, from_stdin: bool, prompt: str) -> str:
    """A password from stdin (one line) or typed at a prompt without echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt(prompt, hide_input=True))


def _roles(values: list[str]) -> list[Role]:
    try:
        return [Role(v) for v in values]
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise InvalidInput([Violation("--role", f"must be one of: {allowed}")]) from None


@users_app.command("add")
@handled
def users_add(  # noqa: PLR0917 - typer: one parameter per option
    username: Annotated[str, typer.Argument(metavar="USER")],
    name: Annotated[str, typer.Option(help="the person's name")],
    role: Annotated[list[str], typer.Option(help="drafter, reviewer, disclosure_office, admin, channel (repeat)")],
    level: Annotated[list[str] | None, typer.Option(help="a review level held (reviewers; repeat)")] = None,
    department: Annotated[str, typer.Option(help="department")] = "",
    agency: Annotated[str | None, typer.Option(help="agency code (default: the first agency)")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read a password from stdin")] = False,
    as_user: Annotated[str | None, typer.Option("--as", help="development only: the admin acting")] = None,
) -> None:
    """Add a user with roles (and review levels); optionally set a password."""
    with open_govpub(as_user) as (govpub, principal):
        added = govpub.identities.add_user(principal, username=username, name=name, roles=_roles(role),
                                           levels=level or [], department=department, agency=agency)  # fmt: skip
        if password_stdin:
            govpub.identities.set_password(principal, username, _read_password(from_stdin=True, prompt="password"))
    out.print(f"user {added.username} added: {', '.join(added.roles)}", highlight=False)


@users_app.command("list")
@handled
def users_list(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Every user with roles, levels, whether active and whether a password is set."""
    with open_govpub() as (govpub, principal):
        users = govpub.identities.list_users(principal)
    if as_json:
        sys.stdout.write(json.dumps([u.model_dump(mode="json") for u in users], ensure_ascii=False, indent=2) + "\n")
        return
    table = Table("user", "name", "roles", "levels", "active", "password", title=f"{len(users)} user(s)")
    for u in users:
        table.add_row(u.username, u.name, ", ".join(u.roles), ", ".join(u.review_levels),
                      "yes" if u.active else "NO", "set" if u.has_password else "—")  # fmt: skip
    out.print(table)


@users_app.command("deactivate")
@handled
def users_deactivate(
    username: Annotated[str, typer.Argument(metavar="USER")],
    as_user: Annotated[str | None, typer.Option("--as", help="development only: the admin acting")] = None,
) -> None:
    """Deactivate a user and revoke their tokens: refused on every door from now on."""
    with open_govpub(as_user) as (govpub, principal):
        govpub.identities.deactivate(principal, username)
    out.print(f"user {username} deactivated; their tokens are revoked")


@users_app.command("set-password")
@handled
def users_set_password(
    username: Annotated[str, typer.Argument(metavar="USER")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from stdin")] = False,
) -> None:
    """Set a user's password (argon2id; at least 10 characters)."""
    with open_govpub() as (govpub, principal):
        password = _read_password(from_stdin=password_stdin, prompt="new password")
        govpub.identities.set_password(principal, username, password)
    out.print(f"password set for {username}")


@token_app.command("create")
@handled
def token_create(
    username: Annotated[str, typer.Argument(metavar="USER")],
    expires_days: Annotated[int, typer.Option(help="days until it expires (1–366)")] = 90,
    name: Annotated[str, typer.Option(help="what the token is for")] = "",
) -> None:
    """Create a personal API token; prints it (shown once) as the last line."""
    with open_govpub() as (govpub, principal):
        made = govpub.identities.create_token(principal, username, expires_days=expires_days, name=name)
    err.print(f"token #{made.token.id} for {username}, expires {made.token.expires_at:%Y-%m-%d}; shown once")
    sys.stdout.write(made.secret + "\n")


@token_app.command("revoke")
@handled
def token_revoke(token_id: Annotated[int, typer.Argument(metavar="TOKEN_ID")]) -> None:
    """Revoke a token at once, on every door."""
    with open_govpub() as (govpub, principal):
        revoked = govpub.identities.revoke_token(principal, token_id)
    out.print(f"token #{revoked.id} of {revoked.username} revoked")


@token_app.command("list")
@handled
def token_list(username: Annotated[str, typer.Argument(metavar="USER")]) -> None:
    """A user's tokens: created, expiry, last use, revoked (never the secrets)."""
    with open_govpub() as (govpub, principal):
        tokens = govpub.identities.list_tokens(principal, username)
    table = Table("#", "name", "created", "expires", "last used", "revoked", title=f"tokens of {username}")
    for t in tokens:
        used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "—"
        table.add_row(str(t.id), t.name, f"{t.created_at:%Y-%m-%d %H:%M}", f"{t.expires_at:%Y-%m-%d}", used,
                      "yes" if t.revoked else "")  # fmt: skip
    out.print(table)


@session_commands.command("login")
@handled
def login(
    username: Annotated[str, typer.Argument(metavar="USER")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from stdin")] = False,
) -> None:
    """Sign in: a token for this data directory is kept in credentials/token (mode 0600)."""
    settings = load_settings()
    password = _read_password(from_stdin=password_stdin, prompt="password")
    with open_app(settings) as opened:
        principal = opened.identities.authenticate_password(username, password, via="cli")
        made = opened.identities.create_token(principal, username, expires_days=LOGIN_TOKEN_DAYS, name="govpub login")
    path = token_file(settings)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(made.secret + "\n")
    out.print(f"signed in as {username} until {made.token.expires_at:%Y-%m-%d}")


@session_commands.command("logout")
@handled
def logout() -> None:
    """Sign out: revoke the kept token and remove it."""
    settings = load_settings()
    path = token_file(settings)
    if not path.exists():
        out.print("not signed in")
        return
    with open_govpub() as (govpub, principal):
        if principal.token_id is not None:
            govpub.identities.revoke_token(principal, principal.token_id)
    path.unlink(missing_ok=True)
    out.print("signed out")
