"""The deliveries store: one newsletter to one subscriber, and test sends. The only SQL on these tables.

A delivery's states (the sender's queue; see mailer/send/queue.py for the rules)::

    pending --> sending --> sent
                   |-----> waiting --> sending ...   (4xx, dropped or stalled connection: retried later)
                   |-----> failed                     (5xx on the message; or the retry lifetime ran out)
                   |-----> bounced                    (5xx on the recipient: 550 5.1.1 and kin)
    pending --> suppressed                            (the subscriber left or is on the suppression list)

Every transition is its own committed statement, per message, so a crash loses nothing: the rows
still ``sending`` after a crash are the messages that were in flight.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlite_utils

from ..db import utcnow


def _now_ms() -> str:
    """Now in UTC with milliseconds: retry times are compared at that precision."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")

STATES = ("pending", "sending", "waiting", "sent", "failed", "bounced", "suppressed")
OPEN_STATES = ("pending", "sending", "waiting")

Conn = sqlite_utils.Database | sqlite3.Connection


def _conn(db: Conn) -> sqlite3.Connection:
    return db.conn if isinstance(db, sqlite_utils.Database) else db


@contextmanager
def _atomic(conn: sqlite3.Connection) -> Iterator[None]:
    """Several statements in one commit, or in the caller's transaction when one is open.
    (Connections are opened in autocommit mode: a single statement commits on its own.)"""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@dataclass(frozen=True)
class Delivery:
    id: int
    newsletter_id: int
    subscriber_id: int
    email: str
    message_id: str
    status: str
    attempts: int
    last_error: str          # the server's whole last answer, or what went wrong
    next_attempt_at: str | None
    first_attempt_at: str | None
    retryable: bool          # a failed delivery that ``mailer retry`` may send again
    sent_at: str | None
    updated_at: str


_COLS = ("id, newsletter_id, subscriber_id, email, message_id, status, attempts, last_error, next_attempt_at,"
         " first_attempt_at, retryable, sent_at, updated_at")


def _delivery(row: tuple[Any, ...]) -> Delivery:
    values = list(row)
    values[10] = bool(values[10])
    return Delivery(*values)


@dataclass(frozen=True)
class QueueItem:
    """One delivery that is due, with what its message needs from the subscriber."""

    delivery_id: int
    subscriber_id: int
    email: str
    name: str
    message_id: str
    attempts: int
    first_attempt_at: str | None
    mailable: bool   # the subscriber is still active with the same address


@dataclass(frozen=True)
class TestSend:
    newsletter_id: int
    email: str
    message_id: str
    sent_at: str


# --- the sender's queue ------------------------------------------------------------------------

def add_pending(db: sqlite_utils.Database, newsletter_id: int,
                rows: Iterable[tuple[int, str, str, bool]]) -> int:
    """Insert ``(subscriber_id, email, message_id, suppressed)`` rows as pending (or suppressed)
    deliveries; a subscriber who has one for this newsletter already is skipped. Returns rows added."""
    now = utcnow()
    params = [(newsletter_id, sid, email, mid, "suppressed" if suppressed else "pending", now)
              for sid, email, mid, suppressed in rows]
    if not params:
        return 0
    with _atomic(db.conn):
        cur = db.conn.executemany(
            "INSERT OR IGNORE INTO deliveries (newsletter_id, subscriber_id, email, message_id, status,"
            " updated_at) VALUES (?,?,?,?,?,?)", params)
    return int(cur.rowcount)


