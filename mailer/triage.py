"""The triage store: what the team's inbox reads and changes about reactions.

Listing with filters and counts per filter value, full-text search (FTS5, accent folded),
one reaction with its context, the actions the team takes (status, re-file, tags, assignee,
notes; each recorded in ``reaction_events`` with who and when), per-newsletter overviews and
the export of a view. All SQL of the inbox lives here; rows leave as dataclasses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import sqlite_utils

from .db import utcnow
from .errors import InvalidInput, NotFound
from .inbox.parse import parse_message

STATUSES = ("nieuw", "in_behandeling", "afgehandeld", "gearchiveerd")
KINDS = ("reaction", "auto_reply", "bounce", "other")
# What the default view shows: auto-replies, bounces and "other" are one click away.
DEFAULT_KINDS = ("reaction",)
NONE = "-"  # filter value for "not set" (no newsletter, no theme, nobody assigned)
FACETS = ("newsletter", "theme", "status", "kind", "tag", "assignee")
PER_PAGE = 50


@dataclass(frozen=True)
class Filters:
    """The current view. Empty strings mean "any"; ``kind`` empty means the default kinds."""

    newsletter: str = ""
    theme: str = ""
    status: str = ""
    kind: str = ""          # "" = reactions only, "all" = every kind, or one kind
    tag: str = ""
    assignee: str = ""
    q: str = ""

    @classmethod
    def from_mapping(cls, args: object) -> "Filters":
        get = getattr(args, "get")
        values = {name: (get(name) or "").strip()[:200] for name in (*FACETS, "q")}
        if values["status"] and values["status"] not in STATUSES:
            values["status"] = ""
        if values["kind"] and values["kind"] not in (*KINDS, "all"):
            values["kind"] = ""
        return cls(**values)

    def as_params(self, **changes: str) -> dict[str, str]:
        """Query-string parameters for this view, with ``changes`` applied; empties dropped."""
        merged = replace(self, **changes)
        return {k: v for k, v in merged.__dict__.items() if v}

    @property
    def is_default(self) -> bool:
        return not any(self.__dict__.values())


@dataclass(frozen=True)
class ReactionSummary:
    id: int
    received_at: str
    kind: str
    status: str
    from_name: str
    from_address: str
    subject: str
    snippet: str
    newsletter_slug: str | None
    newsletter_title: str | None
    theme_slug: str | None
    theme_name: str | None
    assignee: str
    tags: tuple[str, ...]
    attachments: int


@dataclass(frozen=True)
class FacetValue:
    value: str   # what goes into the filter ("-" for not set)
    label: str
    count: int


@dataclass(frozen=True)
class ReactionPage:
    filters: Filters
    items: list[ReactionSummary]
    total: int
    page: int
    pages: int
    facets: dict[str, list[FacetValue]]


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


@dataclass(frozen=True)
class Note:
    author: str
    body: str
    created_at: str


@dataclass(frozen=True)
class SectionInfo:
    position: int
    heading: str
    body_text: str


@dataclass(frozen=True)
class SenderInfo:
    subscriber_id: int | None
    name: str
    email: str
    status: str | None
    since: str | None           # confirmed_at, else created_at
    earlier: list[ReactionSummary] = field(default_factory=list)


@dataclass(frozen=True)
class ReactionDetail:
    summary: ReactionSummary
    sent_date: str | None
    attribution: str
    theme_attribution: str
    confidence: float
    theme_confidence: float
    token_status: str
    other_sender: bool
    reply_text: str
    full_text: str
    html_body: str
    bounced_addresses: list[str]
    bounce_type: str
    error: str
    message_id: str | None
    raw_size: int
    sender: SenderInfo
    sections: list[SectionInfo]
    attachments: list[AttachmentInfo]
    notes: list[Note]
    events: list[Event]


@dataclass(frozen=True)
class ThemeCount:
    slug: str | None
    name: str
    count: int


@dataclass(frozen=True)
class NewsletterSummary:
    id: int
    slug: str
    title: str
    status: str
    send_at: str | None
    finished_at: str | None
    reactions: int
    new: int


@dataclass(frozen=True)
class Overview:
    newsletter: NewsletterSummary
    deliveries: dict[str, int]      # status -> count (pending, sending, sent, failed, bounced, suppressed)
    unsubscribed_after: int
    per_theme: list[ThemeCount]
    per_kind: dict[str, int]
    per_status: dict[str, int]


# ---------------------------------------------------------------- helpers

@contextmanager
def _tx(db: sqlite_utils.Database) -> Iterator[None]:
    """One explicit transaction (the connection is in autocommit mode)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def fts_query(text: str) -> str:
    """User words -> an FTS5 query: every word must occur, as a prefix ("samenwerk" finds
    "samenwerking", a poor man's stemming). Quoting each word keeps FTS5 syntax out of reach."""
    words = re.findall(r"[\w@.'-]+", text, flags=re.UNICODE)
    return " ".join('"' + w.replace('"', '""') + '"*' for w in words[:12])


