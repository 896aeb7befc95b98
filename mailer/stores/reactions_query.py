"""Listing reactions: the one query builder behind every list of them.

The team's list with its total and counts per filter value, the CSV export, the j/k neighbours
and a sender's earlier letters in the reading pane, ``mailer reactions list`` and the demo's
table all build their WHERE clause here, from one ``ReactionFilter``. Full-text search:
reactions_search.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import sqlite_utils

from ..errors import InvalidInput
from .reactions_search import Search, fts_query

STATUSES = ("nieuw", "in_behandeling", "afgehandeld", "gearchiveerd")
KINDS = ("reaction", "auto_reply", "bounce", "other")
# What the team's default view shows: auto-replies, bounces and "other" are one click away.
DEFAULT_KINDS = ("reaction",)
NONE = "-"  # filter value for "not set" (no newsletter, no theme, nobody assigned)
FACETS = ("newsletter", "theme", "status", "kind", "tag", "assignee")
PER_PAGE = 50
NEWEST_FIRST = "ORDER BY r.received_at DESC, r.id DESC"
OLDEST_FIRST = "ORDER BY r.received_at, r.id"
# The team's queue: what still needs work. "all" (or empty) is every status.
OPEN_STATUSES = ("nieuw", "in_behandeling")
STATUS_VIEWS = (*STATUSES, "open", "all")
ORDERS = ("newest", "oldest")
HIT_START, HIT_END = "\x02", "\x03"  # around the searched words in a passage; never HTML
# Permission to quote (0019_quotes.sql's quote_states): "approved" is with name or anonymous.
QUOTE_VIEWS = ("approved", "named", "anonymous", "asked", "refused", "no_answer")
# Below this, a newsletter or theme match is "uncertain" (a subject line or the sender's latest issue).
LOW_CONFIDENCE = 0.7


@dataclass(frozen=True)
class ReactionFilter:
    """Which reactions to list. Empty strings mean "any"; ``kind`` empty means the default kinds,
    "all" every kind; ``NONE`` ("-") for newsletter, theme or assignee means "not set"."""

    newsletter: str = ""    # slug
    theme: str = ""         # slug
    status: str = ""
    kind: str = ""
    tag: str = ""
    assignee: str = ""
    q: str = ""             # words to search for
    sender: str = ""        # exact from address
    uncertain: str = ""     # "1": only reactions filed with low confidence
    order: str = ""         # "newest" (default) or "oldest" first
    quote: str = ""         # permission to quote: one of QUOTE_VIEWS

    def __post_init__(self) -> None:
        if self.status and self.status not in STATUS_VIEWS:
            raise InvalidInput("unknown status '%(status)s': use one of %(statuses)s", status=self.status, statuses=', '.join(STATUS_VIEWS))
        if self.order and self.order not in ORDERS:
            raise InvalidInput("unknown order '%(order)s': use one of %(orders)s", order=self.order, orders=', '.join(ORDERS))
        if self.quote and self.quote not in QUOTE_VIEWS:
            raise InvalidInput("unknown quote state '%(state)s': use one of %(states)s", state=self.quote,
                               states=', '.join(QUOTE_VIEWS))
        if self.kind and self.kind not in (*KINDS, "all"):
            raise InvalidInput("unknown kind '%(kind)s': use one of %(kinds)s", kind=self.kind, kinds=', '.join(KINDS))


EVERY_KIND = ReactionFilter(kind="all")


@dataclass(frozen=True)
class ReactionSummary:
    """One line of the team's list."""

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
    sent_date: str | None = None      # the reader's Date header (UTC), when it was readable
    attribution: str = "none"
    confidence: float = 0.0
    theme_confidence: float = 0.0
    passage: str = ""                  # search only: the matching passage, words between \x02 and \x03

    @property
    def written_at(self) -> str:
        """When the reader wrote: the Date header, else when the message arrived."""
        return self.sent_date or self.received_at

    @property
    def uncertain(self) -> bool:
        """Filed with low confidence for the newsletter or the theme (never after filing by hand)."""
        return self.attribution != "manual" and (
            self.confidence < LOW_CONFIDENCE or (self.theme_slug is not None and self.theme_confidence < LOW_CONFIDENCE))