def iter_due(db: Conn, newsletter_id: int, now_iso: str, *, batch: int = 500,
             shard: tuple[int, int] = (0, 1), only_waiting: bool = False) -> Iterator[QueueItem]:
    """Deliveries to send now, in id order, streamed in batches: pending and sending ones (the
    latter were in flight at a crash) and waiting ones whose next attempt is due.
    ``shard=(k, n)``: only ids with id % n == k. ``only_waiting``: the due waiting ones alone."""
    last = 0
    k, n = shard
    # A whole send walks the table in id order (the unary '+' keeps SQLite off the status index, which
    # would make every batch visit and sort all open rows); the waiting ones alone come by that index.
    where = ("d.newsletter_id = ? AND d.status = 'waiting'" if only_waiting else
             "+d.newsletter_id = ? AND +d.status IN ('pending', 'sending', 'waiting')")
    while True:
        rows = _conn(db).execute(
            "SELECT d.id, d.subscriber_id, d.email, COALESCE(s.name, ''), d.message_id, d.attempts,"
            " d.first_attempt_at, s.status = 'active' AND s.email = d.email"
            " FROM deliveries d LEFT JOIN subscribers s ON s.id = d.subscriber_id"
            f" WHERE {where} AND (d.status != 'waiting' OR d.next_attempt_at <= ?)"
            " AND d.id > ? AND d.id % ? = ? ORDER BY d.id LIMIT ?",
            [newsletter_id, now_iso, last, n, k, batch]).fetchall()
        if not rows:
            return
        for r in rows:
            yield QueueItem(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]))
        last = rows[-1][0]


def mark_sending(db: Conn, delivery_id: int) -> None:
    _conn(db).execute("UPDATE deliveries SET status = 'sending', attempts = attempts + 1,"
                      " first_attempt_at = COALESCE(first_attempt_at, ?), updated_at = ? WHERE id = ?",
                      [_now_ms(), utcnow(), delivery_id])


def mark_sent(db: Conn, delivery_id: int, answer: str = "", *, then_sending: int | None = None) -> None:
    """Accepted by the server (``answer``: its reply). ``then_sending``: the next delivery, marked
    ``sending`` by the same statement (one commit per message instead of two)."""
    now = utcnow()
    _conn(db).execute(
        "UPDATE deliveries SET"
        " status = CASE WHEN id = :sent THEN 'sent' ELSE 'sending' END,"
        " sent_at = CASE WHEN id = :sent THEN :now ELSE sent_at END,"
        " last_error = CASE WHEN id = :sent THEN :answer ELSE last_error END,"
        " next_attempt_at = CASE WHEN id = :sent THEN NULL ELSE next_attempt_at END,"
        " attempts = CASE WHEN id = :sent THEN attempts ELSE attempts + 1 END,"
        " first_attempt_at = CASE WHEN id = :sent THEN first_attempt_at ELSE COALESCE(first_attempt_at, :ms) END,"
        " updated_at = :now WHERE id IN (:sent, :next)",
        {"sent": delivery_id, "next": then_sending, "now": now, "answer": answer, "ms": _now_ms()})


def _set(db: Conn, delivery_id: int, assignments: str, params: list[Any]) -> None:
    _conn(db).execute(f"UPDATE deliveries SET {assignments}, updated_at = ? WHERE id = ?",
                      [*params, utcnow(), delivery_id])


def mark_waiting(db: Conn, delivery_id: int, detail: str, next_attempt_at: str) -> None:
    """A temporary failure: try again at ``next_attempt_at``."""
    _set(db, delivery_id, "status = 'waiting', last_error = ?, next_attempt_at = ?", [detail, next_attempt_at])


def mark_pending(db: Conn, delivery_id: int, detail: str = "") -> None:
    """Back in the queue untried (the send stopped before the message went out)."""
    _set(db, delivery_id, "status = 'pending', last_error = ?", [detail])


def mark_failed(db: Conn, delivery_id: int, detail: str, *, retryable: bool = False) -> None:
    _set(db, delivery_id, "status = 'failed', last_error = ?, retryable = ?, next_attempt_at = NULL",
         [detail, int(retryable)])


def mark_suppressed(db: Conn, delivery_id: int, detail: str = "") -> None:
    _set(db, delivery_id, "status = 'suppressed', last_error = ?, next_attempt_at = NULL", [detail])


