"""The reactions store: one reaction with its raw message, attachments, tags, notes and history;
the team's changes to them; counts per newsletter; and the erasure of one person's reactions.

Lists of reactions are built in ``reactions_query`` and ``reactions_page`` (re-exported here, so callers import one
module). Writes run in the caller's transaction (``mailer.db.transaction``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from ..errors import InvalidInput, NotFound
from .reactions_query import (
    DEFAULT_KINDS, EVERY_KIND, FACETS, HIT_END, HIT_START, KINDS, LOW_CONFIDENCE, NONE, OPEN_STATUSES, ORDERS, PER_PAGE,
    STATUSES, FacetValue, ReactionFilter, ReactionPage,
    ReactionRow, ReactionSummary, attribution_summary, counts, export_rows,
    list_rows, neighbours, summaries, summary,
)
from .reactions_search import fts_query
from .reactions_page import facet_counts, list_page

__all__ = [
    # lists, from reactions_query
    "DEFAULT_KINDS", "EVERY_KIND", "FACETS", "HIT_END", "HIT_START", "KINDS", "LOW_CONFIDENCE", "NONE",
    "OPEN_STATUSES", "ORDERS", "PER_PAGE", "STATUSES", "FacetValue", "ReactionFilter",
    "ReactionPage", "ReactionRow", "ReactionSummary", "attribution_summary", "counts", "export_rows", "facet_counts",
    "fts_query", "list_page", "list_rows", "neighbours", "summaries", "summary",
    # one reaction, the team's changes, per newsletter, one person
    "Attachment", "AttachmentInfo", "Erased", "Event", "Filing", "NewsletterCounts", "Note", "PersonsReaction",
    "RESTORABLE", "ReactionRecord", "add_note", "add_tag", "attachment", "attachments_of", "counts_of_newsletter",
    "counts_per_newsletter", "erase_for_subscriber", "event", "events", "filings", "for_subscriber", "get_record",
    "mark_undone", "notes", "raw_message", "record_event", "remove_tag", "restore", "set_assignee", "set_filing",
    "set_kind", "set_status",
]


@dataclass(frozen=True)
class ReactionRecord:
    """The stored fields of one reaction beyond its list line."""

    id: int
    raw_message_id: int
    raw_size: int
    message_id: str | None
    sent_date: str | None
    from_address: str
    newsletter_id: int | None
    theme_slug: str | None
    subscriber_id: int | None
    attribution: str
    theme_attribution: str
    confidence: float
    theme_confidence: float
    token_status: str
    other_sender: bool
    reply_text: str
    full_text: str          # "" when the inbox did not copy it: read it from the raw message
    html_body: str
    bounced_addresses: list[str]
    bounce_type: str
    error: str


@dataclass(frozen=True)
class AttachmentInfo:
    id: int
    reaction_id: int
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class Attachment(AttachmentInfo):
    data: bytes = b""


@dataclass(frozen=True)
class Event:
    actor: str
    action: str
    detail: str
    created_at: str
    id: int = 0
    previous: dict[str, Any] = field(default_factory=dict)  # the fields the change replaced
    undone_at: str | None = None
    reaction_id: int = 0

    @property
    def undoable(self) -> bool:
        return bool(self.previous) and self.undone_at is None


@dataclass(frozen=True)
class Note:
    author: str
    body: str
    created_at: str


@dataclass(frozen=True)
class Filing:
    """What the team's actions change about a reaction, as it is now."""

    id: int
    status: str
    newsletter_id: int | None
    theme_slug: str | None
    assignee: str
    kind: str = "reaction"
    attribution: str = "none"
    theme_attribution: str = "none"
    confidence: float = 0.0
    theme_confidence: float = 0.0


@dataclass(frozen=True)
class NewsletterCounts:
    per_theme: dict[str | None, int]   # kind 'reaction' only; None: the whole issue
    per_kind: dict[str, int]
    per_status: dict[str, int]         # kind 'reaction' only


@dataclass(frozen=True)
class PersonsReaction:
    """A reaction held about one person, as a privacy request shows it."""

    id: int
    newsletter: str | None
    theme: str | None
    kind: str
    status: str
    from_address: str
    from_name: str
    subject: str
    sent_date: str | None
    received_at: str
    reply_text: str
    attachments: int


@dataclass(frozen=True)
class Erased:
    reactions: int
    raw_messages: int
    attachments: int


