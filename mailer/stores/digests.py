"""The team's digests: the ``digests`` table (0020_digest_and_api_tokens.sql).

A digest is claimed (a row with its range of reaction ids) before it is sent, in one write
transaction with reading the high-water mark, so two processes never claim the same reactions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlite_utils

from ..db import transaction
from .reactions_query import ReactionFilter, latest_id, theme_counts_between


@dataclass(frozen=True)
class DigestRow:
    id: int
    slot: str | None          # the scheduled moment (UTC ISO) it stands for; None: sent by hand
    after_id: int
    upto_id: int
    reactions: int
    state: str                # pending | sent | empty
    recipients: str
    message_id: str
    attempts: int
    next_attempt_at: str
    error: str
    created_at: str
    sent_at: str | None


_COLUMNS = ("id, slot, after_id, upto_id, reactions, state, recipients, message_id, attempts, next_attempt_at,"
            " error, created_at, sent_at")


def _row(r: Any) -> DigestRow:
    return DigestRow(*r)


def high_water_mark(db: sqlite_utils.Database) -> int:
    """The highest reaction id already claimed by a digest (0 before the first)."""
    return int(db.execute("SELECT coalesce(max(upto_id), 0) FROM digests").fetchone()[0])


def latest_slot(db: sqlite_utils.Database) -> str | None:
    """The most recent scheduled moment a digest was claimed for."""
    row = db.execute("SELECT max(slot) FROM digests WHERE slot IS NOT NULL").fetchone()
    return str(row[0]) if row and row[0] else None


def claim(db: sqlite_utils.Database, slot: str | None, filters: ReactionFilter, recipients: str,
          now: str) -> DigestRow | None:
    """Claim every reaction not yet in a digest for a new digest; None when ``slot`` was claimed
    already (by another process). Without any reaction of ``filters`` in its range a scheduled
    digest is stored as 'empty' (nothing to send, the slot is done); one by hand is not stored."""
    with transaction(db):
        if slot is not None and db.execute("SELECT 1 FROM digests WHERE slot = ?", [slot]).fetchone():
            return None
        after = high_water_mark(db)
        upto = max(after, latest_id(db))
        n = sum(fv.count for fv in theme_counts_between(db, filters, after, upto))
        if not n and slot is None:
            return None
        cur = db.execute(
            "INSERT INTO digests (slot, after_id, upto_id, reactions, state, recipients, next_attempt_at,"
            " created_at) VALUES (?,?,?,?,?,?,?,?)",
            [slot, after, upto, n, "pending" if n else "empty", recipients, now, now])
        return get(db, int(cur.lastrowid or 0))


def get(db: sqlite_utils.Database, digest_id: int) -> DigestRow:
    return _row(db.execute(f"SELECT {_COLUMNS} FROM digests WHERE id = ?", [digest_id]).fetchone())


def due(db: sqlite_utils.Database, now: str) -> list[DigestRow]:
    """Claimed digests not sent yet whose next try has come, oldest first."""
    return [_row(r) for r in db.execute(
        f"SELECT {_COLUMNS} FROM digests WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY id", [now])]


def mark_sent(db: sqlite_utils.Database, digest_id: int, message_id: str, now: str) -> None:
    db.execute("UPDATE digests SET state = 'sent', message_id = ?, sent_at = ?, attempts = attempts + 1,"
               " error = '' WHERE id = ?", [message_id, now, digest_id])


def mark_failed(db: sqlite_utils.Database, digest_id: int, error: str, next_attempt_at: str) -> None:
    db.execute("UPDATE digests SET attempts = attempts + 1, error = ?, next_attempt_at = ? WHERE id = ?",
               [error, next_attempt_at, digest_id])


def recent(db: sqlite_utils.Database, limit: int = 20) -> list[DigestRow]:
    return [_row(r) for r in db.execute(f"SELECT {_COLUMNS} FROM digests ORDER BY id DESC LIMIT ?", [limit])]
