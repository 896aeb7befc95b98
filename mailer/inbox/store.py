"""The inbox store: raw messages, filed reactions, attachments, poller state, and the read-only
look-ups attribution needs (deliveries, test sends, newsletters). All inbox SQL lives here.

Transactions are the caller's business only where a docstring says so; every function that
writes takes an open connection in autocommit mode (see ``mailer.db.connect``) and the pipeline
wraps batches in ``transaction(db)``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlite_utils

from ..db import utcnow


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


# --- raw messages -------------------------------------------------------------------------------

@dataclass(frozen=True)
class RawRef:
    id: int
    reaction_id: int | None  # None: stored raw but never filed (a crash between the two commits)


def find_raw(db: sqlite_utils.Database, sha256: str, message_id: str | None) -> tuple[RawRef, str] | None:
    """An earlier raw message with the same bytes, else the same Message-ID; with the match's reason."""
    row = db.execute(
        "SELECT r.id, x.id FROM raw_messages r LEFT JOIN reactions x ON x.raw_message_id = r.id WHERE r.sha256 = ?",
        [sha256],
    ).fetchone()
    if row:
        return RawRef(row[0], row[1]), "sha256"
    if message_id:
        row = db.execute(
            "SELECT r.id, x.id FROM raw_messages r LEFT JOIN reactions x ON x.raw_message_id = r.id"
            " WHERE r.message_id = ? ORDER BY r.id LIMIT 1",
            [message_id],
        ).fetchone()
        if row:
            return RawRef(row[0], row[1]), "message-id"
    return None


def find_raws(db: sqlite_utils.Database, sha256s: Sequence[str],
              message_ids: Sequence[str]) -> tuple[dict[str, RawRef], dict[str, RawRef]]:
    """``find_raw`` for a whole batch in two queries: earlier raw messages by SHA-256, and the
    earliest by Message-ID. Chunked below SQLite's variable limit."""
    by_sha: dict[str, RawRef] = {}
    by_mid: dict[str, RawRef] = {}
    shas = list(dict.fromkeys(sha256s))
    for start in range(0, len(shas), 500):
        chunk = shas[start:start + 500]
        for raw_id, sha, reaction_id in db.execute(
            "SELECT r.id, r.sha256, x.id FROM raw_messages r LEFT JOIN reactions x ON x.raw_message_id = r.id"
            f" WHERE r.sha256 IN ({','.join('?' * len(chunk))})", chunk,
        ).fetchall():
            by_sha[sha] = RawRef(raw_id, reaction_id)
    mids = [m for m in dict.fromkeys(message_ids) if m]
    for start in range(0, len(mids), 500):
        chunk = mids[start:start + 500]
        for raw_id, mid, reaction_id in db.execute(
            "SELECT r.id, r.message_id, x.id FROM raw_messages r LEFT JOIN reactions x ON x.raw_message_id = r.id"
            f" WHERE r.message_id IN ({','.join('?' * len(chunk))}) ORDER BY r.id", chunk,
        ).fetchall():
            by_mid.setdefault(mid, RawRef(raw_id, reaction_id))
    return by_sha, by_mid


def insert_raw(db: sqlite_utils.Database, data: bytes, *, sha256: str, message_id: str | None, source: str,
               uidvalidity: int | None, uid: int | None, received_at: str, note: str = "") -> int:
    cur = db.conn.execute(
        "INSERT INTO raw_messages (sha256, message_id, size, data, source, imap_uidvalidity, imap_uid,"
        " received_at, parse_error) VALUES (?,?,?,?,?,?,?,?,?)",
        [sha256, message_id, len(data), data, source, uidvalidity, uid, received_at, note],
    )
    return int(cur.lastrowid)  # type: ignore[arg-type]


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


@dataclass(frozen=True)
class ReactionRecord:
    """Everything a reactions row holds when it is filed."""

    raw_message_id: int
    message_id: str | None
    kind: str
    received_at: str
    from_address: str = ""
    from_name: str = ""
    subject: str = ""
    sent_date: str | None = None
    newsletter_id: int | None = None
    theme_slug: str | None = None
    subscriber_id: int | None = None
    delivery_id: int | None = None
    attribution: str = "none"
    theme_attribution: str = "none"
    confidence: float = 0.0
    theme_confidence: float = 0.0
    token_status: str = "absent"
    other_sender: bool = False
    reply_text: str = ""
    full_text: str = ""
    html_body: str = ""
    bounced_addresses: tuple[str, ...] = ()
    bounce_type: str = ""
    error: str = ""
    parse_error: str = ""      # also written to raw_messages.parse_error
    event_detail: str = ""     # detail of the 'filed' reaction event
    attachments: tuple[AttachmentRecord, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())   # written as reaction_notes by the inbox


