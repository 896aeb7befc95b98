"""The webhook's outbox, its attempts and how far it has looked (0021_webhook_outbox.sql)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlite_utils

from ..db import transaction
from .reactions_query import ReactionFilter, ids_between, latest_id


@dataclass(frozen=True)
class OutboxRow:
    id: int
    reaction_id: int
    state: str                # pending | delivered | failed
    attempts: int
    next_attempt_at: str
    created_at: str
    delivered_at: str | None
    note: str


@dataclass(frozen=True)
class Attempt:
    outbox_id: int
    at: str
    status: int               # the receiver's HTTP status; 0: no answer
    error: str


_COLUMNS = "id, reaction_id, state, attempts, next_attempt_at, created_at, delivered_at, note"


def _row(r: Any) -> OutboxRow:
    return OutboxRow(*r)


def enqueue_new(db: sqlite_utils.Database, filters: ReactionFilter, now: str) -> int:
    """Put the filter's reactions filed since the last look into the outbox; returns how many.

    The first look only notes where it starts: reactions filed before the webhook was set up
    are not posted."""
    row = db.execute("SELECT after_id FROM webhook_state WHERE id = 1").fetchone()
    if row is not None and latest_id(db) <= int(row[0]):
        return 0  # nothing new: no write transaction every tick
    with transaction(db):
        row = db.execute("SELECT after_id FROM webhook_state WHERE id = 1").fetchone()
        upto = latest_id(db)
        if row is None:
            db.execute("INSERT INTO webhook_state (id, after_id) VALUES (1, ?)", [upto])
            return 0
        after = int(row[0])
        if upto <= after:
            return 0
        ids = ids_between(db, filters, after, upto)
        db.conn.executemany("INSERT OR IGNORE INTO webhook_outbox (reaction_id, next_attempt_at, created_at)"
                       " VALUES (?,?,?)", [(rid, now, now) for rid in ids])
        db.execute("UPDATE webhook_state SET after_id = ? WHERE id = 1", [upto])
        return len(ids)


def due(db: sqlite_utils.Database, now: str, limit: int = 100) -> list[OutboxRow]:
    """Pending posts whose next try has come, oldest first."""
    return [_row(r) for r in db.execute(
        f"SELECT {_COLUMNS} FROM webhook_outbox WHERE state = 'pending' AND next_attempt_at <= ?"
        " ORDER BY next_attempt_at, id LIMIT ?", [now, limit])]


def get(db: sqlite_utils.Database, outbox_id: int) -> OutboxRow | None:
    row = db.execute(f"SELECT {_COLUMNS} FROM webhook_outbox WHERE id = ?", [outbox_id]).fetchone()
    return _row(row) if row else None


def for_reaction(db: sqlite_utils.Database, reaction_id: int) -> OutboxRow | None:
    row = db.execute(f"SELECT {_COLUMNS} FROM webhook_outbox WHERE reaction_id = ?", [reaction_id]).fetchone()
    return _row(row) if row else None


def record_attempt(db: sqlite_utils.Database, outbox_id: int, now: str, status: int, error: str, *,
                   delivered: bool, next_attempt_at: str | None, note: str = "") -> None:
    """One try and what it leads to: delivered, another try at ``next_attempt_at``, or (None)
    given up with ``note``."""
    with transaction(db):
        db.execute("INSERT INTO webhook_attempts (outbox_id, at, status, error) VALUES (?,?,?,?)",
                   [outbox_id, now, status, error])
        if delivered:
            db.execute("UPDATE webhook_outbox SET state = 'delivered', attempts = attempts + 1, delivered_at = ?,"
                       " note = '' WHERE id = ?", [now, outbox_id])
        elif next_attempt_at is None:
            db.execute("UPDATE webhook_outbox SET state = 'failed', attempts = attempts + 1, note = ? WHERE id = ?",
                       [note, outbox_id])
        else:
            db.execute("UPDATE webhook_outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?",
                       [next_attempt_at, outbox_id])


def attempts(db: sqlite_utils.Database, outbox_id: int) -> list[Attempt]:
    return [Attempt(*r) for r in db.execute(
        "SELECT outbox_id, at, status, error FROM webhook_attempts WHERE outbox_id = ? ORDER BY id", [outbox_id])]


def counts(db: sqlite_utils.Database) -> dict[str, int]:
    """Outbox rows per state."""
    return {str(r[0]): int(r[1]) for r in db.execute("SELECT state, count(*) FROM webhook_outbox GROUP BY state")}