def _load_hits(db: sqlite_utils.Database, q: str) -> bool:
    """Run the full-text query once into a per-connection temp table, so the list, its total and
    six facet counts do not each run it again. False when the words give no query at all."""
    match = fts_query(q)
    if not match:
        return False
    db.execute("CREATE TEMP TABLE IF NOT EXISTS search_hits (id INTEGER PRIMARY KEY)")
    db.execute("DELETE FROM temp.search_hits")
    db.execute("INSERT INTO temp.search_hits (id) SELECT rowid FROM reactions_fts WHERE reactions_fts MATCH ?",
               [match])
    return True


def _where(f: Filters, skip: str = "", hits: bool = False) -> tuple[str, list[object]]:
    """SQL conditions (on alias r) for a view; ``skip`` leaves one facet out (for its counts);
    ``hits``: the search was loaded with ``_load_hits`` on this connection."""
    conds: list[str] = []
    params: list[object] = []
    if skip != "newsletter" and f.newsletter:
        if f.newsletter == NONE:
            conds.append("r.newsletter_id IS NULL")
        else:
            conds.append("r.newsletter_id = (SELECT id FROM newsletters WHERE slug = ?)")
            params.append(f.newsletter)
    if skip != "theme" and f.theme:
        if f.theme == NONE:
            conds.append("r.theme_slug IS NULL")
        else:
            conds.append("r.theme_slug = ?")
            params.append(f.theme)
    if skip != "status" and f.status:
        conds.append("r.status = ?")
        params.append(f.status)
    if skip != "kind":
        if not f.kind:
            conds.append("r.kind IN (%s)" % ",".join("?" * len(DEFAULT_KINDS)))
            params.extend(DEFAULT_KINDS)
        elif f.kind != "all":
            conds.append("r.kind = ?")
            params.append(f.kind)
    if skip != "tag" and f.tag:
        conds.append("r.id IN (SELECT reaction_id FROM reaction_tags WHERE tag = ?)")
        params.append(f.tag)
    if skip != "assignee" and f.assignee:
        conds.append("r.assignee = ?")
        params.append("" if f.assignee == NONE else f.assignee)
    if f.q and hits:
        conds.append("r.id IN (SELECT id FROM temp.search_hits)")
    elif f.q:
        match = fts_query(f.q)
        if match:
            conds.append("r.id IN (SELECT rowid FROM reactions_fts WHERE reactions_fts MATCH ?)")
            params.append(match)
    return (" AND ".join(conds) or "1"), params


_SUMMARY_SELECT = """
SELECT r.id, r.received_at, r.kind, r.status, r.from_name, r.from_address, r.subject,
       substr(CASE WHEN r.reply_text != '' THEN r.reply_text ELSE r.full_text END, 1, 180) AS snippet,
       n.slug AS newsletter_slug, n.title AS newsletter_title, r.theme_slug, t.name AS theme_name,
       r.assignee,
       (SELECT group_concat(tag, char(31)) FROM reaction_tags WHERE reaction_id = r.id) AS tags,
       (SELECT count(*) FROM attachments WHERE reaction_id = r.id) AS attachments
FROM reactions r
LEFT JOIN newsletters n ON n.id = r.newsletter_id
LEFT JOIN themes t ON t.slug = r.theme_slug
"""


def _summary(row: dict[str, Any]) -> ReactionSummary:
    tags = tuple(sorted(row["tags"].split("\x1f"))) if row["tags"] else ()
    return ReactionSummary(
        id=row["id"], received_at=row["received_at"], kind=row["kind"], status=row["status"],
        from_name=row["from_name"], from_address=row["from_address"], subject=row["subject"],
        snippet=" ".join((row["snippet"] or "").split()), newsletter_slug=row["newsletter_slug"],
        newsletter_title=row["newsletter_title"], theme_slug=row["theme_slug"],
        theme_name=row["theme_name"], assignee=row["assignee"], tags=tags,
        attachments=row["attachments"],
    )