def mark_bounced(db: Conn, delivery_id: int, detail: str) -> Delivery | None:
    """Record a bounce (an SMTP answer at send time, or a bounce read from the inbox later).
    Returns the delivery, whose subscriber the caller hands to ``subscribers.store.apply_bounce``."""
    delivery = get(db, delivery_id)
    if delivery is None:
        return None
    _set(db, delivery_id, "status = 'bounced', last_error = ?, next_attempt_at = NULL", [detail[:2000]])
    return get(db, delivery_id)


def defer_untried(db: Conn, newsletter_id: int, detail: str, next_attempt_at: str) -> int:
    """Every untried delivery of a newsletter (pending, or sending when no sender runs) waits until
    ``next_attempt_at``: the server cannot be reached. Returns how many."""
    now = utcnow()
    cur = _conn(db).execute("UPDATE deliveries SET status = 'waiting', last_error = ?, next_attempt_at = ?,"
                            " first_attempt_at = COALESCE(first_attempt_at, ?), updated_at = ?"
                            " WHERE newsletter_id = ? AND status IN ('pending', 'sending')",
                            [detail, next_attempt_at, _now_ms(), now, newsletter_id])
    return int(cur.rowcount)


def reopen_retryable(db: Conn, newsletter_id: int) -> tuple[int, int]:
    """``mailer retry``: retryable failed deliveries back to pending (a fresh lifetime), and waiting
    ones due now. Returns (reopened, waiting made due)."""
    conn = _conn(db)
    now = utcnow()
    with _atomic(conn):
        reopened = conn.execute(
            "UPDATE deliveries SET status = 'pending', retryable = 0, first_attempt_at = NULL,"
            " next_attempt_at = NULL, updated_at = ? WHERE newsletter_id = ? AND status = 'failed' AND retryable = 1",
            [now, newsletter_id]).rowcount
        due = conn.execute("UPDATE deliveries SET next_attempt_at = ?, updated_at = ?"
                           " WHERE newsletter_id = ? AND status = 'waiting'", [_now_ms(), now, newsletter_id]).rowcount
    return int(reopened), int(due)


def next_waiting_at(db: Conn, newsletter_id: int, *, max_attempts: int | None = None) -> str | None:
    """When the earliest waiting delivery of a newsletter is due (among those tried fewer than
    ``max_attempts`` times, when given), or None."""
    sql = "SELECT MIN(next_attempt_at) FROM deliveries WHERE newsletter_id = ? AND status = 'waiting'"
    params: list[Any] = [newsletter_id]
    if max_attempts is not None:
        sql += " AND attempts < ?"
        params.append(max_attempts)
    row = _conn(db).execute(sql, params).fetchone()
    return str(row[0]) if row and row[0] else None


def newsletters_with_due_retries(db: Conn, now_iso: str) -> list[int]:
    """Ids of newsletters with a waiting delivery due at ``now_iso``."""
    return [int(r[0]) for r in _conn(db).execute(
        "SELECT DISTINCT newsletter_id FROM deliveries WHERE status = 'waiting' AND next_attempt_at <= ?",
        [now_iso]).fetchall()]


def sent_since(db: Conn, since_iso: str) -> list[float]:
    """Unix times of every message (deliveries and test sends) sent since ``since_iso``."""
    rows = _conn(db).execute("SELECT sent_at FROM deliveries WHERE sent_at >= ? UNION ALL"
                             " SELECT sent_at FROM test_sends WHERE sent_at >= ?", [since_iso, since_iso]).fetchall()
    return [datetime.fromisoformat(r[0]).timestamp() for r in rows]


# --- look-ups ------------------------------------------------------------------------------------

def get(db: Conn, delivery_id: int) -> Delivery | None:
    row = _conn(db).execute(f"SELECT {_COLS} FROM deliveries WHERE id = ?", [delivery_id]).fetchone()
    return _delivery(row) if row else None