@dataclass(frozen=True)
class FacetValue:
    value: str   # what goes into the filter ("-" for not set)
    label: str
    count: int


@dataclass(frozen=True)
class ReactionPage:
    filters: ReactionFilter
    items: list[ReactionSummary]
    total: int
    page: int
    pages: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)


@dataclass(frozen=True)
class ReactionRow:
    """One reaction with how it was filed (``mailer reactions list``)."""

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


# ---------------------------------------------------------------- the builder

# Filed with low confidence: a generated column (0024_uncertain_column.sql, with LOW_CONFIDENCE).
UNCERTAIN = "r.uncertain"


def order_by(f: ReactionFilter) -> str:
    return OLDEST_FIRST if f.order == "oldest" else NEWEST_FIRST


def where(f: ReactionFilter, skip: str = "", search: Search | None = None) -> tuple[str, list[object]]:
    """SQL conditions (on alias r) and their parameters for a filter; ``skip`` leaves one facet
    out (for its counts); ``search``: the filter's words as loaded on this connection (otherwise
    the full-text query runs inside the statement)."""
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
    if skip != "status" and f.status == "open":
        conds.append("r.status IN (%s)" % ",".join("?" * len(OPEN_STATUSES)))
        params.extend(OPEN_STATUSES)
    elif skip != "status" and f.status and f.status != "all":
        conds.append("r.status = ?")
        params.append(f.status)
    if skip != "uncertain" and f.uncertain:
        conds.append(UNCERTAIN)
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
    if skip != "quote" and f.quote:
        conds.append("r.id IN (SELECT reaction_id FROM quote_states WHERE state IN (SELECT value FROM json_each(?)))")
        params.append(json.dumps(["named", "anonymous"] if f.quote == "approved" else [f.quote]))
    if f.sender:
        conds.append("r.from_address = ?")
        params.append(f.sender)
    if f.q and search is not None:
        found, found_params = search.condition()
        conds.append(found)
        params.extend(found_params)
    elif f.q:
        match = fts_query(f.q)
        if match:
            conds.append("r.id IN (SELECT rowid FROM reactions_fts WHERE reactions_fts MATCH ?)")
            params.append(match)
    return (" AND ".join(conds) or "1"), params


SUMMARY_SELECT = """
SELECT r.id, r.received_at, r.kind, r.status, r.from_name, r.from_address, r.subject,
       substr(CASE WHEN r.reply_text != '' THEN r.reply_text ELSE r.full_text END, 1, 180) AS snippet,
       n.slug AS newsletter_slug, n.title AS newsletter_title, r.theme_slug, t.name AS theme_name,
       r.assignee, r.sent_date, r.attribution, r.confidence, r.theme_confidence,
       (SELECT group_concat(tag, char(31)) FROM reaction_tags WHERE reaction_id = r.id) AS tags,
       (SELECT count(*) FROM attachments WHERE reaction_id = r.id) AS attachments
FROM reactions r
LEFT JOIN newsletters n ON n.id = r.newsletter_id
LEFT JOIN themes t ON t.slug = r.theme_slug
"""


def summary_of(row: dict[str, Any]) -> ReactionSummary:
    tags = tuple(sorted(row["tags"].split("\x1f"))) if row["tags"] else ()
    return ReactionSummary(
        id=row["id"], received_at=row["received_at"], kind=row["kind"], status=row["status"],
        from_name=row["from_name"], from_address=row["from_address"], subject=row["subject"],
        snippet=" ".join((row["snippet"] or "").split()), newsletter_slug=row["newsletter_slug"],
        newsletter_title=row["newsletter_title"], theme_slug=row["theme_slug"],
        theme_name=row["theme_name"], assignee=row["assignee"], tags=tags,
        attachments=row["attachments"], sent_date=row["sent_date"], attribution=row["attribution"],
        confidence=float(row["confidence"] or 0), theme_confidence=float(row["theme_confidence"] or 0),
        passage=row.get("passage") or "",
    )