# ---------------------------------------------------------------- reading

def list_reactions(db: sqlite_utils.Database, filters: Filters, page: int = 1,
                   per_page: int = PER_PAGE, with_facets: bool = True) -> ReactionPage:
    """One page of the view, newest first, with the total and the counts per filter value."""
    hits = bool(filters.q) and _load_hits(db, filters.q)
    where, params = _where(filters, hits=hits)
    total = db.execute(f"SELECT count(*) FROM reactions r WHERE {where}", params).fetchone()[0]
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = db.query(
        f"{_SUMMARY_SELECT} WHERE {where} ORDER BY r.received_at DESC, r.id DESC LIMIT ? OFFSET ?",
        [*params, per_page, (page - 1) * per_page],
    )
    items = [_summary(r) for r in rows]
    facets = facet_counts(db, filters, hits=hits) if with_facets else {}
    return ReactionPage(filters, items, total, page, pages, facets)


def facet_counts(db: sqlite_utils.Database, filters: Filters, hits: bool = False) -> dict[str, list[FacetValue]]:
    """For each filter, its values with how many reactions each would show (other filters kept)."""
    out: dict[str, list[FacetValue]] = {}
    queries = {
        "newsletter": ("SELECT coalesce(n.slug, '-') AS value, coalesce(n.title, '') AS label, count(*) AS c"
                       " FROM reactions r LEFT JOIN newsletters n ON n.id = r.newsletter_id WHERE {w}"
                       " GROUP BY r.newsletter_id ORDER BY max(coalesce(n.send_at, n.created_at)) DESC"),
        "theme": ("SELECT coalesce(r.theme_slug, '-') AS value, coalesce(t.name, '') AS label, count(*) AS c"
                  " FROM reactions r LEFT JOIN themes t ON t.slug = r.theme_slug WHERE {w}"
                  " GROUP BY r.theme_slug ORDER BY c DESC"),
        "status": "SELECT r.status AS value, '' AS label, count(*) AS c FROM reactions r WHERE {w} GROUP BY r.status",
        # INDEXED BY: a search would otherwise make SQLite fetch every matching row for its kind.
        "kind": ("SELECT r.kind AS value, '' AS label, count(*) AS c FROM reactions r INDEXED BY reactions_kind"
                 " WHERE {w} GROUP BY r.kind"),
        "tag": ("SELECT g.tag AS value, '' AS label, count(*) AS c FROM reaction_tags g"
                " JOIN reactions r ON r.id = g.reaction_id WHERE {w} GROUP BY g.tag ORDER BY c DESC, g.tag LIMIT 40"),
        "assignee": ("SELECT CASE WHEN r.assignee = '' THEN '-' ELSE r.assignee END AS value, '' AS label,"
                     " count(*) AS c FROM reactions r WHERE {w} GROUP BY r.assignee ORDER BY c DESC"),
    }
    for name, sql in queries.items():
        where, params = _where(filters, skip=name, hits=hits)
        out[name] = [FacetValue(r["value"], r["label"] or r["value"], r["c"])
                     for r in db.query(sql.format(w=where), params)]
    order = {v: i for i, v in enumerate(STATUSES)}
    out["status"].sort(key=lambda fv: order.get(fv.value, 99))
    korder = {v: i for i, v in enumerate(KINDS)}
    out["kind"].sort(key=lambda fv: korder.get(fv.value, 99))
    return out


def iter_view(db: sqlite_utils.Database, filters: Filters) -> Iterator[dict[str, object]]:
    """Every reaction of a view (all pages), newest first, as flat rows for a CSV export."""
    where, params = _where(filters)
    sql = (f"SELECT r.id, r.received_at, r.kind, r.status, n.slug AS newsletter, r.theme_slug AS theme,"
           f" r.from_name, r.from_address, r.subject, r.attribution, r.theme_attribution, r.confidence,"
           f" r.assignee, (SELECT group_concat(tag, ' ') FROM reaction_tags WHERE reaction_id = r.id) AS tags,"
           f" r.reply_text FROM reactions r LEFT JOIN newsletters n ON n.id = r.newsletter_id"
           f" WHERE {where} ORDER BY r.received_at DESC, r.id DESC")
    for row in db.query(sql, params):
        row["tags"] = row["tags"] or ""
        row["newsletter"] = row["newsletter"] or ""
        row["theme"] = row["theme"] or ""
        yield row


