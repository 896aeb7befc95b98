"""CLI commands for sending and scheduling: send, retry, deliveries, schedule, unschedule, newsletters
list, pause, resume.

Each command calls one function of mailer.send or mailer.schedule; domain errors become one line.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from .base import error_line, get_runtime, main, status_word, stored_text
from .base import t as _t

if TYPE_CHECKING:
    from ..schedule.planning import Overview
    from ..send.sender import SendReport


def _local(moment: object) -> str:
    from ..schedule.localtime import format_local

    return format_local(moment, get_runtime().config.schedule.tz)  # type: ignore[arg-type]


def _report(report: "SendReport") -> None:
    """Print what a send did and where the newsletter stands; exit 1 when deliveries failed or wait."""
    slug = report.slug
    totals = report.totals
    if report.already_sent and report.complete:
        click.echo(_t("'%(slug)s' has been sent to everyone already (%(n)s subscribers); nobody gets it twice. "
                      "Nothing done.", slug=slug, n=report.skipped_already_sent))
        return
    if report.already_sent or (report.sent + report.failed + report.bounced + report.suppressed == 0
                               and not report.paused_reason):
        click.echo(_t("'%(slug)s': nothing more to send now; %(sent)s sent, %(failed)s failed, %(waiting)s waiting "
                      "for a retry. Status: %(status)s.", slug=slug, sent=totals.get("sent", 0),
                      failed=report.failed_total, waiting=report.waiting, status=status_word(report.status)))
    else:
        line = _t("'%(slug)s': %(sent)s sent, %(failed)s failed, %(bounced)s bounced, %(suppressed)s skipped "
                  "(unsubscribed/blocked)", slug=slug, sent=report.sent, failed=report.failed,
                  bounced=report.bounced, suppressed=report.suppressed)
        if report.skipped_already_sent:
            line += _t(", %(n)s had it already", n=report.skipped_already_sent)
        click.echo(line + _t(". Status: %(status)s.", status=status_word(report.status)))
    trouble = False
    if report.paused_reason:
        click.echo(_t("Paused or postponed: %(reason)s", reason=stored_text(report.paused_reason)), err=True)
        trouble = report.status == "paused"
    if report.waiting:
        when = _local(report.next_retry_at) if report.next_retry_at else "?"
        click.echo(_t("%(n)s deliveries wait for a retry (next at %(when)s): 'mailer serve' tries them again, or now: "
                      "mailer retry %(slug)s", n=report.waiting, when=when, slug=slug), err=True)
        trouble = True
    if report.failed_total:
        click.echo(_t("%(n)s deliveries failed (%(retryable)s can be tried again: mailer retry %(slug)s). "
                      "See them: mailer deliveries %(slug)s --state failed", n=report.failed_total,
                      retryable=report.retryable, slug=slug), err=True)
        trouble = True
    if trouble:
        raise SystemExit(1)


@main.command("send")
@click.argument("slug")
@click.option("--to", "to", metavar="ADDRESS", default=None,
              help="Send one test copy to this address only (subject starts with [TEST]).")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar with rate and ETA (default: when stderr is a terminal).")
def send_cmd(slug: str, to: str | None, progress: bool | None) -> None:
    """Send newsletter SLUG to every active subscriber now, or a test to one address.

    A second run sends nobody the issue twice; after a crash or pause it continues where it stopped.
    Temporary refusals are tried again; the exit status is 1 when deliveries failed or still wait.

    \b
    Example:
      mailer send 2026-11-samen-verder --to me@example.org   # a test to yourself
      mailer send 2026-11-samen-verder                       # everyone
    """
    from ..send.sender import CLI_LOCK_WAIT, send_newsletter, send_test

    rt = get_runtime()
    if to:
        message_id = send_test(rt, slug, to)
        click.echo(_t("Test of '%(slug)s' sent to %(to)s (Message-ID %(mid)s).", slug=slug, to=to, mid=message_id))
        return
    if progress is None:
        progress = sys.stderr.isatty()
    _report(send_newsletter(rt, slug, progress=progress, lock_wait=CLI_LOCK_WAIT))


@main.command("retry")
@click.argument("slug")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: when stderr is a terminal).")
def retry_cmd(slug: str, progress: bool | None) -> None:
    """Send SLUG again to the deliveries that failed for a temporary reason, and now to those waiting.

    Nobody else: deliveries that were refused for good (5xx), bounced addresses and unsubscribed or
    blocked ones are counted, not retried.

    \b
    Example:
      mailer retry 2026-11-samen-verder
    """
    from ..send.sender import retry_failed

    if progress is None:
        progress = sys.stderr.isatty()
    plan, report = retry_failed(get_runtime(), slug, progress=progress)
    click.echo(_t("%(reopened)s failed deliveries back in the queue, %(due)s waiting ones tried now.",
                  reopened=plan.reopened, due=plan.made_due))
    if plan.permanent or plan.bounced or plan.suppressed:
        click.echo(_t("Not retried: %(failed)s refused for good by the server (see: mailer deliveries %(slug)s "
                      "--state failed), %(bounced)s bounced (the address does not exist), %(suppressed)s "
                      "unsubscribed or blocked.", failed=plan.permanent, slug=slug, bounced=plan.bounced,
                      suppressed=plan.suppressed))
    if report is None:
        click.echo(_t("Nothing to retry for '%(slug)s'.", slug=slug))
        if plan.permanent:
            raise SystemExit(1)
        return
    _report(report)


@main.command("deliveries")
@click.argument("slug")
@click.option("--state", "state", default=None,
              type=click.Choice(["pending", "sending", "waiting", "sent", "failed", "bounced", "suppressed"]),
              help="Only deliveries in this state.")
@click.option("--json", "as_json", is_flag=True, help="One JSON list instead of a table.")
def deliveries_cmd(slug: str, state: str | None, as_json: bool) -> None:
    """Each recipient's delivery of SLUG: state, attempts, time and the server's answer in full.

    \b
    Example:
      mailer deliveries 2026-11-samen-verder --state failed
      mailer deliveries 2026-11-samen-verder --json
    """
    from ..stores import newsletters
    from ..stores import deliveries

    rt = get_runtime()
    row = newsletters.get(rt.db, slug)
    rows = deliveries.for_newsletter(rt.db, row.id, state)
    if as_json:
        click.echo(json.dumps([{
            "email": d.email, "state": d.status, "attempts": d.attempts, "sent_at": d.sent_at,
            "updated_at": d.updated_at, "first_attempt_at": d.first_attempt_at, "next_attempt_at": d.next_attempt_at,
            "retryable": d.retryable, "answer": d.last_error, "message_id": d.message_id,
        } for d in rows], ensure_ascii=False, indent=2))
        return
    from datetime import datetime

    from rich.console import Console
    from rich.table import Table

    table = Table(title=_t("Deliveries of %(slug)s", slug=slug))
    for col in (_t("address"), _t("state"), _t("attempts"), _t("time"), _t("next try"), _t("server answer")):
        table.add_column(col, overflow="fold")
    for d in rows:
        when = d.sent_at or d.updated_at
        table.add_row(d.email, status_word(d.status) + (" (" + _t("retryable") + ")" if d.retryable else ""),
                      str(d.attempts),
                      _local(datetime.fromisoformat(when)) if when else "",
                      _local(datetime.fromisoformat(d.next_attempt_at)) if d.next_attempt_at else "", d.last_error)
    Console(width=max(Console().width, 140)).print(table)
    click.echo(_t("%(n)s deliveries", n=len(rows)))


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
    from ..schedule.planning import schedule

    result = schedule(get_runtime(), slug, at)
    if result.note:
        click.echo(_t("Note: %(note)s", note=stored_text(result.note)), err=True)
    click.echo(_t("'%(slug)s' is scheduled for %(when)s.", slug=slug, when=result.local))
    if result.quote_problem is not None:
        click.echo(_t("Note: %(note)s", note=error_line(result.quote_problem).rstrip(".")) + ". "
                   + _t("If that does not change, the send pauses at its time with this reason."), err=True)


@main.command("unschedule")
@click.argument("slug")
def unschedule_cmd(slug: str) -> None:
    """Take newsletter SLUG off the schedule (back to draft).

    \b
    Example:
      mailer unschedule 2026-11-samen-verder
    """
    from ..schedule.planning import unschedule

    unschedule(get_runtime(), slug)
    click.echo(_t("'%(slug)s' is no longer scheduled (a draft again).", slug=slug))


@main.command("pause")
@click.argument("slug")
def pause_cmd(slug: str) -> None:
    """Hold a scheduled or sending newsletter; a running send stops within a second.

    \b
    Example:
      mailer pause 2026-11-samen-verder
    """
    from ..schedule.planning import pause

    pause(get_runtime(), slug)
    click.echo(_t("'%(slug)s' is paused. To resume: mailer resume %(slug)s", slug=slug))


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
    from ..schedule.planning import resume
    from ..send.sender import send_newsletter

    rt = get_runtime()
    row = resume(rt, slug)
    if now:
        _report(send_newsletter(rt, slug, progress=sys.stderr.isatty()))
        return
    click.echo(_t("'%(slug)s' is released and goes out from %(when)s (by 'mailer serve'; or right now: "
                  "mailer send %(slug)s).", slug=slug, when=format_local(row.send_at, rt.config.schedule.tz)))


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

    from ..schedule.planning import overview

    rows = overview(get_runtime())
    if as_json:
        click.echo(json.dumps([dict(r.as_dict(), status_text=_status_text(r)) for r in rows], ensure_ascii=False,
                              indent=2))
        return
    table = Table(title=_t("Newsletters"))
    for col in ("slug", _t("title"), _t("status"), _t("send time"), _t("sent"), _t("failed"), _t("bounces"), _t("open"),
                _t("waiting"), _t("note")):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r.slug, r.title, _status_text(r), r.send_at_local, str(r.sent), str(r.failed), str(r.bounced),
                      str(r.pending), str(r.waiting), stored_text(r.status_reason))
    Console(width=max(Console().width, 140)).print(table)


def _status_text(r: "Overview") -> str:
    """The state, with what is not done yet: never a bare 'sent' while deliveries failed or wait."""
    notes = []
    if r.waiting:
        notes.append(_t("%(n)s waiting for a retry", n=r.waiting))
    if r.failed:
        notes.append(_t("%(n)s failed", n=r.failed))
    return status_word(r.status) + (" - " + ", ".join(notes) if notes else "")