def insert_reaction(db: sqlite_utils.Database, rec: ReactionRecord) -> int:
    """Insert one reaction with its attachments and 'filed' event (and the raw message's error, if any).

    Runs inside the caller's transaction.
    """
    now = utcnow()
    cur = db.conn.execute(
        "INSERT INTO reactions (raw_message_id, message_id, kind, from_address, from_name, subject, sent_date,"
        " received_at, newsletter_id, theme_slug, subscriber_id, delivery_id, attribution, theme_attribution,"
        " confidence, theme_confidence, token_status, other_sender, reply_text, full_text, html_body,"
        " bounced_addresses, bounce_type, error, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [rec.raw_message_id, rec.message_id, rec.kind, rec.from_address, rec.from_name, rec.subject,
         rec.sent_date, rec.received_at, rec.newsletter_id, rec.theme_slug, rec.subscriber_id, rec.delivery_id,
         rec.attribution, rec.theme_attribution, round(rec.confidence, 3), round(rec.theme_confidence, 3),
         rec.token_status, int(rec.other_sender), rec.reply_text, rec.full_text, rec.html_body,
         json.dumps(list(rec.bounced_addresses)), rec.bounce_type, rec.error, now],
    )
    reaction_id = int(cur.lastrowid)  # type: ignore[arg-type]
    if rec.attachments:
        db.conn.executemany(
            "INSERT INTO attachments (reaction_id, filename, content_type, size, sha256, data) VALUES (?,?,?,?,?,?)",
            [(reaction_id, a.filename, a.content_type, a.size, a.sha256, a.data) for a in rec.attachments],
        )
    db.conn.execute(
        "INSERT INTO reaction_events (reaction_id, actor, action, detail, created_at) VALUES (?,?,?,?,?)",
        [reaction_id, "inbox", "filed", rec.event_detail, now],
    )
    if rec.parse_error:  # only then: an UPDATE rewrites the whole row, raw bytes included
        db.conn.execute("UPDATE raw_messages SET parse_error = ? WHERE id = ?",
                        [rec.parse_error, rec.raw_message_id])
    return reaction_id


def defer_fts(db: sqlite_utils.Database) -> None:
    """Inside a filing transaction: reactions inserted from now on are indexed by ``index_reactions``
    (one statement for the batch) instead of by the per-row trigger (see 0006_fts_batch.sql)."""
    db.conn.execute("INSERT OR IGNORE INTO reactions_fts_deferred (id) VALUES (1)")


def index_reactions(db: sqlite_utils.Database, reaction_ids: Sequence[int]) -> None:
    """Full-text index the reactions inserted since ``defer_fts``, and end the deferral. Runs last
    in the caller's transaction, after every other write (a later statement would flush FTS5)."""
    if reaction_ids:
        db.conn.execute(
            "INSERT INTO reactions_fts (rowid, subject, from_name, from_address, reply_text)"
            " SELECT id, subject, from_name, from_address, reply_text FROM reactions"
            " WHERE id IN (SELECT value FROM json_each(?))",
            [json.dumps(list(reaction_ids))],
        )
    db.conn.execute("DELETE FROM reactions_fts_deferred")


