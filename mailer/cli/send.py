"""CLI commands for sending and scheduling: send, schedule, unschedule, newsletters list, pause, resume.

Each command calls one function of mailer.send or mailer.schedule; domain errors become one line.
"""

from __future__ import annotations

import json
import sys

import click

from .base import get_runtime, main


@main.command("send")
@click.argument("slug")
@click.option("--to", "to", metavar="ADDRESS", default=None,
              help="Send one test copy to this address only (subject starts with [TEST]).")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar with rate and ETA (default: when stderr is a terminal).")
def send_cmd(slug: str, to: str | None, progress: bool | None) -> None:
    """Send newsletter SLUG to every active subscriber now, or a test to one address.

    A second run sends nobody the issue twice; after a crash or pause it continues where it stopped.

    \b
    Example:
      mailer send 2026-11-samen-verder --to me@example.org   # a test to yourself
      mailer send 2026-11-samen-verder                       # everyone
    """
    from ..send.sender import send_newsletter, send_test

    rt = get_runtime()
    if to:
        message_id = send_test(rt, slug, to)
        click.echo(f"Testbericht van '{slug}' verstuurd naar {to} (Message-ID {message_id}).")
        return
    if progress is None:
        progress = sys.stderr.isatty()
    report = send_newsletter(rt, slug, progress=progress)
    if report.already_sent:
        click.echo(f"'{slug}' is al naar iedereen verstuurd ({report.skipped_already_sent} abonnees); "
                   "niemand krijgt hem twee keer. Niets gedaan.")
        return
    click.echo(f"'{slug}': {report.sent} verstuurd, {report.failed} mislukt, {report.bounced} gebounced, "
               f"{report.suppressed} overgeslagen (afgemeld/geblokkeerd)"
               + (f", {report.skipped_already_sent} hadden hem al" if report.skipped_already_sent else "")
               + f". Status: {report.status}.")
    if report.paused_reason:
        click.echo(f"Gepauzeerd/uitgesteld: {report.paused_reason}", err=True)
        if report.status == "paused":
            raise SystemExit(1)


@main.command("schedule")
@click.argument("slug")
@click.option("--at", "at", metavar='"YYYY-MM-DD HH:MM"', default=None,
              help="Local time in [schedule] timezone (default: send_at from the newsletter file).")
def schedule_cmd(slug: str, at: str | None) -> None:
    """Schedule newsletter SLUG to go out at a local time; 'mailer serve' sends it then.

    Times are in [schedule] timezone (Europe/Amsterdam by default) and stored in UTC. A time that
    does not exist (clocks jump forward) is refused; one that happens twice means the first.

    \b
    Example:
      mailer schedule 2026-11-samen-verder --at "2026-11-26 09:00"
    """
    from ..schedule.service import schedule

    result = schedule(get_runtime(), slug, at)
    if result.note:
        click.echo(f"Let op: {result.note}", err=True)
    click.echo(f"'{slug}' staat ingepland voor {result.local}.")


@main.command("unschedule")
@click.argument("slug")
def unschedule_cmd(slug: str) -> None:
    """Take newsletter SLUG off the schedule (back to draft).

    \b
    Example:
      mailer unschedule 2026-11-samen-verder
    """
    from ..schedule.service import unschedule

    unschedule(get_runtime(), slug)
    click.echo(f"'{slug}' is niet meer ingepland (weer concept).")


@main.command("pause")
@click.argument("slug")
def pause_cmd(slug: str) -> None:
    """Hold a scheduled or sending newsletter; a running send stops within a second.

    \b
    Example:
      mailer pause 2026-11-samen-verder
    """
    from ..schedule.service import pause

    pause(get_runtime(), slug)
    click.echo(f"'{slug}' is gepauzeerd. Hervatten: mailer resume {slug}")


@main.command("resume")
@click.argument("slug")
@click.option("--now", "now", is_flag=True, help="Send the rest right away in this process.")
def resume_cmd(slug: str, now: bool) -> None:
    """Release a paused or missed newsletter: it goes out at its send time, or now if that has passed.

    Without --now the running service ('mailer serve') picks it up within about 20 seconds.

    \b
    Example:
      mailer resume 2026-11-samen-verder --now
    """
    from ..schedule.localtime import format_local
    from ..schedule.service import resume
    from ..send.sender import send_newsletter

    rt = get_runtime()
    row = resume(rt, slug)
    if now:
        report = send_newsletter(rt, slug, progress=sys.stderr.isatty())
        click.echo(f"'{slug}': {report.sent} verstuurd, {report.failed} mislukt, {report.bounced} gebounced. "
                   f"Status: {report.status}.")
        if report.paused_reason:
            click.echo(f"Gepauzeerd/uitgesteld: {report.paused_reason}", err=True)
        return
    click.echo(f"'{slug}' is vrijgegeven en gaat uit vanaf {format_local(row.send_at, rt.config.schedule.tz)} "
               f"(door 'mailer serve'; of nu meteen: mailer send {slug}).")


@main.group("newsletters")
def newsletters_group() -> None:
    """Newsletters and their state."""


@newsletters_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON list instead of a table.")
def newsletters_list_cmd(as_json: bool) -> None:
    """List newsletters: state, send time (local), and sent/failed/pending counts.

    Newsletters that exist only as a file so far are listed as draft.

    \b
    Example:
      mailer newsletters list
      mailer newsletters list --json
    """
    from rich.console import Console
    from rich.table import Table

    from ..schedule.service import overview

    rows = overview(get_runtime())
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2))
        return
    table = Table(title="Nieuwsbrieven")
    for col in ("slug", "titel", "status", "verzendtijd", "verstuurd", "mislukt", "bounces", "open", "toelichting"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r.slug, r.title, r.status, r.send_at_local, str(r.sent), str(r.failed), str(r.bounced),
                      str(r.pending), r.status_reason)
    Console(width=max(Console().width, 140)).print(table)
