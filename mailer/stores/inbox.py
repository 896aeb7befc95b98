"""The inbox's store: raw messages, filed reactions with their attachments, and poller state.

What attribution reads about deliveries, newsletters and subscribers comes from their own stores
(``stores.deliveries``, ``stores.newsletters``, ``subscribers.store``).

Transactions are the caller's business only where a docstring says so; every function that
writes takes an open connection in autocommit mode (see ``mailer.db.connect``) and the pipeline
wraps batches in ``transaction(db)``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import sqlite_utils

from ..db import transaction as transaction  # noqa: F401 - re-exported: callers write through this store
from ..db import utcnow


# --- raw messages -------------------------------------------------------------------------------

@dataclass(frozen=True)
class RawRef:
    id: int
    reaction_id: int | None  # None: stored raw but never filed (a crash between the two commits)


def find_raws(db: sqlite_utils.Database, sha256s: Sequence[str]) -> dict[str, RawRef]:
    """Earlier raw messages by SHA-256, each with its reaction if it was filed; chunked below
    SQLite's variable limit."""
    found: dict[str, RawRef] = {}
    shas = list(dict.fromkeys(sha256s))
    for start in range(0, len(shas), 500):
        chunk = shas[start:start + 500]
        for raw_id, sha, reaction_id in db.execute(
            "SELECT r.id, r.sha256, x.id FROM raw_messages r LEFT JOIN reactions x ON x.raw_message_id = r.id"
            f" WHERE r.sha256 IN ({','.join('?' * len(chunk))})", chunk,
        ).fetchall():
            found[sha] = RawRef(raw_id, reaction_id)
    return found


def reactions_by_message_id(db: sqlite_utils.Database, message_ids: Sequence[str]) -> dict[str, int]:
    """The first filed reaction per Message-ID, for those of ``message_ids`` seen before."""
    found: dict[str, int] = {}
    mids = list(dict.fromkeys(m for m in message_ids if m))
    for start in range(0, len(mids), 500):
        chunk = mids[start:start + 500]
        for mid, reaction_id in db.execute(
            "SELECT r.message_id, x.id FROM raw_messages r JOIN reactions x ON x.raw_message_id = r.id"
            f" WHERE r.message_id IN ({','.join('?' * len(chunk))}) ORDER BY x.id", chunk,
        ).fetchall():
            found.setdefault(mid, reaction_id)
    return found


class NewRaw(NamedTuple):
    sha256: str
    data: bytes
    source: str
    uidvalidity: int | None
    uid: int | None
    received_at: str
    note: str = ""


