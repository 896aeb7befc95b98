"""Sending a newsletter: ``send_newsletter`` (``mailer send``, the scheduler), ``retry_waiting`` (the
scheduler's retry tick), ``retry_failed`` (``mailer retry``) and ``send_test`` (``mailer send --to``).

A send compiles the issue once, makes sure every active subscriber has a delivery, and runs one
``Worker`` per connection (worker.py) over what is due. Deliveries that hit a temporary failure wait
(queue.py); the send makes another pass when their wait ends, until each has had ``[smtp]
max_attempts`` tries; what then still waits is retried by ``mailer serve`` until its lifetime ends.

Workers are processes when the sender is the only thread of its process (``mailer send``): one
process runs Python on one core at a time, and a send with DKIM spends most of its time computing.
In a process with other threads (``mailer serve``: web server, inbox poller) forking is not safe,
and a rate-limited send needs one throttle for all connections: there the workers are threads.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from .. import i18n, links
from ..stores import newsletters
from ..compose.model import Newsletter
from ..compose.render import CompiledNewsletter
from ..db import utcnow
from ..errors import InvalidInput, MailerError, SmtpUnavailable, Text, state
from ..runtime import Runtime
from ..smtp import ConnectionLost, Connection
from ..stores import deliveries
from . import queue
from .dkim import signer_from_config
from .lock import SendBusy, send_lock
from .message import MessageBuilder, Recipient, ascii_address, new_message_id
from .progress import SendProgress
from .throttle import Throttle, since
from .worker import Tally, run_in_processes, run_in_threads

__all__ = ["SendBusy", "SendReport", "load_newsletter", "retry_failed", "retry_waiting", "send_newsletter",
           "send_test"]

log = logging.getLogger(__name__)

CLI_LOCK_WAIT = 10.0   # seconds a command waits for the workers of a sender that was just killed


@dataclass
class SendReport:
    """What one send did (``sent`` ... ``suppressed``: this run) and where the newsletter stands."""

    slug: str
    sent: int = 0
    failed: int = 0
    bounced: int = 0
    suppressed: int = 0
    skipped_already_sent: int = 0
    paused_reason: str = ""
    status: str = ""             # the newsletter's state afterwards
    already_sent: bool = False   # nothing was due: everybody had their delivery already
    totals: dict[str, int] = field(default_factory=dict)   # deliveries per state afterwards
    retryable: int = 0           # failed deliveries 'mailer retry' would send again
    next_retry_at: datetime | None = None

    @property
    def waiting(self) -> int:
        return self.totals.get("waiting", 0)

    @property
    def failed_total(self) -> int:
        return self.totals.get("failed", 0)

    @property
    def complete(self) -> bool:
        """Every delivery went out (or was bounced or suppressed): none failed, none waits."""
        return not (self.totals.get("failed") or self.totals.get("waiting") or self.totals.get("pending")
                    or self.totals.get("sending"))


def load_newsletter(rt: Runtime, slug: str) -> tuple[Newsletter, CompiledNewsletter]:
    """Parse the newsletter file and compile it once (compose's interface), with the approved
    quotes it names; a quote without the reader's permission stops it here, before anything is sent."""
    from ..compose.source import find_newsletter

    nl = find_newsletter(rt.config.newsletters_dir, slug, rt.config.schedule.tz)
    return nl, compile_issue(rt, nl)


def compile_issue(rt: Runtime, nl: Newsletter) -> CompiledNewsletter:
    """Prepare the issue's images ([media] delivery) and compile it once."""
    from ..compose.render import compile_newsletter
    from ..media import issue_figures
    from ..quotes import approved_for

    cfg = rt.config
    figures, images = issue_figures(cfg, nl)
    for warning in images.warnings:
        log.warning("%s", warning)
    compiled = compile_newsletter(nl, cfg.templates_dir, organisation=cfg.sender.organisation,
                                  language=nl.language, list_address=cfg.sender.from_address,
                                  web_url=links.web_version_url(cfg, nl.slug), figures=figures,
                                  quotes=approved_for(rt.db, nl))
    return compiled


def _iso(value: datetime | None) -> str | None:
    return newsletters.iso_utc(value) if value else None


def _local(rt: Runtime, moment: datetime) -> str:
    """``2026-11-26 09:00 CET``: a moment in [schedule] timezone, for the reasons people read."""
    local = moment.astimezone(rt.config.schedule.tz)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def send_newsletter(rt: Runtime, slug: str, *, progress: bool = False, lock_wait: float = 0.0) -> SendReport:
    """Send ``slug`` to every active subscriber who has not had it; resume an interrupted send and
    try again what waits and is due.

    Raises ``SmtpUnavailable`` when the server cannot be reached at the start (a send that had not
    begun is paused; one under way keeps waiting in the queue), ``SendBusy`` when another process is
    sending it.
    """
    from ..compose.source import find_newsletter

    cfg = rt.config
    db = rt.db
    nl = find_newsletter(cfg.newsletters_dir, slug, cfg.schedule.tz)
    row = newsletters.sync(db, nl)          # known to the desk at once, before the images are prepared
    compiled = compile_issue(rt, nl)
    report = SendReport(slug=slug)
    with send_lock(cfg.database_path, row.id, wait=lock_wait):
        row = newsletters.get_by_id(db, row.id)
        before = deliveries.count_by_status(db, row.id)
        report.skipped_already_sent = before["sent"]
        if sum(before.values()) and row.status in ("sent", "failed", "sending") and next(queue.due(db, row.id), None) is None:
            report.already_sent = row.status != "sending"   # else: all that is left waits for a retry
            return _summarise(rt, row.id, report, before)
        under_way = row.status == "sending"
        signer = signer_from_config(cfg)   # a broken [dkim] setting stops us before anything changes
        first = Connection(cfg.smtp, cfg.smtp_password)
        try:
            first.connect()
        except SmtpUnavailable as exc:
            _not_reachable(rt, row, str(exc), under_way)
            raise
        first.close()
        resumed = sum(before.values()) > 0
        newsletters.set_status(db, row.id, "sending", "", send_at=_iso(row.send_at),
                               started_at=_iso(row.started_at) or utcnow())
        queue.enqueue(db, row.id, cfg.sender.domain)
        todo = deliveries.count_by_status(db, row.id)
        newsletters.log_event(db, f"{slug}: {'resumed' if resumed else 'started'} sending to "
                                  f"{todo['pending'] + todo['sending']} subscribers ({before['sent']} had it already, "
                                  f"{todo['waiting']} wait for a retry)", row.id)
        builder = MessageBuilder(cfg, rt.key, row.id, nl, compiled, signer=signer)
        tally = _run_passes(rt, row.id, builder, progress, total=todo["pending"] + todo["sending"] + todo["waiting"])
        _finish(rt, row, tally, report)
        return _summarise(rt, row.id, report, before)


def _run_passes(rt: Runtime, newsletter_id: int, builder: MessageBuilder, progress: bool, total: int) -> Tally:
    """Pass over what is due; while deliveries wait for a retry they have tries left for, wait for
    the first of them and pass again."""
    cfg = rt.config
    while True:
        bar = (SendProgress(cfg.database_path, newsletter_id, total, label=i18n.error_text(
            cfg.content.language, state("sending"))) if progress else None)
        tally = _one_pass(rt, newsletter_id, builder, bar)
        if tally.stop_kind:
            return tally
        when = queue.linger_until(rt.db, newsletter_id, cfg.smtp)
        if when is None:
            return tally
        while (left := (when - datetime.now(timezone.utc)).total_seconds()) > 0:
            time.sleep(min(left, 0.5))
            if newsletters.get_by_id(rt.db, newsletter_id).status == "paused":
                return tally
        total = deliveries.count_by_status(rt.db, newsletter_id)["waiting"]


def _one_pass(rt: Runtime, newsletter_id: int, builder: MessageBuilder, bar: SendProgress | None) -> Tally:
    cfg = rt.config
    smtp_cfg = cfg.smtp
    n = max(1, smtp_cfg.connections)
    throttle = None
    if smtp_cfg.rate_per_second or smtp_cfg.rate_per_hour or smtp_cfg.daily_quota:
        earlier = deliveries.sent_since(rt.db, since(24)) if smtp_cfg.daily_quota or smtp_cfg.rate_per_hour else ()
        throttle = Throttle(smtp_cfg.rate_per_second, smtp_cfg.rate_per_hour, smtp_cfg.daily_quota, earlier)
    if n > 1 and throttle is None and threading.active_count() == 1 and hasattr(os, "fork"):
        return run_in_processes(cfg, newsletter_id, builder, n, bar)
    return run_in_threads(cfg, newsletter_id, builder, n, throttle, bar)


def _not_reachable(rt: Runtime, row: newsletters.NewsletterRow, reason: str, under_way: bool) -> None:
    """The server cannot be reached before anything was sent in this run. A send that had not begun
    is paused (probably a setting to fix); one under way keeps its place in the queue."""
    db = rt.db
    if not under_way:
        newsletters.set_status(db, row.id, "paused", str(Text("not started: %(reason)s", reason=reason)), send_at=_iso(row.send_at),
                               started_at=_iso(row.started_at))
        newsletters.log_event(db, f"{row.slug}: not started: {reason}", row.id, level="error")
        return
    cfg = rt.config.smtp
    for item in deliveries.iter_due(db, row.id, queue.iso(queue.utc()), only_waiting=True):
        queue.record_temporary_failure(db, cfg, item.delivery_id, max(1, item.attempts), item.first_attempt_at,
                                       reason)
    later = queue.utc() + timedelta(seconds=queue.backoff(cfg, 1))
    deliveries.defer_untried(db, row.id, reason, queue.iso(later))
    newsletters.log_event(db, f"{row.slug}: the SMTP server cannot be reached; deliveries wait: {reason}",
                          row.id, level="warning")
    _settle(rt, row)


def _finish(rt: Runtime, row: newsletters.NewsletterRow, tally: Tally, report: SendReport) -> None:
    db = rt.db
    current = newsletters.get_by_id(db, row.id)
    if tally.stop_kind == "quota" and tally.resume_at:
        resume = datetime.fromtimestamp(tally.resume_at, timezone.utc)
        reason = str(Text("%(reason)s; continues at %(when)s", reason=tally.stop_reason, when=_local(rt, resume)))
        newsletters.set_status(db, row.id, "scheduled", reason, send_at=newsletters.iso_utc(resume),
                               started_at=_iso(current.started_at))
        newsletters.log_event(db, f"{row.slug}: {reason}", row.id, level="warning")
        report.paused_reason = reason
    elif tally.stop_kind == "pause" or current.status == "paused":
        reason = tally.stop_reason or current.status_reason or str(Text("paused by hand"))
        newsletters.set_status(db, row.id, "paused", reason, send_at=_iso(current.send_at),
                               started_at=_iso(current.started_at))
        newsletters.log_event(db, f"{row.slug}: paused: {reason}", row.id, level="warning")
        report.paused_reason = reason
    else:
        if tally.stop_kind == "unreachable":
            wait = queue.backoff(rt.config.smtp, rt.config.smtp.max_attempts)
            later = queue.iso(queue.utc() + timedelta(seconds=wait))
            deliveries.defer_untried(db, row.id, tally.stop_reason, later)
            newsletters.log_event(db, f"{row.slug}: the SMTP server stopped answering ({tally.stop_reason}); "
                                      "the rest waits in the queue", row.id, level="warning")
        _settle(rt, row)


def _settle(rt: Runtime, row: newsletters.NewsletterRow) -> None:
    """The newsletter's state from its deliveries: 'sending' while any waits, then 'sent' (or
    'failed' when nobody got it)."""
    db = rt.db
    counts = deliveries.count_by_status(db, row.id)
    current = newsletters.get_by_id(db, row.id)
    times = {"send_at": _iso(current.send_at), "started_at": _iso(current.started_at)}
    summary = ", ".join(f"{n} {state}" for state, n in counts.items() if n)
    if counts["pending"] + counts["sending"] + counts["waiting"]:
        nxt = deliveries.next_waiting_at(db, row.id)
        when = ""
        if nxt:
            when = _local(rt, datetime.fromisoformat(nxt))
        waiting = counts["waiting"] + counts["pending"]
        reason = str(Text("%(n)s deliveries wait for a retry; next try %(when)s", n=waiting, when=when) if when
                     else Text("%(n)s deliveries wait for a retry", n=waiting))
        newsletters.set_status(db, row.id, "sending", reason, **times)
        newsletters.log_event(db, f"{row.slug}: {reason} ({summary})", row.id, level="warning")
        return
    status = "failed" if counts["sent"] == 0 and counts["failed"] > 0 else "sent"
    reason = str(Text("%(n)s deliveries failed", n=counts["failed"])) if counts["failed"] else ""
    newsletters.set_status(db, row.id, status, reason, finished_at=utcnow(), **times)
    newsletters.log_event(db, f"{row.slug}: {status} ({summary})", row.id,
                          level="info" if status == "sent" and not counts["failed"] else "error")


def _summarise(rt: Runtime, newsletter_id: int, report: SendReport, before: dict[str, int]) -> SendReport:
    db = rt.db
    after = deliveries.count_by_status(db, newsletter_id)
    report.totals = after
    report.sent = after["sent"] - before["sent"]
    report.bounced = after["bounced"] - before["bounced"]
    report.failed = max(0, after["failed"] - before["failed"])
    report.suppressed = after["suppressed"] - before["suppressed"]
    report.retryable = deliveries.count_retryable(db, newsletter_id)
    nxt = deliveries.next_waiting_at(db, newsletter_id)
    report.next_retry_at = datetime.fromisoformat(nxt) if nxt else None
    report.status = newsletters.get_by_id(db, newsletter_id).status
    return report


def retry_waiting(rt: Runtime) -> list[str]:
    """The queue's retry tick (``mailer serve``): send the deliveries whose wait is over, for every
    newsletter that has some. Returns the slugs it worked on."""
    done: list[str] = []
    now = queue.iso(queue.utc())
    for newsletter_id in deliveries.newsletters_with_due_retries(rt.db, now):
        row = newsletters.get_by_id(rt.db, newsletter_id)
        if row.status != "sending":   # paused by hand, or waiting for its quota: not now
            continue
        try:
            report = send_newsletter(rt, row.slug)
        except SendBusy:
            continue
        except MailerError as exc:
            log.warning("retrying %s: %s", row.slug, exc)
            continue
        log.info("%s: retried; %s sent, %s still wait, %s failed", row.slug, report.sent, report.waiting,
                 report.failed_total)
        done.append(row.slug)
    return done


@dataclass(frozen=True)
class RetryPlan:
    """What ``mailer retry`` found: reopened (failed for a temporary reason), made due (waiting),
    and what it leaves alone (failed permanently, bounced, suppressed)."""

    reopened: int
    made_due: int
    permanent: int
    bounced: int
    suppressed: int


def retry_failed(rt: Runtime, slug: str, *, progress: bool = False) -> tuple[RetryPlan, SendReport | None]:
    """``mailer retry``: send again to deliveries that failed for a temporary reason (their retry
    lifetime ran out) and to those waiting, now. Nobody else: permanent failures (a 5xx answer),
    bounces and suppressed addresses are counted, not retried."""
    row = newsletters.get(rt.db, slug)
    with send_lock(rt.config.database_path, row.id, wait=CLI_LOCK_WAIT):
        reopened, made_due = deliveries.reopen_retryable(rt.db, row.id)
    counts = deliveries.count_by_status(rt.db, row.id)
    plan = RetryPlan(reopened, made_due, counts["failed"], counts["bounced"], counts["suppressed"])
    if not reopened and not made_due:
        return plan, None
    if row.status in ("sent", "failed"):
        newsletters.set_status(rt.db, row.id, "sending", str(Text("retry by hand: %(n)s deliveries", n=reopened + made_due)),
                               send_at=_iso(row.send_at), started_at=_iso(row.started_at))
    return plan, send_newsletter(rt, slug, progress=progress, lock_wait=CLI_LOCK_WAIT)


def send_test(rt: Runtime, slug: str, address: str) -> str:
    """Send one test copy of ``slug`` to ``address`` (subject prefixed "[TEST] "); returns its Message-ID.

    Recorded in ``test_sends``, never as a delivery.
    """
    from subscribers import store as subscribers

    cfg = rt.config
    db = rt.db
    email = subscribers.normalise_email(address)
    try:
        rcpt = ascii_address(email)
    except ValueError:
        raise InvalidInput("%(email)s: a non-ASCII local part needs SMTPUTF8, which is not supported",
                           email=email) from None
    nl, compiled = load_newsletter(rt, slug)
    row = newsletters.sync(db, nl)
    sub = subscribers.find_by_email(db, email)
    sid, name = (sub.id, sub.name) if sub else (0, "")
    message_id = new_message_id(cfg.sender.domain, row.id, 0)
    builder = MessageBuilder(cfg, rt.key, row.id, nl, compiled, subject_prefix="[TEST] ",
                             signer=signer_from_config(cfg))
    data = builder.build(Recipient(0, sid, email, name, message_id))
    conn = Connection(cfg.smtp, cfg.smtp_password)
    conn.connect()
    try:
        answer = conn.send(builder.envelope_sender(0), rcpt, data, dot_safe=True)
    except ConnectionLost as exc:
        raise SmtpUnavailable("the SMTP server %(where)s did not take the test (%(exc)s): try again", where=conn.where, exc=exc) from None
    finally:
        conn.close()
    if answer.status != "sent":
        raise MailerError("the SMTP server did not accept the test for %(email)s: %(text)s", email=email, text=answer.text)
    deliveries.record_test_send(db, row.id, email, message_id)
    newsletters.log_event(db, f"{slug}: test sent to {email}", row.id)
    return message_id
