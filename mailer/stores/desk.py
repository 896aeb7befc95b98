"""The desk's own table: the test addresses each team member keeps.

The only SQL of the desk; rows leave as plain values or dataclasses.
"""

from __future__ import annotations

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