# ---------------------------------------------------------------- one reaction

def _bounced(listed: str | None) -> list[str]:
    try:
        return [str(a) for a in json.loads(listed or "[]")]
    except ValueError:
        return []


def get_record(db: sqlite_utils.Database, reaction_id: int) -> ReactionRecord:
    rows = list(db.query(
        "SELECT r.*, m.size AS raw_size FROM reactions r JOIN raw_messages m ON m.id = r.raw_message_id"
        " WHERE r.id = ?", [reaction_id]))
    if not rows:
        raise NotFound("no reaction with id %(reaction_id)s: it may have been removed; go "
                       "back to the list", reaction_id=reaction_id)
    r = rows[0]
    return ReactionRecord(
        id=r["id"], raw_message_id=r["raw_message_id"], raw_size=r["raw_size"], message_id=r["message_id"],
        sent_date=r["sent_date"], from_address=r["from_address"], newsletter_id=r["newsletter_id"],
        theme_slug=r["theme_slug"], subscriber_id=r["subscriber_id"], attribution=r["attribution"],
        theme_attribution=r["theme_attribution"], confidence=float(r["confidence"] or 0),
        theme_confidence=float(r["theme_confidence"] or 0),
        token_status=r["token_status"], other_sender=bool(r["other_sender"]), reply_text=r["reply_text"],
        full_text=r["full_text"], html_body=r["html_body"], bounced_addresses=_bounced(r["bounced_addresses"]),
        bounce_type=r["bounce_type"], error=r["error"],
    )


def raw_message(db: sqlite_utils.Database, reaction_id: int) -> bytes:
    """The message exactly as it arrived."""
    row = db.execute("SELECT m.data FROM reactions r JOIN raw_messages m ON m.id = r.raw_message_id"
                     " WHERE r.id = ?", [reaction_id]).fetchone()
    if row is None:
        raise NotFound("no reaction with id %(reaction_id)s", reaction_id=reaction_id)
    return bytes(row[0])


def attachments_of(db: sqlite_utils.Database, reaction_id: int) -> list[AttachmentInfo]:
    return [AttachmentInfo(a["id"], a["reaction_id"], a["filename"], a["content_type"], a["size"])
            for a in db.query("SELECT id, reaction_id, filename, content_type, size FROM attachments"
                              " WHERE reaction_id = ? ORDER BY id", [reaction_id])]


def attachment(db: sqlite_utils.Database, attachment_id: int) -> Attachment:
    rows = list(db.query("SELECT * FROM attachments WHERE id = ?", [attachment_id]))
    if not rows:
        raise NotFound("no attachment with id %(attachment_id)s", attachment_id=attachment_id)
    a = rows[0]
    return Attachment(a["id"], a["reaction_id"], a["filename"], a["content_type"], a["size"], bytes(a["data"]))


def notes(db: sqlite_utils.Database, reaction_id: int) -> list[Note]:
    return [Note(n["author"], n["body"], n["created_at"]) for n in db.query(
        "SELECT author, body, created_at FROM reaction_notes WHERE reaction_id = ? ORDER BY id", [reaction_id])]


def _event(e: dict[str, Any]) -> Event:
    try:
        previous = json.loads(e["previous"]) if e["previous"] else {}
    except ValueError:
        previous = {}
    return Event(e["actor"], e["action"], e["detail"], e["created_at"], e["id"],
                 previous if isinstance(previous, dict) else {}, e["undone_at"], e["reaction_id"])


def events(db: sqlite_utils.Database, reaction_id: int) -> list[Event]:
    """A reaction's history, oldest first."""
    return [_event(e) for e in db.query(
        "SELECT * FROM reaction_events WHERE reaction_id = ? ORDER BY id", [reaction_id])]


def event(db: sqlite_utils.Database, event_id: int) -> Event:
    rows = list(db.query("SELECT * FROM reaction_events WHERE id = ?", [event_id]))
    if not rows:
        raise NotFound("no change with id %(event_id)s in the history: reload the page", event_id=event_id)
    return _event(rows[0])


# ---------------------------------------------------------------- the team's changes

