"""What the team does to reactions, on one or many at once: status, re-file, tags, assignee,
notes. Each change is recorded in the reaction's history with who and when."""

from __future__ import annotations

from collections.abc import Sequence

import sqlite_utils

from ..db import transaction, utcnow
from ..errors import InvalidInput, NotFound
from ..stores import newsletters, reactions, users
from ..stores.reactions import STATUSES


def set_status(db: sqlite_utils.Database, ids: Sequence[int], status: str, actor: str) -> int:
    """Move reactions to ``status``; returns how many changed."""
    if status not in STATUSES:
        raise InvalidInput(f"unknown status '{status}': use one of {', '.join(STATUSES)}")
    now, changed = utcnow(), 0
    with transaction(db):
        for r in reactions.filings(db, ids):
            if r.status == status:
                continue
            reactions.set_status(db, r.id, status, now)
            reactions.record_event(db, r.id, actor, "status", f"{r.status} -> {status}", now)
            changed += 1
    return changed


def refile(db: sqlite_utils.Database, ids: Sequence[int], newsletter_slug: str, theme_slug: str | None,
           actor: str) -> int:
    """File reactions under another newsletter and/or theme by hand (attribution becomes 'manual')."""
    nl = newsletters.find(db, newsletter_slug)
    if nl is None:
        raise NotFound(f"no newsletter '{newsletter_slug}': pick one from the list")
    theme = theme_slug or None
    if theme is not None and theme not in newsletters.theme_slugs(db, nl.id):
        raise InvalidInput(f"theme '{theme}' is not part of newsletter '{newsletter_slug}':"
                           " pick one of its themes or 'whole issue'")
    slugs = {n.id: n.slug for n in newsletters.list_all(db)}
    now, changed = utcnow(), 0
    with transaction(db):
        for r in reactions.filings(db, ids):
            if r.newsletter_id == nl.id and r.theme_slug == theme:
                continue
            reactions.set_filing(db, r.id, nl.id, theme, now)
            before_nl = slugs[r.newsletter_id] if r.newsletter_id in slugs else "-"
            before = f"{before_nl}/{r.theme_slug or '-'}"
            reactions.record_event(db, r.id, actor, "refiled", f"{before} -> {nl.slug}/{theme or '-'}", now)
            changed += 1
    return changed


def normalise_tag(tag: str) -> str:
    clean = " ".join(tag.strip().lower().split())[:40]
    if not clean:
        raise InvalidInput("a tag cannot be empty: type a word, e.g. 'boek'")
    return clean


def add_tag(db: sqlite_utils.Database, ids: Sequence[int], tag: str, actor: str) -> int:
    tag, now, changed = normalise_tag(tag), utcnow(), 0
    with transaction(db):
        for r in reactions.filings(db, ids):
            if reactions.add_tag(db, r.id, tag):
                reactions.record_event(db, r.id, actor, "tag", tag, now)
                changed += 1
    return changed


def remove_tag(db: sqlite_utils.Database, ids: Sequence[int], tag: str, actor: str) -> int:
    tag, now, changed = normalise_tag(tag), utcnow(), 0
    with transaction(db):
        for r in reactions.filings(db, ids):
            if reactions.remove_tag(db, r.id, tag):
                reactions.record_event(db, r.id, actor, "untag", tag, now)
                changed += 1
    return changed


def assign(db: sqlite_utils.Database, ids: Sequence[int], assignee: str, actor: str) -> int:
    """Give reactions to a team member ("" = nobody); returns how many changed."""
    assignee = assignee.strip()
    if assignee and not users.name_taken(db, assignee):
        raise InvalidInput(f"'{assignee}' is not a team member: add them with 'mailer users add {assignee}'")
    now, changed = utcnow(), 0
    with transaction(db):
        for r in reactions.filings(db, ids):
            if r.assignee == assignee:
                continue
            reactions.set_assignee(db, r.id, assignee, now)
            reactions.record_event(db, r.id, actor, "assign", assignee or "-", now)
            changed += 1
    return changed


def add_note(db: sqlite_utils.Database, reaction_id: int, body: str, actor: str) -> None:
    body = body.strip()
    if not body:
        raise InvalidInput("a note cannot be empty: type some text first")
    now = utcnow()
    with transaction(db):
        reactions.filings(db, [reaction_id])
        reactions.add_note(db, reaction_id, actor, body[:20000], now)
        reactions.record_event(db, reaction_id, actor, "note", body[:80], now)