def next_raw_id(db: sqlite_utils.Database) -> int:
    """The id the next raw message gets; only meaningful inside the caller's write transaction."""
    return int(db.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM raw_messages").fetchone()[0])


def insert_raws(db: sqlite_utils.Database, rows: Sequence[tuple[int, NewRaw]]) -> None:
    """Insert raw messages under the ids given (from ``next_raw_id`` onwards, in the caller's write
    transaction): one executemany for a batch."""
    db.conn.executemany(
        "INSERT INTO raw_messages (id, sha256, size, data, source, imap_uidvalidity, imap_uid,"
        " received_at, parse_error) VALUES (?,?,?,?,?,?,?,?,?)",
        [(rid, r.sha256, len(r.data), r.data, r.source, r.uidvalidity, r.uid, r.received_at, r.note)
         for rid, r in rows],
    )


def set_raw_message_ids(db: sqlite_utils.Database, pairs: Sequence[tuple[str, int]]) -> None:
    """Record (Message-ID, raw message id) as the parser read them, in the caller's filing transaction."""
    db.conn.executemany("UPDATE raw_messages SET message_id = ? WHERE id = ?", pairs)


def raw_data(db: sqlite_utils.Database, raw_id: int) -> bytes:
    row = db.execute("SELECT data FROM raw_messages WHERE id = ?", [raw_id]).fetchone()
    return bytes(row[0]) if row else b""


def raw_received_at(db: sqlite_utils.Database, raw_id: int) -> str:
    row = db.execute("SELECT received_at FROM raw_messages WHERE id = ?", [raw_id]).fetchone()
    return str(row[0]) if row else utcnow()


# --- reactions ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class AttachmentRecord:
    filename: str
    content_type: str
    size: int
    sha256: str
    data: bytes


# The reactions columns filing writes, in the order of ``PreparedReaction.columns``.
REACTION_FIELDS = (
    "message_id", "kind", "from_address", "from_name", "subject", "sent_date", "newsletter_id", "theme_slug",
    "subscriber_id", "delivery_id", "attribution", "theme_attribution", "confidence", "theme_confidence",
    "token_status", "other_sender", "reply_text", "full_text", "html_body", "bounced_addresses", "bounce_type",
    "error",
)
_INSERT_REACTION = (
    f"INSERT INTO reactions (id, raw_message_id, received_at, updated_at, {', '.join(REACTION_FIELDS)})"
    f" VALUES ({','.join('?' * (4 + len(REACTION_FIELDS)))})"
)


class PreparedReaction(NamedTuple):
    """A reaction ready to insert, all but its raw message and times."""

    columns: tuple[object, ...]        # values for REACTION_FIELDS, in that order
    newsletter_slug: str | None
    event_detail: str                  # detail of the 'filed' reaction event (JSON)
    notes: tuple[str, ...] = ()        # written as reaction_notes by the inbox
    shown_notes: tuple[str, ...] = ()  # those and attribution's notes: what the poller reports
    attachments: tuple[AttachmentRecord, ...] = ()
    parse_error: str = ""              # also written to raw_messages.parse_error

    def value(self, name: str) -> object:
        return self.columns[REACTION_FIELDS.index(name)]


def insert_reactions(db: sqlite_utils.Database, items: Sequence[tuple[int, str, PreparedReaction]]) -> list[int]:
    """Insert (raw message id, received_at, reaction) rows with their attachments, notes and
    'filed' events, and add them to the full-text index; returns the new reaction ids in order.

    Runs inside the caller's write transaction (``transaction``), which is what makes the ids
    safe to hand out here: max(id) + 1 onwards, the same ids SQLite would pick, so a whole batch
    goes in with one executemany per table instead of several statements a reaction.
    """
    if not items:
        return []
    first = int(db.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM reactions").fetchone()[0])
    ids = list(range(first, first + len(items)))
    now = utcnow()
    db.conn.executemany(_INSERT_REACTION, [(rid, raw_id, received_at, now, *p.columns)
                                           for rid, (raw_id, received_at, p) in zip(ids, items)])
    db.conn.executemany(
        "INSERT INTO reaction_events (reaction_id, actor, action, detail, created_at) VALUES (?,?,?,?,?)",
        [(rid, "inbox", "filed", p.event_detail, now) for rid, (_, _, p) in zip(ids, items)],
    )
    db.conn.executemany(
        "INSERT INTO attachments (reaction_id, filename, content_type, size, sha256, data) VALUES (?,?,?,?,?,?)",
        [(rid, a.filename, a.content_type, a.size, a.sha256, a.data)
         for rid, (_, _, p) in zip(ids, items) for a in p.attachments],
    )
    db.conn.executemany(
        "INSERT INTO reaction_notes (reaction_id, author, body, created_at) VALUES (?,?,?,?)",
        [(rid, "inbox", body, now) for rid, (_, _, p) in zip(ids, items) for body in p.notes],
    )
    # Only where the parser failed: an UPDATE rewrites the whole row, raw bytes included.
    db.conn.executemany("UPDATE raw_messages SET parse_error = ? WHERE id = ?",
                        [(p.parse_error, raw_id) for raw_id, _, p in items if p.parse_error])
    index_reactions(db, ids)
    return ids


def index_reactions(db: sqlite_utils.Database, reaction_ids: Sequence[int]) -> None:
    """Add newly inserted reactions to the full-text index (there is no insert trigger: see
    0009_fts_by_the_writer.sql). Call it in the inserting transaction, as its last write: a later
    statement would make FTS5 write its pending terms out as one more small segment."""
    if reaction_ids:
        db.conn.execute(
            "INSERT INTO reactions_fts (rowid, subject, from_name, from_address, reply_text)"
            " SELECT id, subject, from_name, from_address, reply_text FROM reactions"
            " WHERE id IN (SELECT value FROM json_each(?))",
            [json.dumps(list(reaction_ids))],
        )


# --- poller state -------------------------------------------------------------------------------

@dataclass(frozen=True)
class InboxState:
    mailbox: str
    uidvalidity: int
    last_uid: int


def get_inbox_state(db: sqlite_utils.Database, mailbox: str) -> InboxState | None:
    row = db.execute("SELECT uidvalidity, last_uid FROM inbox_state WHERE mailbox = ?", [mailbox]).fetchone()
    return InboxState(mailbox, int(row[0]), int(row[1])) if row else None


def set_inbox_state(db: sqlite_utils.Database, mailbox: str, uidvalidity: int, last_uid: int) -> None:
    db.conn.execute(
        "INSERT INTO inbox_state (mailbox, uidvalidity, last_uid, updated_at) VALUES (?,?,?,?)"
        " ON CONFLICT(mailbox) DO UPDATE SET uidvalidity=excluded.uidvalidity, last_uid=excluded.last_uid,"
        " updated_at=excluded.updated_at",
        [mailbox, uidvalidity, last_uid, utcnow()],
    )
