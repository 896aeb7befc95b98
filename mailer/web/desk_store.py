"""The desk's queries: remembered test addresses, the audience of a send, recent test sends.

The only SQL of the desk; rows leave as plain values or dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from subscribers import store as subscribers

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


@dataclass(frozen=True)
class Audience:
    recipients: int      # who would get the issue if it went out now
    already: int         # active subscribers who have it already (an interrupted send resumed)
    suppressed: int      # active but on the suppression list: skipped


def audience(db: Any, newsletter_id: int | None) -> Audience:
    """How many subscribers an immediate send reaches: active, not suppressed, not served yet."""
    suppressed_hashes = subscribers.suppressed_hashes(db)
    served: set[int] = set()
    if newsletter_id is not None:
        served = {r[0] for r in db.execute(
            "SELECT subscriber_id FROM deliveries WHERE newsletter_id = ?"
            " AND status NOT IN ('pending', 'sending')", [newsletter_id])}
    recipients = already = suppressed = 0
    for row in db.execute("SELECT id, email FROM subscribers WHERE status = 'active' AND email IS NOT NULL"):
        if row[0] in served:
            already += 1
        elif subscribers.email_hash(row[1]) in suppressed_hashes:
            suppressed += 1
        else:
            recipients += 1
    return Audience(recipients, already, suppressed)