def neighbours(db: sqlite_utils.Database, filters: Filters, reaction_id: int) -> tuple[int | None, int | None]:
    """The (newer, older) reaction next to this one in the view, for j/k and "next after done"."""
    here = db.execute("SELECT received_at FROM reactions WHERE id = ?", [reaction_id]).fetchone()
    if here is None:
        return None, None
    where, params = _where(filters)
    newer = db.execute(
        f"SELECT r.id FROM reactions r WHERE {where} AND (r.received_at, r.id) > (?, ?)"
        " ORDER BY r.received_at, r.id LIMIT 1", [*params, here[0], reaction_id]).fetchone()
    older = db.execute(
        f"SELECT r.id FROM reactions r WHERE {where} AND (r.received_at, r.id) < (?, ?)"
        " ORDER BY r.received_at DESC, r.id DESC LIMIT 1", [*params, here[0], reaction_id]).fetchone()
    return (newer[0] if newer else None), (older[0] if older else None)


def get_reaction(db: sqlite_utils.Database, reaction_id: int) -> ReactionDetail:
    """One reaction with who sent it, what they answered, its attachments, notes and history."""
    rows = list(db.query(f"{_SUMMARY_SELECT} WHERE r.id = ?", [reaction_id]))
    if not rows:
        raise NotFound(f"no reaction with id {reaction_id}: it may have been removed; go back to the list")
    summary = _summary(rows[0])
    r = next(db.query(
        "SELECT r.*, m.size AS raw_size FROM reactions r JOIN raw_messages m ON m.id = r.raw_message_id"
        " WHERE r.id = ?", [reaction_id]))
    try:
        bounced = [str(a) for a in json.loads(r["bounced_addresses"] or "[]")]
    except ValueError:
        bounced = []
    return ReactionDetail(
        summary=summary, sent_date=r["sent_date"], attribution=r["attribution"],
        theme_attribution=r["theme_attribution"], confidence=float(r["confidence"] or 0),
        theme_confidence=float(r["theme_confidence"] or 0), token_status=r["token_status"], other_sender=bool(r["other_sender"]),
        reply_text=r["reply_text"], full_text=r["full_text"] or _full_text(db, r["raw_message_id"]),
        html_body=r["html_body"],
        bounced_addresses=bounced, bounce_type=r["bounce_type"], error=r["error"],
        message_id=r["message_id"], raw_size=r["raw_size"],
        sender=_sender(db, r), sections=_sections(db, r["newsletter_id"], r["theme_slug"]),
        attachments=[AttachmentInfo(a["id"], a["reaction_id"], a["filename"], a["content_type"], a["size"])
                     for a in db.query("SELECT id, reaction_id, filename, content_type, size FROM attachments"
                                       " WHERE reaction_id = ? ORDER BY id", [reaction_id])],
        notes=[Note(n["author"], n["body"], n["created_at"]) for n in db.query(
            "SELECT author, body, created_at FROM reaction_notes WHERE reaction_id = ? ORDER BY id", [reaction_id])],
        events=events(db, reaction_id),
    )


def _full_text(db: sqlite_utils.Database, raw_message_id: int) -> str:
    """The whole body as text (quotes and signature included), read from the raw message: the
    inbox keeps the raw bytes once and does not copy this text into the reaction."""
    row = db.execute("SELECT data FROM raw_messages WHERE id = ?", [raw_message_id]).fetchone()
    return parse_message(bytes(row[0])).full_text if row and row[0] else ""