def filings(db: sqlite_utils.Database, ids: Sequence[int]) -> list[Filing]:
    """The reactions (at most 1,000) an action is about. Raises ``InvalidInput`` for none and
    ``NotFound`` when none of them exists."""
    ids = [int(i) for i in ids][:1000]
    if not ids:
        raise InvalidInput("no reactions selected: tick one or more reactions first")
    rows = db.execute(
        "SELECT id, status, newsletter_id, theme_slug, assignee, kind, attribution, theme_attribution, confidence,"
        " theme_confidence FROM reactions WHERE id IN (%s)" % ",".join("?" * len(ids)), ids).fetchall()
    if not rows:
        raise NotFound("the selected reactions do not exist (any more): reload the list")
    return [Filing(*r) for r in rows]


def record_event(db: sqlite_utils.Database, reaction_id: int, actor: str, action: str, detail: str,
                 now: str, previous: dict[str, Any] | None = None) -> int:
    """Add a change to the history; ``previous``: the fields it replaced, for undoing it."""
    cur = db.execute(
        "INSERT INTO reaction_events (reaction_id, actor, action, detail, created_at, previous)"
        " VALUES (?,?,?,?,?,?)",
        [reaction_id, actor, action, detail, now, json.dumps(previous) if previous else ""])
    return int(cur.lastrowid or 0)


def mark_undone(db: sqlite_utils.Database, event_id: int, now: str) -> None:
    db.execute("UPDATE reaction_events SET undone_at = ? WHERE id = ?", [now, event_id])


# What undoing a change may write back, and nothing else.
RESTORABLE = ("status", "kind", "newsletter_id", "theme_slug", "assignee", "attribution", "theme_attribution",
              "confidence", "theme_confidence")


def restore(db: sqlite_utils.Database, reaction_id: int, fields: dict[str, Any], now: str) -> None:
    """Write back the fields a change replaced (only those in ``RESTORABLE``)."""
    kept = {k: v for k, v in fields.items() if k in RESTORABLE}
    if not kept:
        return
    sets = ", ".join(f"{k} = ?" for k in kept)
    db.execute(f"UPDATE reactions SET {sets}, updated_at = ? WHERE id = ?", [*kept.values(), now, reaction_id])


def set_kind(db: sqlite_utils.Database, reaction_id: int, kind: str, now: str) -> None:
    db.execute("UPDATE reactions SET kind = ?, updated_at = ? WHERE id = ?", [kind, now, reaction_id])


def set_status(db: sqlite_utils.Database, reaction_id: int, status: str, now: str) -> None:
    db.execute("UPDATE reactions SET status = ?, updated_at = ? WHERE id = ?", [status, now, reaction_id])


def set_filing(db: sqlite_utils.Database, reaction_id: int, newsletter_id: int, theme_slug: str | None,
               now: str) -> None:
    """File a reaction by hand: attribution becomes 'manual', with full confidence."""
    db.execute(
        "UPDATE reactions SET newsletter_id = ?, theme_slug = ?, attribution = 'manual',"
        " theme_attribution = 'manual', confidence = 1.0, theme_confidence = 1.0, updated_at = ? WHERE id = ?",
        [newsletter_id, theme_slug, now, reaction_id])


def set_assignee(db: sqlite_utils.Database, reaction_id: int, assignee: str, now: str) -> None:
    db.execute("UPDATE reactions SET assignee = ?, updated_at = ? WHERE id = ?", [assignee, now, reaction_id])


def add_tag(db: sqlite_utils.Database, reaction_id: int, tag: str) -> bool:
    """True if the reaction did not have the tag yet."""
    cur = db.execute("INSERT OR IGNORE INTO reaction_tags (reaction_id, tag) VALUES (?, ?)", [reaction_id, tag])
    return bool(cur.rowcount)


def remove_tag(db: sqlite_utils.Database, reaction_id: int, tag: str) -> bool:
    """True if the reaction had the tag."""
    cur = db.execute("DELETE FROM reaction_tags WHERE reaction_id = ? AND tag = ?", [reaction_id, tag])
    return bool(cur.rowcount)


def add_note(db: sqlite_utils.Database, reaction_id: int, author: str, body: str, now: str) -> None:
    db.execute("INSERT INTO reaction_notes (reaction_id, author, body, created_at) VALUES (?,?,?,?)",
               [reaction_id, author, body, now])


# ---------------------------------------------------------------- per newsletter

