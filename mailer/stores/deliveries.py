"""The deliveries store (one newsletter to one subscriber) and test sends: the reads the team's
newsletter overview and privacy requests need, and the erasure of one person.

The sender's ledger (what is due, attempts, retries) is not here yet: ``mailer.send.ledger``.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils


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


def count_by_status(db: sqlite_utils.Database, newsletter_id: int) -> dict[str, int]:
    """status -> number of deliveries of one newsletter (pending, sending, sent, failed, ...)."""
    return {r[0]: int(r[1]) for r in db.execute(
        "SELECT status, count(*) FROM deliveries WHERE newsletter_id = ? GROUP BY status", [newsletter_id])}


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