def _sender(db: sqlite_utils.Database, r: dict[str, Any]) -> SenderInfo:
    sub = None
    if r["subscriber_id"]:
        sub = next(db.query("SELECT id, name, email, status, created_at, confirmed_at FROM subscribers"
                            " WHERE id = ?", [r["subscriber_id"]]), None)
    if sub is None and r["from_address"]:
        sub = next(db.query("SELECT id, name, email, status, created_at, confirmed_at FROM subscribers"
                            " WHERE email = ?", [r["from_address"].strip().lower()]), None)
    earlier_rows = db.query(
        f"{_SUMMARY_SELECT} WHERE r.from_address = ? AND r.id != ? AND r.from_address != ''"
        " ORDER BY r.received_at DESC, r.id DESC LIMIT 10", [r["from_address"], r["id"]])
    return SenderInfo(
        subscriber_id=sub["id"] if sub else None, name=(sub["name"] if sub else "") or r["from_name"],
        email=r["from_address"], status=sub["status"] if sub else None,
        since=(sub["confirmed_at"] or sub["created_at"]) if sub else None,
        earlier=[_summary(e) for e in earlier_rows],
    )


def _sections(db: sqlite_utils.Database, newsletter_id: int | None, theme: str | None) -> list[SectionInfo]:
    if newsletter_id is None or theme is None:
        return []
    return [SectionInfo(s["position"], s["heading"], s["body_text"]) for s in db.query(
        "SELECT position, heading, body_text FROM sections WHERE newsletter_id = ? AND theme_slug = ?"
        " ORDER BY position", [newsletter_id, theme])]


def events(db: sqlite_utils.Database, reaction_id: int) -> list[Event]:
    return [Event(e["actor"], e["action"], e["detail"], e["created_at"]) for e in db.query(
        "SELECT actor, action, detail, created_at FROM reaction_events WHERE reaction_id = ? ORDER BY id",
        [reaction_id])]


def raw_message(db: sqlite_utils.Database, reaction_id: int) -> bytes:
    """The message exactly as it arrived."""
    row = db.execute("SELECT m.data FROM reactions r JOIN raw_messages m ON m.id = r.raw_message_id"
                     " WHERE r.id = ?", [reaction_id]).fetchone()
    if row is None:
        raise NotFound(f"no reaction with id {reaction_id}")
    return bytes(row[0])


def attachment(db: sqlite_utils.Database, attachment_id: int) -> Attachment:
    rows = list(db.query("SELECT * FROM attachments WHERE id = ?", [attachment_id]))
    if not rows:
        raise NotFound(f"no attachment with id {attachment_id}")
    a = rows[0]
    return Attachment(a["id"], a["reaction_id"], a["filename"], a["content_type"], a["size"], bytes(a["data"]))


# ---------------------------------------------------------------- actions

def _existing(db: sqlite_utils.Database, ids: Sequence[int]) -> list[dict[str, Any]]:
    ids = [int(i) for i in ids][:1000]
    if not ids:
        raise InvalidInput("no reactions selected: tick one or more reactions first")
    rows = list(db.query(
        "SELECT id, status, newsletter_id, theme_slug, assignee FROM reactions WHERE id IN (%s)"
        % ",".join("?" * len(ids)), ids))
    if not rows:
        raise NotFound("the selected reactions do not exist (any more): reload the list")
    return rows


def _event(db: sqlite_utils.Database, reaction_id: int, actor: str, action: str, detail: str, now: str) -> None:
    db.execute("INSERT INTO reaction_events (reaction_id, actor, action, detail, created_at) VALUES (?,?,?,?,?)",
               [reaction_id, actor, action, detail, now])


def set_status(db: sqlite_utils.Database, ids: Sequence[int], status: str, actor: str) -> int:
    """Move reactions to ``status``; returns how many changed."""
    if status not in STATUSES:
        raise InvalidInput(f"unknown status '{status}': use one of {', '.join(STATUSES)}")
    now, changed = utcnow(), 0
    with _tx(db):
        for r in _existing(db, ids):
            if r["status"] == status:
                continue
            db.execute("UPDATE reactions SET status = ?, updated_at = ? WHERE id = ?", [status, now, r["id"]])
            _event(db, r["id"], actor, "status", f"{r['status']} -> {status}", now)
            changed += 1
    return changed


