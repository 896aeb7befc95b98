"""The delivery ledger: the ``deliveries`` table is the send queue and its record.

State machine of one delivery::

    pending --> sending --> sent
       ^           |-----> failed      (5xx on the message, or 4xx until max_attempts)
       |           |-----> bounced     (5xx on the recipient: 550 5.1.1 and kin; subscriber suppressed)
       +-----------+                   (connection gone before the server answered: back to pending)
    pending --> suppressed             (subscriber no longer active or on the suppression list)

Every transition is its own committed statement, per message, never per batch: a row is marked
``sending`` just before it is handed to SMTP and ``sent`` right after the server accepted it. After a
crash the rows still ``sending`` are the ones that were in flight (at most one per connection); they
are sent again, which is the only way anybody gets a second copy.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from subscribers import store as subscribers

from ..db import utcnow
from .message import new_message_id

STATES = ("pending", "sending", "sent", "failed", "bounced", "suppressed")
OPEN_STATES = ("pending", "sending")

Conn = sqlite_utils.Database | sqlite3.Connection


def _exec(db: Conn, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
    return db.execute(sql, params)


@dataclass(frozen=True)
class Delivery:
    id: int
    newsletter_id: int
    subscriber_id: int
    email: str
    message_id: str
    status: str
    attempts: int
    last_error: str
    sent_at: str | None
    updated_at: str


@dataclass(frozen=True)
class QueueItem:
    """One open delivery with what the message needs from the subscriber."""

    delivery_id: int
    subscriber_id: int
    email: str
    name: str
    message_id: str
    attempts: int
    mailable: bool   # the subscriber is still active with the same address


_COLS = "id, newsletter_id, subscriber_id, email, message_id, status, attempts, last_error, sent_at, updated_at"


def _delivery(row: tuple[Any, ...]) -> Delivery:
    return Delivery(*row)


def create_pending(db: sqlite_utils.Database, newsletter_id: int, domain: str, batch: int = 1000) -> int:
    """Add a pending delivery for every active subscriber without one (suppressed ones as ``suppressed``).

    Streams subscribers in batches; idempotent (UNIQUE newsletter_id, subscriber_id). Returns rows added.
    """
    added = 0
    rows: list[tuple[int, str, str]] = []

    def flush() -> int:
        if not rows:
            return 0
        hashes = [subscribers.email_hash(email) for _, email, _ in rows]
        marks = ",".join("?" * len(hashes))
        suppressed = {h for (h,) in db.execute(
            f"SELECT email_sha256 FROM suppressions WHERE email_sha256 IN ({marks})", hashes)}
        now = utcnow()
        params = [
            (newsletter_id, sid, email, mid, "suppressed" if h in suppressed else "pending", now)
            for (sid, email, mid), h in zip(rows, hashes)
        ]
        with db.conn:
            cur = db.conn.executemany(
                "INSERT OR IGNORE INTO deliveries (newsletter_id, subscriber_id, email, message_id, status,"
                " updated_at) VALUES (?,?,?,?,?,?)", params)
        rows.clear()
        return cur.rowcount

    for sub in subscribers.iter_mailable(db, batch=batch):
        if not sub.email:
            continue
        rows.append((sub.id, sub.email, new_message_id(domain, newsletter_id, sub.id)))
        if len(rows) >= batch:
            added += flush()
    added += flush()
    return added


def iter_open(db: Conn, newsletter_id: int, batch: int = 500,
              shard: tuple[int, int] = (0, 1)) -> Iterator[QueueItem]:
    """Pending and sending deliveries in id order, streamed in batches (memory stays flat).
    ``shard=(k, n)``: only those whose id modulo n is k (one slice per sending process)."""
    last = 0
    k, n = shard
    while True:
        rows = _exec(db, (
            "SELECT d.id, d.subscriber_id, d.email, COALESCE(s.name, ''), d.message_id, d.attempts,"
            " s.status = 'active' AND s.email = d.email"
            " FROM deliveries d LEFT JOIN subscribers s ON s.id = d.subscriber_id"
            " WHERE d.newsletter_id = ? AND d.status IN ('pending', 'sending') AND d.id > ? AND d.id % ? = ?"
            " ORDER BY d.id LIMIT ?"), [newsletter_id, last, n, k, batch]).fetchall()
        if not rows:
            return
        for r in rows:
            yield QueueItem(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]))
        last = rows[-1][0]


def _set(db: Conn, delivery_id: int, sql: str, params: list[Any]) -> None:
    conn = db.conn if isinstance(db, sqlite_utils.Database) else db
    with conn:
        conn.execute(f"UPDATE deliveries SET {sql}, updated_at = ? WHERE id = ?", [*params, utcnow(), delivery_id])


def mark_sending(db: Conn, delivery_id: int) -> None:
    _set(db, delivery_id, "status = 'sending', attempts = attempts + 1", [])


def mark_sent(db: Conn, delivery_id: int) -> None:
    _set(db, delivery_id, "status = 'sent', sent_at = ?, last_error = ''", [utcnow()])


def mark_sent_then_sending(db: Conn, sent_id: int, next_id: int) -> None:
    """``sent_id`` was accepted and ``next_id`` is about to be handed over: both in one commit."""
    conn = db.conn if isinstance(db, sqlite_utils.Database) else db
    now = utcnow()
    with conn:
        conn.execute("UPDATE deliveries SET status = 'sent', sent_at = ?, last_error = '', updated_at = ?"
                     " WHERE id = ?", [now, now, sent_id])
        conn.execute("UPDATE deliveries SET status = 'sending', attempts = attempts + 1, updated_at = ?"
                     " WHERE id = ?", [now, next_id])


def mark_pending(db: Conn, delivery_id: int, detail: str) -> None:
    _set(db, delivery_id, "status = 'pending', last_error = ?", [detail])


def mark_retry(db: Conn, delivery_id: int, detail: str, next_attempt_at: str) -> None:
    _set(db, delivery_id, "last_error = ?, next_attempt_at = ?", [detail, next_attempt_at])


def mark_failed(db: Conn, delivery_id: int, detail: str) -> None:
    _set(db, delivery_id, "status = 'failed', last_error = ?", [detail])


def mark_suppressed(db: Conn, delivery_id: int, detail: str = "") -> None:
    _set(db, delivery_id, "status = 'suppressed', last_error = ?", [detail])


def mark_bounced(db: sqlite_utils.Database, delivery_id: int, detail: str, *, bounce_type: str = "hard",
                 soft_limit: int | None = None) -> str:
    """Record a bounce on a delivery (from SMTP at send time, or read from the inbox later) and
    apply it to the delivery's subscriber (``subscribers.apply_bounce``: a hard bounce suppresses
    at once, soft ones after ``soft_limit``). Returns the note for the team, or ""."""
    d = get(db, delivery_id)
    if d is None:
        return ""
    _set(db, delivery_id, "status = 'bounced', last_error = ?", [detail[:500]])
    if d.subscriber_id is None:
        return ""
    return subscribers.apply_bounce(db, d.subscriber_id, bounce_type=bounce_type, detail=detail,
                                    soft_limit=soft_limit)


def get(db: Conn, delivery_id: int) -> Delivery | None:
    row = _exec(db, f"SELECT {_COLS} FROM deliveries WHERE id = ?", [delivery_id]).fetchone()
    return _delivery(row) if row else None


def find_by_message_id(db: Conn, message_id: str) -> Delivery | None:
    """The delivery whose Message-ID is ``message_id`` (with or without angle brackets)."""
    mid = message_id.strip()
    if not mid.startswith("<"):
        mid = f"<{mid}>"
    row = _exec(db, f"SELECT {_COLS} FROM deliveries WHERE message_id = ?", [mid]).fetchone()
    return _delivery(row) if row else None


def latest_sent_to(db: Conn, email: str) -> Delivery | None:
    """The most recent delivery that reached ``email`` (sent or later bounced), or None."""
    row = _exec(db, (
        f"SELECT {_COLS} FROM deliveries WHERE email = ? AND sent_at IS NOT NULL"
        " ORDER BY sent_at DESC, id DESC LIMIT 1"), [email.strip().lower()]).fetchone()
    return _delivery(row) if row else None


def counts(db: Conn, newsletter_id: int) -> dict[str, int]:
    """Number of deliveries per state (every state present, zero when none)."""
    out = dict.fromkeys(STATES, 0)
    for status, n in _exec(db, "SELECT status, COUNT(*) FROM deliveries WHERE newsletter_id = ? GROUP BY status",
                           [newsletter_id]).fetchall():
        out[status] = n
    return out


def all_counts(db: Conn) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    for nid, status, n in _exec(db, "SELECT newsletter_id, status, COUNT(*) FROM deliveries"
                                    " GROUP BY newsletter_id, status").fetchall():
        out.setdefault(nid, dict.fromkeys(STATES, 0))[status] = n
    return out


def sent_since(db: Conn, since_iso: str) -> list[float]:
    """Unix times of every message (deliveries and test sends) sent since ``since_iso``."""
    rows = _exec(db, "SELECT sent_at FROM deliveries WHERE sent_at >= ? UNION ALL"
                     " SELECT sent_at FROM test_sends WHERE sent_at >= ?", [since_iso, since_iso]).fetchall()
    return [datetime.fromisoformat(r[0]).timestamp() for r in rows]


def record_test_send(db: sqlite_utils.Database, newsletter_id: int, email: str, message_id: str) -> None:
    with db.conn:
        db.execute("INSERT INTO test_sends (newsletter_id, email, message_id, sent_at) VALUES (?,?,?,?)",
                   [newsletter_id, email, message_id, utcnow()])