# ---------------------------------------------------------------- lists

def summaries(db: sqlite_utils.Database, filters: ReactionFilter, limit: int) -> list[ReactionSummary]:
    """The newest ``limit`` reactions of a filter, as list lines (no total, no counts)."""
    cond, params = where(filters)
    return [summary_of(r) for r in db.query(f"{SUMMARY_SELECT} WHERE {cond} {order_by(filters)} LIMIT ?",
                                          [*params, limit])]


def summary(db: sqlite_utils.Database, reaction_id: int) -> ReactionSummary | None:
    rows = list(db.query(f"{SUMMARY_SELECT} WHERE r.id = ?", [reaction_id]))
    return summary_of(rows[0]) if rows else None


# ---------------------------------------------------------------- by id range (digest, webhook)

def latest_id(db: sqlite_utils.Database) -> int:
    """The highest reaction id so far (0 when there is none): ids only grow, so a range of ids
    ``after < id <= upto`` is a fixed set of filed reactions."""
    return int(db.execute("SELECT coalesce(max(id), 0) FROM reactions").fetchone()[0])


def ids_between(db: sqlite_utils.Database, filters: ReactionFilter, after_id: int, upto_id: int) -> list[int]:
    """The ids of a filter's reactions with ``after_id < id <= upto_id``, oldest first."""
    cond, params = where(filters)
    return [int(r[0]) for r in db.execute(
        f"SELECT r.id FROM reactions r WHERE {cond} AND r.id > ? AND r.id <= ? ORDER BY r.id",
        [*params, after_id, upto_id])]


def summaries_between(db: sqlite_utils.Database, filters: ReactionFilter, after_id: int, upto_id: int,
                      limit: int) -> list[ReactionSummary]:
    """At most ``limit`` of a filter's reactions with ``after_id < id <= upto_id``, oldest first."""
    cond, params = where(filters)
    return [summary_of(r) for r in db.query(
        f"{SUMMARY_SELECT} WHERE {cond} AND r.id > ? AND r.id <= ? ORDER BY r.id LIMIT ?",
        [*params, after_id, upto_id, limit])]


def theme_counts_between(db: sqlite_utils.Database, filters: ReactionFilter, after_id: int,
                         upto_id: int) -> list[FacetValue]:
    """Per theme ("-" for none), how many of a filter's reactions have ``after_id < id <= upto_id``."""
    cond, params = where(filters, skip="theme")
    return [FacetValue(r["value"], r["label"] or r["value"], r["c"]) for r in db.query(
        "SELECT coalesce(r.theme_slug, '-') AS value, coalesce(t.name, '') AS label, count(*) AS c"
        f" FROM reactions r LEFT JOIN themes t ON t.slug = r.theme_slug WHERE {cond}"
        " AND r.id > ? AND r.id <= ? GROUP BY r.theme_slug ORDER BY c DESC, value",
        [*params, after_id, upto_id])]


def list_rows(db: sqlite_utils.Database, filters: ReactionFilter = EVERY_KIND,
              limit: int | None = None) -> list[ReactionRow]:
    """Reactions of a filter (by default every reaction of every kind), newest first, with how
    each was filed."""
    cond, params = where(filters)
    sql = (
        "SELECT r.id, r.kind, r.status, r.received_at, r.from_address, r.from_name, r.subject, n.slug,"
        " r.theme_slug, r.attribution, r.theme_attribution, r.confidence, r.theme_confidence, r.token_status,"
        " r.other_sender, r.reply_text, r.bounced_addresses, r.bounce_type, r.error"
        f" FROM reactions r LEFT JOIN newsletters n ON n.id = r.newsletter_id WHERE {cond} {NEWEST_FIRST}"
        + (" LIMIT ?" if limit else "")
    )
    return [
        ReactionRow(
            id=r[0], kind=r[1], status=r[2], received_at=r[3], from_address=r[4], from_name=r[5], subject=r[6],
            newsletter=r[7], theme=r[8], attribution=r[9], theme_attribution=r[10], confidence=r[11],
            theme_confidence=r[12], token_status=r[13], other_sender=bool(r[14]), reply_text=r[15],
            bounced_addresses=tuple(json.loads(r[16] or "[]")), bounce_type=r[17], error=r[18],
        )
        for r in db.execute(sql, [*params, limit] if limit else params).fetchall()
    ]


