"""The newsletter store: newsletters, their themes and sections, and the service's event log.

The Markdown file is the source of the content; the database holds what was sent and its state
(draft | scheduled | sending | paused | sent | failed | missed) and is the queue for what is due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlite_utils

from ..compose.model import Newsletter
from ..db import transaction, utcnow
from ..errors import NotFound

STATES = ("draft", "scheduled", "sending", "paused", "sent", "failed", "missed")


@dataclass(frozen=True)
class NewsletterRow:
    id: int
    slug: str
    title: str
    subject: str
    status: str
    send_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    status_reason: str
    language: str


@dataclass(frozen=True)
class SectionRow:
    newsletter_id: int
    position: int
    theme_slug: str | None
    heading: str
    body_text: str


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _row(r: dict[str, Any]) -> NewsletterRow:
    return NewsletterRow(
        id=r["id"], slug=r["slug"], title=r["title"], subject=r["subject"], status=r["status"],
        send_at=_dt(r["send_at"]), started_at=_dt(r["started_at"]), finished_at=_dt(r["finished_at"]),
        status_reason=r["status_reason"], language=r["language"],
    )


def iso_utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: give a time zone")
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def sync(db: sqlite_utils.Database, nl: Newsletter) -> NewsletterRow:
    """Insert or update the newsletter's row, themes and sections from its parsed file.

    Content and sections follow the file; state and schedule stay as they are.
    """
    now = utcnow()
    with transaction(db):
        existing = db.execute("SELECT id FROM newsletters WHERE slug = ?", [nl.slug]).fetchone()
        if existing:
            nid = existing[0]
            db.execute(
                "UPDATE newsletters SET title=?, subject=?, preheader=?, source_path=?, source_sha256=?,"
                " language=?, updated_at=? WHERE id=?",
                [nl.title, nl.subject, nl.preheader, str(nl.source_path or ""), nl.source_sha256,
                 nl.language, now, nid],
            )
        else:
            cur = db.execute(
                "INSERT INTO newsletters (slug, title, subject, preheader, source_path, source_sha256,"
                " language, status, created_at, updated_at) VALUES (?,?,?,?,?,?,?, 'draft', ?, ?)",
                [nl.slug, nl.title, nl.subject, nl.preheader, str(nl.source_path or ""),
                 nl.source_sha256, nl.language, now, now],
            )
            nid = int(cur.lastrowid or 0)
        for theme in nl.themes:
            db.execute(
                "INSERT INTO themes (slug, name) VALUES (?, ?) ON CONFLICT(slug) DO UPDATE SET name=excluded.name",
                [theme.slug, theme.name],
            )
        db.execute("DELETE FROM sections WHERE newsletter_id = ?", [nid])
        for s in nl.sections:
            db.execute(
                "INSERT INTO sections (newsletter_id, position, theme_slug, heading, body_text) VALUES (?,?,?,?,?)",
                [nid, s.position, s.theme, s.heading, s.text],
            )
    return get_by_id(db, nid)


def get(db: sqlite_utils.Database, slug: str) -> NewsletterRow:
    row = db.execute("SELECT id FROM newsletters WHERE slug = ?", [slug]).fetchone()
    if row is None:
        raise NotFound("no newsletter '%(slug)s' in the database: run 'mailer newsletters "
                       "list' to see the slugs", slug=slug)
    return get_by_id(db, row[0])


def get_by_id(db: sqlite_utils.Database, newsletter_id: int) -> NewsletterRow:
    rows = list(db.query("SELECT * FROM newsletters WHERE id = ?", [newsletter_id]))
    if not rows:
        raise NotFound("no newsletter with id %(newsletter_id)s", newsletter_id=newsletter_id)
    return _row(rows[0])


def find(db: sqlite_utils.Database, slug: str) -> NewsletterRow | None:
    rows = list(db.query("SELECT * FROM newsletters WHERE slug = ?", [slug]))
    return _row(rows[0]) if rows else None


def list_all(db: sqlite_utils.Database) -> list[NewsletterRow]:
    return [_row(r) for r in db.query("SELECT * FROM newsletters ORDER BY COALESCE(send_at, created_at) DESC, id DESC")]


@dataclass(frozen=True)
class NewsletterRef:
    """A newsletter as a reply is matched with it."""

    id: int
    slug: str
    title: str
    subject: str
    sent_at: str | None = None  # when it started going out; None for drafts and test sends only


def refs(db: sqlite_utils.Database) -> list[NewsletterRef]:
    """All newsletters, newest first (sent ones by send time); ``sent_at`` is set for those that
    went out to at least one subscriber."""
    return [
        NewsletterRef(*r) for r in db.execute(
            "SELECT n.id, n.slug, n.title, n.subject, CASE WHEN EXISTS (SELECT 1 FROM deliveries d"
            " WHERE d.newsletter_id = n.id AND d.sent_at IS NOT NULL) THEN COALESCE(n.started_at,"
            " (SELECT MIN(d.sent_at) FROM deliveries d WHERE d.newsletter_id = n.id)) END"
            " FROM newsletters n ORDER BY COALESCE(n.finished_at, n.started_at, n.send_at, n.created_at) DESC, n.id DESC"
        ).fetchall()
    ]


def sections(db: sqlite_utils.Database, newsletter_id: int) -> list[SectionRow]:
    return [
        SectionRow(r["newsletter_id"], r["position"], r["theme_slug"], r["heading"], r["body_text"])
        for r in db.query("SELECT * FROM sections WHERE newsletter_id = ? ORDER BY position", [newsletter_id])
    ]


def themes_of(db: sqlite_utils.Database, newsletter_id: int) -> list[tuple[str, str]]:
    """(slug, name) of a newsletter's themes in reading order."""
    seen: list[tuple[str, str]] = []
    for r in db.query("SELECT s.theme_slug AS slug, coalesce(t.name, s.theme_slug) AS name FROM sections s"
                      " LEFT JOIN themes t ON t.slug = s.theme_slug WHERE s.newsletter_id = ?"
                      " AND s.theme_slug IS NOT NULL ORDER BY s.position", [newsletter_id]):
        if (r["slug"], r["name"]) not in seen:
            seen.append((r["slug"], r["name"]))
    return seen


