"""The desk's queries: remembered test addresses, recent test sends, who has an issue already.

The only SQL of the desk; rows leave as plain values or dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_TEST_ADDRESSES = 10


def test_addresses(db: Any, user_id: int) -> list[str]:
    return [r[0] for r in db.execute(
        "SELECT email FROM desk_test_recipients WHERE user_id = ? ORDER BY position", [user_id])]


def save_test_addresses(db: Any, user_id: int, addresses: list[str]) -> None:
    with db.conn:
        db.execute("DELETE FROM desk_test_recipients WHERE user_id = ?", [user_id])
        db.conn.executemany(
            "INSERT INTO desk_test_recipients (user_id, position, email) VALUES (?, ?, ?)",
            [(user_id, i, a) for i, a in enumerate(addresses[:MAX_TEST_ADDRESSES])])


@dataclass(frozen=True)
class TestSend:
    email: str
    sent_at: str


def recent_test_sends(db: Any, newsletter_id: int, limit: int = 8) -> list[TestSend]:
    return [TestSend(r[0], r[1]) for r in db.execute(
        "SELECT email, sent_at FROM test_sends WHERE newsletter_id = ? ORDER BY id DESC LIMIT ?",
        [newsletter_id, limit])]


def served_subscriber_ids(db: Any, newsletter_id: int) -> set[int]:
    """Subscribers whose delivery of the issue is settled (sent, failed, bounced, ...)."""
    return {r[0] for r in db.execute(
        "SELECT subscriber_id FROM deliveries WHERE newsletter_id = ?"
        " AND status NOT IN ('pending', 'sending')", [newsletter_id])}