def refile(db: sqlite_utils.Database, ids: Sequence[int], newsletter_slug: str, theme_slug: str | None,
           actor: str) -> int:
    """File reactions under another newsletter and/or theme by hand (attribution becomes 'manual')."""
    nl = db.execute("SELECT id, slug FROM newsletters WHERE slug = ?", [newsletter_slug]).fetchone()
    if nl is None:
        raise NotFound(f"no newsletter '{newsletter_slug}': pick one from the list")
    theme = theme_slug or None
    if theme is not None:
        ok = db.execute("SELECT 1 FROM sections WHERE newsletter_id = ? AND theme_slug = ?", [nl[0], theme]).fetchone()
        if ok is None:
            raise InvalidInput(f"theme '{theme}' is not part of newsletter '{newsletter_slug}':"
                               " pick one of its themes or 'whole issue'")
    slugs = {row[0]: row[1] for row in db.execute("SELECT id, slug FROM newsletters")}
    now, changed = utcnow(), 0
    with _tx(db):
        for r in _existing(db, ids):
            if r["newsletter_id"] == nl[0] and r["theme_slug"] == theme:
                continue
            db.execute(
                "UPDATE reactions SET newsletter_id = ?, theme_slug = ?, attribution = 'manual',"
                " theme_attribution = 'manual', confidence = 1.0, theme_confidence = 1.0, updated_at = ? WHERE id = ?",
                [nl[0], theme, now, r["id"]])
            before = f"{slugs.get(r['newsletter_id'], '-')}/{r['theme_slug'] or '-'}"
            _event(db, r["id"], actor, "refiled", f"{before} -> {nl[1]}/{theme or '-'}", now)
            changed += 1
    return changed


def normalise_tag(tag: str) -> str:
    clean = " ".join(tag.strip().lower().split())[:40]
    if not clean:
        raise InvalidInput("a tag cannot be empty: type a word, e.g. 'boek'")
    return clean


def add_tag(db: sqlite_utils.Database, ids: Sequence[int], tag: str, actor: str) -> int:
    tag, now, changed = normalise_tag(tag), utcnow(), 0
    with _tx(db):
        for r in _existing(db, ids):
            cur = db.execute("INSERT OR IGNORE INTO reaction_tags (reaction_id, tag) VALUES (?, ?)", [r["id"], tag])
            if cur.rowcount:
                _event(db, r["id"], actor, "tag", tag, now)
                changed += 1
    return changed


def remove_tag(db: sqlite_utils.Database, ids: Sequence[int], tag: str, actor: str) -> int:
    tag, now, changed = normalise_tag(tag), utcnow(), 0
    with _tx(db):
        for r in _existing(db, ids):
            cur = db.execute("DELETE FROM reaction_tags WHERE reaction_id = ? AND tag = ?", [r["id"], tag])
            if cur.rowcount:
                _event(db, r["id"], actor, "untag", tag, now)
                changed += 1
    return changed


def assign(db: sqlite_utils.Database, ids: Sequence[int], assignee: str, actor: str) -> int:
    """Give reactions to a team member ("" = nobody)."""
    assignee = assignee.strip()
    if assignee and db.execute("SELECT 1 FROM users WHERE name = ?", [assignee]).fetchone() is None:
        raise InvalidInput(f"'{assignee}' is not a team member: add them with 'mailer users add {assignee}'")
    now, changed = utcnow(), 0
    with _tx(db):
        for r in _existing(db, ids):
            if r["assignee"] == assignee:
                continue
            db.execute("UPDATE reactions SET assignee = ?, updated_at = ? WHERE id = ?", [assignee, now, r["id"]])
            _event(db, r["id"], actor, "assign", assignee or "-", now)
            changed += 1
    return changed


def add_note(db: sqlite_utils.Database, reaction_id: int, body: str, actor: str) -> None:
    body = body.strip()
    if not body:
        raise InvalidInput("a note cannot be empty: type some text first")
    now = utcnow()
    with _tx(db):
        _existing(db, [reaction_id])
        db.execute("INSERT INTO reaction_notes (reaction_id, author, body, created_at) VALUES (?,?,?,?)",
                   [reaction_id, actor, body[:20000], now])
        _event(db, reaction_id, actor, "note", body[:80], now)


# ---------------------------------------------------------------- newsletters

_NL_SELECT = """
SELECT n.id, n.slug, n.title, n.status, n.send_at, n.finished_at,
       (SELECT count(*) FROM reactions r WHERE r.newsletter_id = n.id AND r.kind = 'reaction') AS reactions,
       (SELECT count(*) FROM reactions r WHERE r.newsletter_id = n.id AND r.kind = 'reaction'
                                         AND r.status = 'nieuw') AS new
FROM newsletters n
"""