def counts_per_newsletter(db: sqlite_utils.Database) -> dict[int, tuple[int, int]]:
    """newsletter id -> (reactions, of which new), counting kind 'reaction' only."""
    return {r[0]: (int(r[1]), int(r[2])) for r in db.execute(
        # INDEXED BY: left to itself SQLite walks reactions_kind and reads every reaction's row.
        "SELECT newsletter_id, count(*), sum(status = 'nieuw') FROM reactions INDEXED BY reactions_newsletter_kind"
        " WHERE kind = 'reaction' AND newsletter_id IS NOT NULL GROUP BY newsletter_id")}


def counts_of_newsletter(db: sqlite_utils.Database, newsletter_id: int) -> NewsletterCounts:
    """One newsletter's reactions per theme, kind and status."""
    def count(sql: str) -> dict[Any, int]:
        return {r[0]: int(r[1]) for r in db.execute(sql, [newsletter_id])}

    return NewsletterCounts(
        per_theme=count("SELECT theme_slug, count(*) AS c FROM reactions WHERE newsletter_id = ?"
                        " AND kind = 'reaction' GROUP BY theme_slug"),
        per_kind=count("SELECT kind, count(*) AS c FROM reactions WHERE newsletter_id = ? GROUP BY kind"),
        per_status=count("SELECT status, count(*) AS c FROM reactions WHERE newsletter_id = ?"
                         " AND kind = 'reaction' GROUP BY status"),
    )


# ---------------------------------------------------------------- one person (privacy)

def _ids_about(db: sqlite_utils.Database, subscriber_id: int, email: str) -> list[int]:
    # Their own replies, and bounce reports that name their address.
    like = "%" + json.dumps(email)[1:-1] + "%"
    return [r[0] for r in db.execute(
        "SELECT id FROM reactions WHERE subscriber_id = ? OR lower(from_address) = ? OR bounced_addresses LIKE ?",
        [subscriber_id, email, like])]


def for_subscriber(db: sqlite_utils.Database, subscriber_id: int, email: str) -> list[PersonsReaction]:
    """Every reaction of a subscriber or from their (lower-case) address, and every bounce
    report naming it, oldest first."""
    ids = _ids_about(db, subscriber_id, email)
    if not ids:
        return []
    return [PersonsReaction(*r) for r in db.execute(
        "SELECT r.id, n.slug, r.theme_slug, r.kind, r.status, r.from_address, r.from_name, r.subject,"
        " r.sent_date, r.received_at, r.reply_text,"
        " (SELECT COUNT(*) FROM attachments a WHERE a.reaction_id = r.id)"
        f" FROM reactions r LEFT JOIN newsletters n ON n.id = r.newsletter_id WHERE r.id IN ({','.join('?' * len(ids))})"
        " ORDER BY r.id", ids)]


def erase_for_subscriber(db: sqlite_utils.Database, subscriber_id: int, email: str, placeholder: str,
                         now: str) -> Erased:
    """Anonymise the reactions ``for_subscriber`` finds: sender and texts replaced by
    ``placeholder``, the address taken out of bounce reports, raw messages emptied, attachments
    deleted. The rows stay, so counts per newsletter and theme still add up. Runs in the
    caller's transaction."""
    ids = _ids_about(db, subscriber_id, email)
    if not ids:
        return Erased(0, 0, 0)
    marks = ",".join("?" * len(ids))
    raw_ids = [r[0] for r in db.execute(f"SELECT raw_message_id FROM reactions WHERE id IN ({marks})", ids)]
    attachments = db.execute(f"DELETE FROM attachments WHERE reaction_id IN ({marks})", ids).rowcount
    db.execute(f"UPDATE reactions SET from_address='', from_name='', reply_text=?, full_text=?, html_body=?,"
               f" updated_at=? WHERE id IN ({marks})", [placeholder, placeholder, placeholder, now, *ids])
    for rid, listed in db.execute(f"SELECT id, bounced_addresses FROM reactions WHERE id IN ({marks})",
                                  ids).fetchall():
        kept = [a for a in _bounced(listed) if a.lower() != email]
        db.execute("UPDATE reactions SET bounced_addresses=? WHERE id=?", [json.dumps(kept), rid])
    raws = db.execute(f"UPDATE raw_messages SET data=X'', size=0, parse_error='erased on request'"
                      f" WHERE id IN ({','.join('?' * len(raw_ids))})", raw_ids).rowcount
    return Erased(len(ids), int(raws), int(attachments))