def _bracket_forms(message_id: str) -> list[str]:
    bare = message_id.strip().strip("<>")
    return [bare, f"<{bare}>"] if bare else []


def by_message_id(db: Conn, message_id: str) -> Delivery | None:
    """The delivery whose Message-ID is ``message_id`` (given or stored with or without <>)."""
    forms = _bracket_forms(message_id)
    if not forms:
        return None
    row = _conn(db).execute(f"SELECT {_COLS} FROM deliveries WHERE message_id IN (?, ?)", forms).fetchone()
    return _delivery(row) if row else None


def test_send_by_message_id(db: Conn, message_id: str) -> TestSend | None:
    """The newest test send with this Message-ID (given or stored with or without <>)."""
    forms = _bracket_forms(message_id)
    if not forms:
        return None
    row = _conn(db).execute("SELECT newsletter_id, email, message_id, sent_at FROM test_sends"
                            " WHERE message_id IN (?, ?) ORDER BY id DESC LIMIT 1", forms).fetchone()
    return TestSend(*row) if row else None


def latest_to(db: Conn, email: str, *, before: str | None = None, sent_only: bool = True) -> Delivery | None:
    """The newest delivery to ``email``: one that went out (``sent_only``; sent or later bounced)
    or in any state, optionally only those sent (or last changed) before ``before`` (UTC ISO)."""
    address = email.strip().lower()
    when = "sent_at" if sent_only else "COALESCE(sent_at, updated_at)"
    where = "email = ?" + (" AND sent_at IS NOT NULL" if sent_only else "")
    params: list[Any] = [address]
    if before is not None:
        where += f" AND {when} < ?"
        params.append(before)
    row = _conn(db).execute(f"SELECT {_COLS} FROM deliveries WHERE {where} ORDER BY {when} DESC, id DESC LIMIT 1",
                            params).fetchone()
    return _delivery(row) if row else None


def sent_to(db: Conn, email: str) -> list[Delivery]:
    """Every delivery that went out to ``email`` (sent or later bounced), newest first."""
    return [_delivery(r) for r in _conn(db).execute(
        f"SELECT {_COLS} FROM deliveries WHERE email = ? AND sent_at IS NOT NULL ORDER BY sent_at DESC, id DESC",
        [email.strip().lower()]).fetchall()]


def for_newsletter(db: Conn, newsletter_id: int, state: str | None = None) -> list[Delivery]:
    """Every delivery of a newsletter (or those in ``state``), in id order."""
    sql = f"SELECT {_COLS} FROM deliveries WHERE newsletter_id = ?"
    params: list[Any] = [newsletter_id]
    if state is not None:
        sql += " AND status = ?"
        params.append(state)
    return [_delivery(r) for r in _conn(db).execute(sql + " ORDER BY id", params).fetchall()]


def count_by_status(db: Conn, newsletter_id: int) -> dict[str, int]:
    """Deliveries of one newsletter per state (every state present, zero when none)."""
    out = dict.fromkeys(STATES, 0)
    for status, n in _conn(db).execute("SELECT status, COUNT(*) FROM deliveries WHERE newsletter_id = ?"
                                       " GROUP BY status", [newsletter_id]).fetchall():
        out[status] = int(n)
    return out


def count_all(db: Conn) -> dict[int, dict[str, int]]:
    """``count_by_status`` for every newsletter at once."""
    out: dict[int, dict[str, int]] = {}
    for nid, status, n in _conn(db).execute("SELECT newsletter_id, status, COUNT(*) FROM deliveries"
                                            " GROUP BY newsletter_id, status").fetchall():
        out.setdefault(int(nid), dict.fromkeys(STATES, 0))[status] = int(n)
    return out


def count_retryable(db: Conn, newsletter_id: int) -> int:
    row = _conn(db).execute("SELECT COUNT(*) FROM deliveries WHERE newsletter_id = ? AND status = 'failed'"
                            " AND retryable = 1", [newsletter_id]).fetchone()
    return int(row[0])