def export_rows(db: sqlite_utils.Database, filters: ReactionFilter) -> Iterator[dict[str, object]]:
    """Every reaction of a filter (all pages), newest first, as flat rows for a CSV export."""
    cond, params = where(filters)
    sql = (f"SELECT r.id, coalesce(r.sent_date, '') AS sent_date, r.received_at, r.kind, r.status, n.slug AS newsletter, r.theme_slug AS theme,"
           f" r.from_name, r.from_address, r.subject, r.attribution, r.theme_attribution, r.confidence,"
           f" r.assignee, (SELECT group_concat(tag, ' ') FROM reaction_tags WHERE reaction_id = r.id) AS tags,"
           f" r.reply_text FROM reactions r LEFT JOIN newsletters n ON n.id = r.newsletter_id"
           f" WHERE {cond} {NEWEST_FIRST}")
    for row in db.query(sql, params):
        row["tags"] = row["tags"] or ""
        row["newsletter"] = row["newsletter"] or ""
        row["theme"] = row["theme"] or ""
        yield row


def neighbours(db: sqlite_utils.Database, filters: ReactionFilter,
               reaction_id: int) -> tuple[int | None, int | None]:
    """The (newer, older) reaction next to this one in a filter's list; the reaction itself need
    not be in the list (it may just have left it), its place in time is enough."""
    here = db.execute("SELECT received_at FROM reactions WHERE id = ?", [reaction_id]).fetchone()
    if here is None:
        return None, None
    cond, params = where(filters)
    newer = db.execute(
        f"SELECT r.id FROM reactions r WHERE {cond} AND (r.received_at, r.id) > (?, ?) {OLDEST_FIRST} LIMIT 1",
        [*params, here[0], reaction_id]).fetchone()
    older = db.execute(
        f"SELECT r.id FROM reactions r WHERE {cond} AND (r.received_at, r.id) < (?, ?) {NEWEST_FIRST} LIMIT 1",
        [*params, here[0], reaction_id]).fetchone()
    return (newer[0] if newer else None), (older[0] if older else None)


# ---------------------------------------------------------------- totals

def attribution_summary(db: sqlite_utils.Database) -> list[dict[str, object]]:
    """Reactions per newsletter, theme, kind and attribution method (the demo's table).

    Each dict: newsletter (slug or None), theme (slug or None), theme_name (its name, else the slug),
    kind, attribution, theme_attribution, count.
    """
    rows = db.execute(
        "SELECT n.slug, r.theme_slug, r.kind, r.attribution, r.theme_attribution, COUNT(*),"
        " coalesce(max(t.name), r.theme_slug)"
        " FROM reactions r LEFT JOIN newsletters n ON n.id = r.newsletter_id LEFT JOIN themes t ON t.slug = r.theme_slug"
        " GROUP BY n.slug, r.theme_slug, r.kind, r.attribution, r.theme_attribution"
        " ORDER BY n.slug IS NULL, n.slug, r.kind != 'reaction', r.kind, r.theme_slug IS NULL, r.theme_slug,"
        " r.attribution"
    ).fetchall()
    return [
        {"newsletter": r[0], "theme": r[1], "theme_name": r[6], "kind": r[2], "attribution": r[3],
         "theme_attribution": r[4], "count": r[5]}
        for r in rows
    ]


def counts(db: sqlite_utils.Database) -> dict[str, int]:
    """Number of raw messages and reactions (for reports and tests)."""
    raw = db.execute("SELECT COUNT(*) FROM raw_messages").fetchone()[0]
    filed = db.execute("SELECT COUNT(*) FROM reactions").fetchone()[0]
    return {"raw_messages": int(raw), "reactions": int(filed)}