def insert_note(db: sqlite_utils.Database, reaction_id: int, author: str, body: str) -> None:
    db.conn.execute(
        "INSERT INTO reaction_notes (reaction_id, author, body, created_at) VALUES (?,?,?,?)",
        [reaction_id, author, body, utcnow()],
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


# --- read-only look-ups for attribution -----------------------------------------------------------

@dataclass(frozen=True)
class DeliveryRef:
    id: int | None          # None for a test send
    newsletter_id: int
    subscriber_id: int | None
    email: str
    status: str


def _ids_with_brackets(ids: Sequence[str]) -> list[str]:
    out: list[str] = []
    for i in ids:
        bare = i.strip().strip("<>")
        if bare:
            out += [bare, f"<{bare}>"]
    return out


def delivery_by_message_id(db: sqlite_utils.Database, message_id: str) -> DeliveryRef | None:
    """The delivery (or else test send) we sent with this Message-ID, stored with or without <>."""
    ids = _ids_with_brackets([message_id])
    if not ids:
        return None
    row = db.execute(
        "SELECT id, newsletter_id, subscriber_id, email, status FROM deliveries WHERE message_id IN (?, ?)", ids
    ).fetchone()
    if row:
        return DeliveryRef(*row)
    row = db.execute(
        "SELECT newsletter_id, email FROM test_sends WHERE message_id IN (?, ?) ORDER BY id DESC LIMIT 1", ids
    ).fetchone()
    if row:
        return DeliveryRef(None, row[0], None, row[1], "test")
    return None


def delivery_by_id(db: sqlite_utils.Database, delivery_id: int) -> DeliveryRef | None:
    row = db.execute(
        "SELECT id, newsletter_id, subscriber_id, email, status FROM deliveries WHERE id = ?", [delivery_id]
    ).fetchone()
    return DeliveryRef(*row) if row else None


def latest_delivery_to(db: sqlite_utils.Database, email: str) -> DeliveryRef | None:
    """The newest issue actually sent to this address."""
    row = db.execute(
        "SELECT id, newsletter_id, subscriber_id, email, status FROM deliveries"
        " WHERE email = ? AND sent_at IS NOT NULL ORDER BY sent_at DESC, id DESC LIMIT 1",
        [email.strip().lower()],
    ).fetchone()
    return DeliveryRef(*row) if row else None


def latest_delivery_any_state(db: sqlite_utils.Database, email: str) -> DeliveryRef | None:
    """The newest delivery to an address whatever its state (bounces of mails we think were sent)."""
    row = db.execute(
        "SELECT id, newsletter_id, subscriber_id, email, status FROM deliveries"
        " WHERE email = ? ORDER BY COALESCE(sent_at, updated_at) DESC, id DESC LIMIT 1",
        [email.strip().lower()],
    ).fetchone()
    return DeliveryRef(*row) if row else None


@dataclass(frozen=True)
class NewsletterRef:
    id: int
    slug: str
    title: str
    subject: str


def newsletter_refs(db: sqlite_utils.Database) -> list[NewsletterRef]:
    """All newsletters, newest first (sent ones by send time)."""
    return [
        NewsletterRef(*r) for r in db.execute(
            "SELECT id, slug, title, subject FROM newsletters"
            " ORDER BY COALESCE(finished_at, started_at, send_at, created_at) DESC, id DESC"
        ).fetchall()
    ]


def newsletter_slug(db: sqlite_utils.Database, newsletter_id: int | None) -> str | None:
    if newsletter_id is None:
        return None
    row = db.execute("SELECT slug FROM newsletters WHERE id = ?", [newsletter_id]).fetchone()
    return str(row[0]) if row else None


def subscriber_ref(db: sqlite_utils.Database, subscriber_id: int) -> tuple[int, str | None, str] | None:
    """(id, email, status) of a subscriber, or None."""
    row = db.execute("SELECT id, email, status FROM subscribers WHERE id = ?", [subscriber_id]).fetchone()
    return (int(row[0]), row[1], str(row[2])) if row else None


def subscriber_by_email(db: sqlite_utils.Database, email: str) -> tuple[int, str | None, str] | None:
    row = db.execute(
        "SELECT id, email, status FROM subscribers WHERE email = ?", [email.strip().lower()]
    ).fetchone()
    return (int(row[0]), row[1], str(row[2])) if row else None


def record_delivery(db: sqlite_utils.Database, newsletter_id: int, subscriber_id: int, email: str, message_id: str,
                    sent_at: str, status: str = "sent") -> int:
    """A sent delivery row, for tests, benchmarks and imports of history (the sender has its own ledger)."""
    cur = db.conn.execute(
        "INSERT INTO deliveries (newsletter_id, subscriber_id, email, message_id, status, attempts, sent_at,"
        " updated_at) VALUES (?,?,?,?,?,1,?,?)",
        [newsletter_id, subscriber_id, email.lower(), message_id, status, sent_at, sent_at],
    )
    return int(cur.lastrowid)  # type: ignore[arg-type]


# --- bounce side effects ------------------------------------------------------------------------

def mark_delivery_bounced(db: sqlite_utils.Database, delivery_id: int, detail: str) -> None:
    db.conn.execute(
        "UPDATE deliveries SET status = 'bounced', last_error = ?, updated_at = ? WHERE id = ?",
        [detail[:500], utcnow(), delivery_id],
    )


def add_soft_bounce(db: sqlite_utils.Database, subscriber_id: int) -> int:
    """Count one more soft bounce; returns the new count."""
    db.conn.execute(
        "UPDATE subscribers SET soft_bounces = soft_bounces + 1, updated_at = ? WHERE id = ?",
        [utcnow(), subscriber_id],
    )
    row = db.execute("SELECT soft_bounces FROM subscribers WHERE id = ?", [subscriber_id]).fetchone()
    return int(row[0]) if row else 0


# --- listing ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReactionRow:
    id: int
    kind: str
    status: str
    received_at: str
    from_address: str
    from_name: str
    subject: str
    newsletter: str | None
    theme: str | None
    attribution: str
    theme_attribution: str
    confidence: float
    theme_confidence: float
    token_status: str
    other_sender: bool
    reply_text: str
    bounced_addresses: tuple[str, ...]
    bounce_type: str
    error: str

    def as_dict(self) -> dict[str, object]:
        d = dict(self.__dict__)
        d["bounced_addresses"] = list(self.bounced_addresses)
        return d


def list_reactions(db: sqlite_utils.Database, *, newsletter: str | None = None, theme: str | None = None,
                   status: str | None = None, kind: str | None = None, limit: int | None = None) -> list[ReactionRow]:
    where, params = [], []  # type: ignore[var-annotated]
    if newsletter:
        where.append("n.slug = ?")
        params.append(newsletter)
    if theme:
        where.append("r.theme_slug = ?")
        params.append(theme)
    if status:
        where.append("r.status = ?")
        params.append(status)
    if kind:
        where.append("r.kind = ?")
        params.append(kind)
    sql = (
        "SELECT r.id, r.kind, r.status, r.received_at, r.from_address, r.from_name, r.subject, n.slug,"
        " r.theme_slug, r.attribution, r.theme_attribution, r.confidence, r.theme_confidence, r.token_status,"
        " r.other_sender, r.reply_text, r.bounced_addresses, r.bounce_type, r.error"
        " FROM reactions r LEFT JOIN newsletters n ON n.id = r.newsletter_id"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY r.received_at DESC, r.id DESC"
        + (f" LIMIT {int(limit)}" if limit else "")
    )
    out = []
    for r in db.execute(sql, params).fetchall():
        out.append(ReactionRow(
            id=r[0], kind=r[1], status=r[2], received_at=r[3], from_address=r[4], from_name=r[5], subject=r[6],
            newsletter=r[7], theme=r[8], attribution=r[9], theme_attribution=r[10], confidence=r[11],
            theme_confidence=r[12], token_status=r[13], other_sender=bool(r[14]), reply_text=r[15],
            bounced_addresses=tuple(json.loads(r[16] or "[]")), bounce_type=r[17], error=r[18],
        ))
    return out


def reaction_summary(db: sqlite_utils.Database) -> list[dict[str, object]]:
    """Reactions per newsletter, theme, kind and attribution method (for the demo's table).

    Each dict: newsletter (slug or None), theme (slug or None), kind, attribution, theme_attribution, count.
    """
    rows = db.execute(
        "SELECT n.slug, r.theme_slug, r.kind, r.attribution, r.theme_attribution, COUNT(*)"
        " FROM reactions r LEFT JOIN newsletters n ON n.id = r.newsletter_id"
        " GROUP BY n.slug, r.theme_slug, r.kind, r.attribution, r.theme_attribution"
        " ORDER BY n.slug IS NULL, n.slug, r.kind != 'reaction', r.kind, r.theme_slug IS NULL, r.theme_slug,"
        " r.attribution"
    ).fetchall()
    return [
        {"newsletter": r[0], "theme": r[1], "kind": r[2], "attribution": r[3], "theme_attribution": r[4],
         "count": r[5]}
        for r in rows
    ]


def counts(db: sqlite_utils.Database) -> dict[str, int]:
    """Number of raw messages and reactions (for reports and tests)."""
    raw = db.execute("SELECT COUNT(*) FROM raw_messages").fetchone()[0]
    filed = db.execute("SELECT COUNT(*) FROM reactions").fetchone()[0]
    return {"raw_messages": int(raw), "reactions": int(filed)}