# --- recording -------------------------------------------------------------------------------------

def record_delivery(db: Conn, newsletter_id: int, subscriber_id: int, email: str, message_id: str,
                    sent_at: str, status: str = "sent") -> int:
    """A delivery that went out, written whole (imports of history, tests, benchmarks)."""
    cur = _conn(db).execute(
        "INSERT INTO deliveries (newsletter_id, subscriber_id, email, message_id, status, attempts,"
        " first_attempt_at, sent_at, updated_at) VALUES (?,?,?,?,?,1,?,?,?)",
        [newsletter_id, subscriber_id, email.strip().lower(), message_id, status, sent_at, sent_at, sent_at])
    return int(cur.lastrowid or 0)


def record_test_send(db: Conn, newsletter_id: int, email: str, message_id: str) -> None:
    _conn(db).execute("INSERT INTO test_sends (newsletter_id, email, message_id, sent_at) VALUES (?,?,?,?)",
                      [newsletter_id, email, message_id, utcnow()])


# --- privacy requests and the newsletter overview --------------------------------------------------

@dataclass(frozen=True)
class DeliveryRecord:
    id: int
    newsletter: str          # the slug
    email: str
    status: str
    attempts: int
    last_error: str
    message_id: str
    sent_at: str | None


def unsubscribed_since_start(db: sqlite_utils.Database, newsletter_id: int) -> int:
    """Recipients of a newsletter who left the list after it started going out (0 before it did)."""
    row = db.execute(
        "SELECT count(*) FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id"
        " JOIN newsletters n ON n.id = d.newsletter_id"
        " WHERE d.newsletter_id = ? AND s.unsubscribed_at IS NOT NULL"
        " AND s.unsubscribed_at >= coalesce(n.started_at, n.send_at)"
        " AND s.status IN ('unsubscribed', 'complained', 'forgotten')", [newsletter_id]).fetchone()
    return int(row[0])


def for_subscriber(db: sqlite_utils.Database, subscriber_id: int) -> list[DeliveryRecord]:
    """Every delivery to one subscriber, oldest first (for a privacy request)."""
    return [DeliveryRecord(*r) for r in db.execute(
        "SELECT d.id, n.slug, d.email, d.status, d.attempts, d.last_error, d.message_id, d.sent_at"
        " FROM deliveries d JOIN newsletters n ON n.id = d.newsletter_id WHERE d.subscriber_id = ? ORDER BY d.id",
        [subscriber_id])]


def erase_for_subscriber(db: sqlite_utils.Database, subscriber_id: int, email: str) -> int:
    """Blank the address and server answers of one person's deliveries and test sends, keeping the
    counts; returns how many deliveries were blanked. Runs in the caller's transaction."""
    blanked = db.execute("UPDATE deliveries SET email = '', last_error = '' WHERE subscriber_id = ?",
                         [subscriber_id]).rowcount
    db.execute("UPDATE test_sends SET email = '' WHERE lower(email) = ?", [email.strip().lower()])
    return int(blanked)


def recent_test_sends(db: Conn, newsletter_id: int, limit: int = 8) -> list[TestSend]:
    """The latest test copies of one newsletter, newest first."""
    return [TestSend(newsletter_id, r[0], r[1], r[2]) for r in _conn(db).execute(
        "SELECT email, message_id, sent_at FROM test_sends WHERE newsletter_id = ? ORDER BY id DESC LIMIT ?",
        [newsletter_id, limit])]


def settled_subscriber_ids(db: Conn, newsletter_id: int) -> set[int]:
    """Subscribers whose delivery of the issue is settled (sent, failed, bounced, ...)."""
    return {int(r[0]) for r in _conn(db).execute(
        "SELECT subscriber_id FROM deliveries WHERE newsletter_id = ?"
        " AND status NOT IN ('pending', 'sending')", [newsletter_id])}