def theme_choices(db: sqlite_utils.Database) -> list[tuple[str, str]]:
    """(slug, name) of every known theme by name, for the sign-up and preferences forms."""
    return [(r[0], r[1]) for r in db.execute("SELECT slug, name FROM themes ORDER BY name")]


def themes_by_newsletter(db: sqlite_utils.Database) -> dict[str, list[tuple[str, str]]]:
    """newsletter slug -> its themes [(slug, name)] in reading order."""
    out: dict[str, list[tuple[str, str]]] = {}
    for r in db.query("SELECT n.slug AS nl, s.theme_slug AS slug, coalesce(t.name, s.theme_slug) AS name"
                      " FROM sections s JOIN newsletters n ON n.id = s.newsletter_id"
                      " LEFT JOIN themes t ON t.slug = s.theme_slug WHERE s.theme_slug IS NOT NULL"
                      " ORDER BY n.id, s.position"):
        themes = out.setdefault(r["nl"], [])
        if (r["slug"], r["name"]) not in themes:
            themes.append((r["slug"], r["name"]))
    return out


def theme_slugs(db: sqlite_utils.Database, newsletter_id: int) -> list[str]:
    """Themes of a newsletter in first-appearance order (theme index n = element n-1)."""
    seen: list[str] = []
    for s in sections(db, newsletter_id):
        if s.theme_slug and s.theme_slug not in seen:
            seen.append(s.theme_slug)
    return seen


def set_status(db: sqlite_utils.Database, newsletter_id: int, status: str, reason: str = "", **times: str | None) -> None:
    """Move a newsletter to ``status``; ``times`` may set send_at, started_at, finished_at."""
    if status not in STATES:
        raise ValueError(status)
    assignments = ["status = ?", "status_reason = ?", "updated_at = ?"]
    params: list[object] = [status, reason, utcnow()]
    for key, value in times.items():
        if key not in ("send_at", "started_at", "finished_at"):
            raise ValueError(key)
        assignments.append(f"{key} = ?")
        params.append(value)
    params.append(newsletter_id)
    with db.conn:
        db.execute(f"UPDATE newsletters SET {', '.join(assignments)} WHERE id = ?", params)


def log_event(db: sqlite_utils.Database, message: str, newsletter_id: int | None = None, level: str = "info") -> None:
    with db.conn:
        db.execute(
            "INSERT INTO events (newsletter_id, level, message, created_at) VALUES (?,?,?,?)",
            [newsletter_id, level, message, utcnow()],
        )

