"""``mailer users``: the team's accounts for the web UI."""

from __future__ import annotations

import sys

import click

from ..web import auth
from .base import get_runtime, main
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
    return click.prompt(_t("Password"), hide_input=True, confirmation_prompt=_t("Repeat for confirmation"))


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
