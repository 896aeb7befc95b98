"""What the team does to reactions, on one or many at once: status, kind, re-file, tags,
assignee, notes. Each change is recorded in the reaction's history with who and when, and with
what it replaced, so that it can be undone."""

from __future__ import annotations

from collections.abc import Sequence

import sqlite_utils

from ..db import transaction, utcnow
from ..errors import InvalidInput, NotFound
from ..stores import newsletters, reactions, users
from ..stores.reactions import KINDS, STATUSES, Event


def set_status(db: sqlite_utils.Database, ids: Sequence[int], status: str, actor: str) -> list[int]:
    """Move reactions to ``status``; returns the history entries of those that changed."""
    if status not in STATUSES:
        raise InvalidInput(f"unknown status '{status}': use one of {', '.join(STATUSES)}")
    now, changed = utcnow(), []
    with transaction(db):
        for r in reactions.filings(db, ids):
            if r.status == status:
                continue
            reactions.set_status(db, r.id, status, now)
            changed.append(reactions.record_event(db, r.id, actor, "status", f"{r.status} -> {status}", now,
                                                  {"status": r.status}))
    return changed


def set_kind(db: sqlite_utils.Database, ids: Sequence[int], kind: str, actor: str) -> list[int]:
    """Correct what a message is (a reaction filed as auto-reply, spam filed as a reaction)."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown kind '{kind}': use one of {', '.join(KINDS)}")
    now, changed = utcnow(), []
    with transaction(db):
        for r in reactions.filings(db, ids):
            if r.kind == kind:
                continue
            reactions.set_kind(db, r.id, kind, now)
            changed.append(reactions.record_event(db, r.id, actor, "kind", f"{r.kind} -> {kind}", now,
                                                  {"kind": r.kind}))
    return changed


def refile(db: sqlite_utils.Database, ids: Sequence[int], newsletter_slug: str, theme_slug: str | None,
           actor: str) -> list[int]:
    """File reactions under another newsletter and/or theme by hand (attribution becomes 'manual')."""
    if not newsletter_slug:
        raise InvalidInput("choose where to file the reaction first: nothing was changed")
    nl = newsletters.find(db, newsletter_slug)
    if nl is None:
        raise NotFound(f"no newsletter '{newsletter_slug}': pick one from the list")
    theme = theme_slug or None
    if theme is not None and theme not in newsletters.theme_slugs(db, nl.id):
        raise InvalidInput(f"theme '{theme}' is not part of newsletter '{newsletter_slug}':"
                           " pick one of its themes or 'whole issue'")
    slugs = {n.id: n.slug for n in newsletters.list_all(db)}
    now, changed = utcnow(), []
    with transaction(db):
        for r in reactions.filings(db, ids):
            if r.newsletter_id == nl.id and r.theme_slug == theme:
                continue
            reactions.set_filing(db, r.id, nl.id, theme, now)
            before_nl = slugs[r.newsletter_id] if r.newsletter_id in slugs else "-"
            before = f"{before_nl}/{r.theme_slug or '-'}"
            previous = {"newsletter_id": r.newsletter_id, "theme_slug": r.theme_slug, "attribution": r.attribution,
                        "theme_attribution": r.theme_attribution, "confidence": r.confidence,
                        "theme_confidence": r.theme_confidence}
            changed.append(reactions.record_event(
                db, r.id, actor, "refiled", f"{before} -> {nl.slug}/{theme or '-'}", now, previous))
    return changed


def normalise_tag(tag: str) -> str:
    clean = " ".join(tag.strip().lower().split())[:40]
    if not clean:
        raise InvalidInput("a tag cannot be empty: type a word, e.g. 'boek'")
    return clean


def add_tag(db: sqlite_utils.Database, ids: Sequence[int], tag: str, actor: str) -> list[int]:
    tag, now, changed = normalise_tag(tag), utcnow(), []
    with transaction(db):
        for r in reactions.filings(db, ids):
            if reactions.add_tag(db, r.id, tag):
                changed.append(reactions.record_event(db, r.id, actor, "tag", tag, now, {"tag": tag}))
    return changed


def remove_tag(db: sqlite_utils.Database, ids: Sequence[int], tag: str, actor: str) -> list[int]:
    tag, now, changed = normalise_tag(tag), utcnow(), []
    with transaction(db):
        for r in reactions.filings(db, ids):
            if reactions.remove_tag(db, r.id, tag):
                changed.append(reactions.record_event(db, r.id, actor, "untag", tag, now, {"tag": tag}))
    return changed


def assign(db: sqlite_utils.Database, ids: Sequence[int], assignee: str, actor: str) -> list[int]:
    """Give reactions to a team member ("" = nobody); returns the history entries of the changes."""
    assignee = assignee.strip()
    if assignee and not users.name_taken(db, assignee):
        raise InvalidInput(f"'{assignee}' is not a team member: add them with 'mailer users add {assignee}'")
    now, changed = utcnow(), []
    with transaction(db):
        for r in reactions.filings(db, ids):
            if r.assignee == assignee:
                continue
            reactions.set_assignee(db, r.id, assignee, now)
            changed.append(reactions.record_event(db, r.id, actor, "assign", assignee or "-", now,
                                                  {"assignee": r.assignee}))
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


def undo(db: sqlite_utils.Database, event_ids: Sequence[int], actor: str) -> list[Event]:
    """Undo changes from the history, newest first; returns the changes undone. A change that was
    undone already, or cannot be (a note), raises ``InvalidInput`` and nothing changes."""
    now, done = utcnow(), []
    with transaction(db):
        for e in sorted((reactions.event(db, int(i)) for i in event_ids), key=lambda ev: ev.id, reverse=True):
            if not e.undoable:
                raise InvalidInput("this change was undone already or cannot be undone: reload the page")
            if e.action == "tag":
                reactions.remove_tag(db, e.reaction_id, str(e.previous.get("tag", "")))
            elif e.action == "untag":
                reactions.add_tag(db, e.reaction_id, str(e.previous.get("tag", "")))
            else:
                reactions.restore(db, e.reaction_id, e.previous, now)
            reactions.mark_undone(db, e.id, now)
            reactions.record_event(db, e.reaction_id, actor, "undo", f"{e.action}: {e.detail}", now)
            done.append(e)
    return done
