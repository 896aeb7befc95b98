"""``mailer users``: the team's accounts for the web UI."""

from __future__ import annotations

import sys

import click

from ..web import auth
from .base import get_runtime, main, new_password
from .base import t as _t


@main.group("users")
def users() -> None:
    """Team accounts for the web inbox (/team).

    \b
    Example:
      mailer users add anna
      mailer users list
    """


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return new_password()


@users.command("add")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def add_cmd(name: str, password_stdin: bool) -> None:
    """Add a team member; asks for the password (stored as an argon2 hash).

    \b
    Example:
      mailer users add anna
      printf '%s\\n' "$PASSWORD" | mailer users add anna --password-stdin
    """
    password = _read_password(password_stdin)
    auth.create_user(get_runtime().db, name, password)
    click.echo(_t("User '%(name)s' added; log in at /team/login.", name=name.strip()))


@users.command("list")
def list_cmd() -> None:
    """List team accounts, with how many sessions each has open.

    \b
    Example:
      mailer users list
    """
    db = get_runtime().db
    rows = auth.list_users(db)
    if not rows:
        click.echo(_t("No team accounts yet: add one with 'mailer users add NAME'."))
        return
    sessions = auth.open_sessions(db)
    for u in rows:
        click.echo(_t("%(name)s\tsince %(since)s\topen sessions: %(n)s", name=u.name, since=u.created_at[:10],
                      n=sessions.get(u.id, 0)))


@users.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def password_cmd(name: str, password_stdin: bool) -> None:
    """Set a new password for a team member; ends all their sessions (they log in again).

    \b
    Example:
      mailer users password anna
    """
    auth.set_password(get_runtime().db, name, _read_password(password_stdin))
    click.echo(_t("Password of '%(name)s' changed; their open sessions are ended.", name=name))


@users.command("token")
@click.argument("name")
@click.option("--label", default="", help="What the token is for, to tell tokens apart (e.g. 'dashboard').")
def token_cmd(name: str, label: str) -> None:
    """Create an API token for NAME for the read-only JSON API (/api/v1); printed once.

    Only a hash is kept: store the token where your script reads it. Send it as the header
    'Authorization: Bearer <token>' (see docs/api.md).

    \b
    Example:
      mailer users token anna --label dashboard
    """
    from ..web import api_tokens

    new = api_tokens.create(get_runtime().db, name, label)
    click.echo(new.token)
    click.echo(_t("API token %(id)s for '%(name)s' created. It is shown only now: store it safely; "
                "revoke it with 'mailer users revoke-token %(id)s'.", id=new.info.id, name=new.info.user_name), err=True)


@users.command("tokens")
@click.argument("name", required=False)
def tokens_cmd(name: str | None) -> None:
    """List API tokens (of NAME, or of everybody): id, owner, label, start, created, last used, revoked.

    \b
    Example:
      mailer users tokens
      mailer users tokens anna
    """
    from ..web import api_tokens

    rows = api_tokens.list_tokens(get_runtime().db, name)
    if not rows:
        click.echo(_t("No API tokens yet: create one with 'mailer users token NAME'."))
        return
    for tok in rows:
        state = (_t("revoked %(at)s", at=tok.revoked_at[:16]) if tok.revoked_at
                 else _t("last used %(at)s", at=tok.last_used_at[:16]) if tok.last_used_at else _t("never used"))
        click.echo(f"{tok.id}\t{tok.user_name}\t{tok.label or '-'}\t{tok.prefix}…\t{tok.created_at[:10]}\t{state}")


@users.command("revoke-token")
@click.argument("token_id", type=int)
def revoke_token_cmd(token_id: int) -> None:
    """Revoke an API token by its id (see 'mailer users tokens'); it is refused at once.

    \b
    Example:
      mailer users revoke-token 3
    """
    from ..web import api_tokens

    api_tokens.revoke(get_runtime().db, token_id)
    click.echo(_t("API token %(id)s revoked.", id=token_id))
