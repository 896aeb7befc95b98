"""What is due, and the human decisions around it: schedule, unschedule, pause, resume, the overview.

The database is the queue: "due" is a query on ``status`` and ``send_at``. A newsletter that fell due
while the service was down goes out when it starts, if it fell due less than ``[schedule] grace_hours``
ago; past that it is marked ``missed`` and waits for ``mailer resume SLUG`` or ``mailer send SLUG``.
A send interrupted by a crash (state ``sending`` with deliveries left untried, nobody holding its
send lock) is resumed; deliveries waiting for a retry are the retry tick's (``retry_due``).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone

from ..stores import newsletters
from ..errors import InvalidInput, MailerError, Text, state
from ..runtime import Runtime
from ..stores import deliveries
from .localtime import format_local, parse_local

log = logging.getLogger(__name__)

SCHEDULABLE = ("draft", "scheduled", "paused", "missed", "failed")


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(timezone.utc)


def _iso(value: datetime | None) -> str | None:
    return newsletters.iso_utc(value) if value else None


def _load_row(rt: Runtime, slug: str) -> newsletters.NewsletterRow:
    """The newsletter's row, synced from its file when there is one (so file-only drafts work)."""
    row = newsletters.find(rt.db, slug)
    try:
        from ..compose.source import find_newsletter

        nl = find_newsletter(rt.config.newsletters_dir, slug, rt.config.schedule.tz)
    except MailerError:
        if row is None:
            raise
        return row
    return newsletters.sync(rt.db, nl)


@dataclass(frozen=True)
class Scheduled:
    row: newsletters.NewsletterRow
    local: str   # the send time in the configured zone, e.g. "2026-11-26 09:00 CET"
    note: str    # set for an ambiguous wall time
    # A quote the issue may not use yet: scheduled all the same (the reader may still answer), but
    # the send pauses with this reason if nothing changes before then.
    quote_problem: MailerError | None = None


def schedule(rt: Runtime, slug: str, at: str | None, now: datetime | None = None) -> Scheduled:
    """Schedule ``slug`` at local time ``at`` (``None``: the send time in the file's front matter)."""
    tz = rt.config.schedule.tz
    row = _load_row(rt, slug)
    if row.status not in SCHEDULABLE:
        raise InvalidInput("'%(slug)s' is %(status)s: only a draft, scheduled, paused, "
                           "missed or failed newsletter can be scheduled", slug=slug, status=state(row.status))
    note = ""
    if at is None:
        from ..compose.source import find_newsletter

        nl = find_newsletter(rt.config.newsletters_dir, slug, tz)
        if nl.send_at is None:
            raise InvalidInput("'%(slug)s' has no send time in its file: give one with --at "
                               "\"YYYY-MM-DD HH:MM\"", slug=slug)
        when = nl.send_at.astimezone(timezone.utc)
    else:
        parsed = parse_local(at, tz)
        when, note = parsed.utc, parsed.note
    if when <= _now(now):
        raise InvalidInput("%(when)s is in the past: pick a later time (now it is "
                           "%(now)s)", when=format_local(when, tz), now=format_local(_now(now), tz))
    newsletters.set_status(rt.db, row.id, "scheduled", "", send_at=newsletters.iso_utc(when),
                           started_at=_iso(row.started_at))
    local = format_local(when, tz)
    newsletters.log_event(rt.db, f"{slug}: scheduled for {local}", row.id)
    return Scheduled(newsletters.get_by_id(rt.db, row.id), local, note, _quote_problem(rt, slug))


def _quote_problem(rt: Runtime, slug: str) -> MailerError | None:
    """Why the issue's quotes would stop its send today, if they would (quotes/approved.py)."""
    from ..compose.quotes import QuoteNotApproved
    from ..compose.source import find_newsletter
    from ..quotes.approved import approved_for

    try:
        approved_for(rt.db, find_newsletter(rt.config.newsletters_dir, slug, rt.config.schedule.tz))
    except QuoteNotApproved as exc:
        return exc
    except MailerError:
        return None  # no file (a newsletter known only to the database): its send says what is wrong
    return None


def unschedule(rt: Runtime, slug: str) -> newsletters.NewsletterRow:
    row = newsletters.get(rt.db, slug)
    if row.status not in ("scheduled", "missed", "paused"):
        raise InvalidInput("'%(slug)s' is %(status)s, not scheduled: nothing to unschedule", slug=slug, status=state(row.status))
    if deliveries.count_by_status(rt.db, row.id)["sent"]:
        raise InvalidInput("'%(slug)s' has already gone out to part of the list: use "
                           "'mailer pause %(slug)s' to hold it", slug=slug)
    newsletters.set_status(rt.db, row.id, "draft", "", send_at=None)
    newsletters.log_event(rt.db, f"{slug}: unscheduled (back to draft)", row.id)
    return newsletters.get_by_id(rt.db, row.id)


def pause(rt: Runtime, slug: str, reason: str = str(Text("paused by hand"))) -> newsletters.NewsletterRow:
    """Hold a scheduled or sending newsletter; a running sender stops within about a second."""
    row = newsletters.get(rt.db, slug)
    if row.status not in ("scheduled", "sending", "missed"):
        raise InvalidInput("'%(slug)s' is %(status)s: only a scheduled or sending "
                           "newsletter can be paused", slug=slug, status=state(row.status))
    newsletters.set_status(rt.db, row.id, "paused", reason, send_at=_iso(row.send_at),
                           started_at=_iso(row.started_at))
    newsletters.log_event(rt.db, f"{slug}: {reason}", row.id, level="warning")
    return newsletters.get_by_id(rt.db, row.id)


