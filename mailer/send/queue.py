"""The delivery queue's rules: who gets a delivery, what is due, and when a temporary failure is tried again.

The database is the queue (mailer/stores/deliveries.py holds the SQL). A temporary failure (a 4xx
answer, a dropped or stalled connection, a timeout) makes a delivery wait, with exponential backoff
from ``[smtp] retry_initial`` seconds, doubling up to ``retry_max``, until ``retry_lifetime`` after
its first attempt: only then, or on a 5xx answer, does it fail. Like a mail server's queue.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlite_utils

from subscribers import store as subscribers

from ..config import SmtpConfig
from ..stores import deliveries
from ..stores.deliveries import Conn, QueueItem
from .message import new_message_id


def utc(moment: datetime | None = None) -> datetime:
    return moment or datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    """UTC ISO with milliseconds, as the queue stores retry times."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    if seconds >= 60:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def enqueue(db: sqlite_utils.Database, newsletter_id: int, domain: str, batch: int = 1000) -> int:
    """A pending delivery for every active subscriber who has none for this newsletter yet (a
    ``suppressed`` one for an address on the suppression list). Streams; returns rows added."""
    suppressed = subscribers.suppressed_hashes(db)
    added = 0
    rows: list[tuple[int, str, str, bool]] = []
    for sub in subscribers.iter_mailable(db, batch=batch):
        if not sub.email:
            continue
        rows.append((sub.id, sub.email, new_message_id(domain, newsletter_id, sub.id),
                     bool(suppressed) and subscribers.email_hash(sub.email) in suppressed))
        if len(rows) >= batch:
            added += deliveries.add_pending(db, newsletter_id, rows)
            rows = []
    return added + deliveries.add_pending(db, newsletter_id, rows)


def due(db: Conn, newsletter_id: int, *, now: datetime | None = None,
        shard: tuple[int, int] = (0, 1)) -> Iterator[QueueItem]:
    """What to send now: untried deliveries, those in flight at a crash, and waits that are over."""
    return deliveries.iter_due(db, newsletter_id, iso(utc(now)), shard=shard)


def backoff(cfg: SmtpConfig, attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt: retry_initial, doubling, at most retry_max."""
    return float(min(cfg.retry_max, cfg.retry_initial * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class Verdict:
    status: str                   # waiting | failed
    next_attempt_at: datetime | None


def after_temporary_failure(cfg: SmtpConfig, attempts: int, first_attempt_at: str | None,
                            now: datetime | None = None) -> Verdict:
    """What a temporary failure on attempt number ``attempts`` means: wait (with backoff, never past
    the lifetime, so the last try falls at its end) or, once the lifetime is over, fail."""
    now = utc(now)
    first = datetime.fromisoformat(first_attempt_at) if first_attempt_at else now
    expires = first + timedelta(seconds=cfg.retry_lifetime)
    if now >= expires:
        return Verdict("failed", None)
    return Verdict("waiting", min(now + timedelta(seconds=backoff(cfg, attempts)), expires))


def record_temporary_failure(db: Conn, cfg: SmtpConfig, delivery_id: int, attempts: int,
                             first_attempt_at: str | None, detail: str, now: datetime | None = None) -> str:
    """Record a temporary failure; returns the delivery's new state (waiting | failed)."""
    verdict = after_temporary_failure(cfg, attempts, first_attempt_at, now)
    if verdict.status == "failed":
        deliveries.mark_failed(db, delivery_id, f"{detail} (still failing after {attempts} attempts in "
                                                f"{duration(cfg.retry_lifetime)}: gave up; 'mailer retry' tries again)",
                               retryable=True)
    else:
        assert verdict.next_attempt_at is not None
        deliveries.mark_waiting(db, delivery_id, detail, iso(verdict.next_attempt_at))
    return verdict.status


def linger_until(db: Conn, newsletter_id: int, cfg: SmtpConfig) -> datetime | None:
    """When a running send should make its next pass for deliveries waiting on a retry: the first
    wait to end among deliveries tried fewer than ``[smtp] max_attempts`` times. None when every
    waiting delivery has had those tries (the queue, ``mailer serve``, takes them from there)."""
    when = deliveries.next_waiting_at(db, newsletter_id, max_attempts=cfg.max_attempts)
    return datetime.fromisoformat(when) if when else None