def _nl(row: dict[str, Any]) -> NewsletterSummary:
    return NewsletterSummary(row["id"], row["slug"], row["title"], row["status"], row["send_at"],
                             row["finished_at"], row["reactions"], row["new"])


def newsletters(db: sqlite_utils.Database) -> list[NewsletterSummary]:
    """Every newsletter with its state, schedule and reaction counts, newest first."""
    return [_nl(r) for r in db.query(f"{_NL_SELECT} ORDER BY coalesce(n.send_at, n.created_at) DESC, n.id DESC")]


def newsletter_choices(db: sqlite_utils.Database) -> list[tuple[str, str]]:
    """(slug, title) of every newsletter, newest first: the choices of the re-file form."""
    return [(r[0], r[1]) for r in db.execute(
        "SELECT slug, title FROM newsletters ORDER BY coalesce(send_at, created_at) DESC, id DESC")]


def themes_by_newsletter(db: sqlite_utils.Database) -> dict[str, list[tuple[str, str]]]:
    """newsletter slug -> its themes [(slug, name)] in reading order (for the re-file form)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for r in db.query("SELECT n.slug AS nl, s.theme_slug AS slug, coalesce(t.name, s.theme_slug) AS name"
                      " FROM sections s JOIN newsletters n ON n.id = s.newsletter_id"
                      " LEFT JOIN themes t ON t.slug = s.theme_slug WHERE s.theme_slug IS NOT NULL"
                      " ORDER BY n.id, s.position"):
        themes = out.setdefault(r["nl"], [])
        if (r["slug"], r["name"]) not in themes:
            themes.append((r["slug"], r["name"]))
    return out


def overview(db: sqlite_utils.Database, slug: str) -> Overview:
    """Delivery figures and reactions per theme for one newsletter."""
    rows = list(db.query(f"{_NL_SELECT} WHERE n.slug = ?", [slug]))
    if not rows:
        raise NotFound(f"no newsletter '{slug}': see the newsletters page for the list")
    nl = _nl(rows[0])
    deliveries = {r["status"]: r["c"] for r in db.query(
        "SELECT status, count(*) AS c FROM deliveries WHERE newsletter_id = ? GROUP BY status", [nl.id])}
    started = db.execute("SELECT coalesce(started_at, send_at) FROM newsletters WHERE id = ?", [nl.id]).fetchone()[0]
    unsub = 0
    if started:
        unsub = db.execute(
            "SELECT count(*) FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id"
            " WHERE d.newsletter_id = ? AND s.unsubscribed_at IS NOT NULL AND s.unsubscribed_at >= ?"
            " AND s.status IN ('unsubscribed', 'complained', 'forgotten')", [nl.id, started]).fetchone()[0]
    counts = {r["theme_slug"]: r["c"] for r in db.query(
        "SELECT theme_slug, count(*) AS c FROM reactions WHERE newsletter_id = ? AND kind = 'reaction'"
        " GROUP BY theme_slug", [nl.id])}
    per_theme: list[ThemeCount] = []
    for tslug, name in themes_by_newsletter_one(db, nl.id):
        per_theme.append(ThemeCount(tslug, name, counts.pop(tslug, 0)))
    for tslug, c in counts.items():  # re-filed to a theme no longer in the issue, or the whole issue
        per_theme.append(ThemeCount(tslug, tslug or "", c))
    per_kind = {r["kind"]: r["c"] for r in db.query(
        "SELECT kind, count(*) AS c FROM reactions WHERE newsletter_id = ? GROUP BY kind", [nl.id])}
    per_status = {r["status"]: r["c"] for r in db.query(
        "SELECT status, count(*) AS c FROM reactions WHERE newsletter_id = ? AND kind = 'reaction'"
        " GROUP BY status", [nl.id])}
    return Overview(nl, deliveries, unsub, per_theme, per_kind, per_status)


def themes_by_newsletter_one(db: sqlite_utils.Database, newsletter_id: int) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    for r in db.query("SELECT s.theme_slug AS slug, coalesce(t.name, s.theme_slug) AS name FROM sections s"
                      " LEFT JOIN themes t ON t.slug = s.theme_slug WHERE s.newsletter_id = ?"
                      " AND s.theme_slug IS NOT NULL ORDER BY s.position", [newsletter_id]):
        if (r["slug"], r["name"]) not in seen:
            seen.append((r["slug"], r["name"]))
    return seen
