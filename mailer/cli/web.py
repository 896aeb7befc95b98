"""CLI commands for web (registered on mailer.cli.base.main): the team's accounts."""

from __future__ import annotations

import sys

import click

from ..web import auth
from .base import get_runtime, main


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
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


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
    click.echo(f"User '{name.strip()}' added; log in at /team/login.")


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
        click.echo("No team accounts yet: add one with 'mailer users add NAME'.")
        return
    sessions = auth.open_sessions(db)
    for u in rows:
        click.echo(f"{u.name}\tsince {u.created_at[:10]}\topen sessions: {sessions.get(u.id, 0)}")


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
    click.echo(f"Password of '{name}' changed; their open sessions are ended.")