def resume(rt: Runtime, slug: str, now: datetime | None = None) -> newsletters.NewsletterRow:
    """Release a paused or missed newsletter: it is due at its send time, or now if that has passed."""
    row = newsletters.get(rt.db, slug)
    if row.status not in ("paused", "missed"):
        raise InvalidInput("'%(slug)s' is %(status)s: only a paused or missed newsletter "
                           "can be resumed", slug=slug, status=state(row.status))
    when = row.send_at if row.send_at and row.send_at > _now(now) else _now(now)
    newsletters.set_status(rt.db, row.id, "scheduled", str(Text("resumed by hand (was %(status)s)", status=state(row.status))),
                           send_at=newsletters.iso_utc(when), started_at=_iso(row.started_at))
    newsletters.log_event(rt.db, f"{slug}: resumed by hand (was {row.status}); due "
                                 f"{format_local(when, rt.config.schedule.tz)}", row.id)
    return newsletters.get_by_id(rt.db, row.id)


def send_due(rt: Runtime, now: datetime | None = None) -> list[str]:
    """Send what is due; mark what is too late as missed. Returns the slugs it sent (or resumed)."""
    from ..send.sender import SendBusy, send_newsletter

    now = _now(now)
    grace = timedelta(hours=rt.config.schedule.grace_hours)
    tz = rt.config.schedule.tz
    done: list[str] = []
    for row in newsletters.list_all(rt.db):
        if row.status == "scheduled" and row.send_at is not None and row.send_at <= now:
            if now - row.send_at > grace:
                reason = str(Text("fell due at %(when)s while the service was not running, more than %(hours)s h "
                                  "ago: not sent; 'mailer resume %(slug)s' or 'mailer send %(slug)s' sends it",
                                  when=format_local(row.send_at, tz), hours=format(rt.config.schedule.grace_hours, "g"),
                                  slug=row.slug))
                newsletters.set_status(rt.db, row.id, "missed", reason, send_at=_iso(row.send_at))
                newsletters.log_event(rt.db, f"{row.slug}: missed: {reason}", row.id, level="warning")
                log.warning("%s missed: %s", row.slug, reason)
                continue
        elif row.status != "sending":
            continue
        else:
            counts = deliveries.count_by_status(rt.db, row.id)
            untried = counts["pending"] + counts["sending"]
            if untried == 0 and sum(counts.values()) > 0:
                continue   # only retries left: retry_due's
        try:
            report = send_newsletter(rt, row.slug)
        except SendBusy:
            continue  # another process (or thread) is on it
        except MailerError as exc:
            log.error("sending %s failed: %s", row.slug, exc)
            current = newsletters.get_by_id(rt.db, row.id)
            if current.status != "paused":
                newsletters.set_status(rt.db, row.id, "paused", str(exc), send_at=_iso(current.send_at),
                                       started_at=_iso(current.started_at))
                newsletters.log_event(rt.db, f"{row.slug}: paused: {exc}", row.id, level="error")
            continue
        log.info("%s: %s sent, %s failed, %s bounced (%s)", row.slug, report.sent, report.failed,
                 report.bounced, report.status)
        done.append(row.slug)
    return done


def retry_due(rt: Runtime) -> list[str]:
    """Send the deliveries whose wait for a retry is over (the send engine's retry function)."""
    from ..send.sender import retry_waiting

    return retry_waiting(rt)


@dataclass(frozen=True)
class Overview:
    slug: str
    title: str
    status: str
    send_at: str | None      # UTC ISO
    send_at_local: str
    status_reason: str
    sent: int
    failed: int
    bounced: int
    suppressed: int
    pending: int             # pending + sending: not tried yet
    waiting: int             # waiting for a retry
    retryable: int           # failed for a temporary reason: 'mailer retry' sends them again
    in_database: bool

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def overview(rt: Runtime) -> list[Overview]:
    """Every newsletter, in the database or only as a file (a draft), with its delivery counts."""
    tz = rt.config.schedule.tz
    counts = deliveries.count_all(rt.db)
    rows = newsletters.list_all(rt.db)
    out: list[Overview] = []
    for r in rows:
        c = counts.get(r.id, dict.fromkeys(deliveries.STATES, 0))
        # A newsletter sent by hand has no send_at: show when its send started instead.
        shown = r.send_at or r.started_at
        retryable = deliveries.count_retryable(rt.db, r.id) if c["failed"] else 0
        out.append(Overview(r.slug, r.title, r.status, _iso(r.send_at), format_local(shown, tz),
                            r.status_reason, c["sent"], c["failed"], c["bounced"], c["suppressed"],
                            c["pending"] + c["sending"], c["waiting"], retryable, True))
    known = {r.slug for r in rows}
    try:
        from ..compose.source import list_newsletters

        files = list_newsletters(rt.config.newsletters_dir, tz)
    except (ImportError, MailerError) as exc:
        log.warning("cannot list newsletter files: %s", exc)
        files = []
    for nl in files:
        if nl.slug not in known:
            out.append(Overview(nl.slug, nl.title, "draft", None, "", "only a file so far", 0, 0, 0, 0, 0, 0, 0, False))
    return out
