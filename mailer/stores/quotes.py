"""Permission to quote: the requests sent to readers, the consent log of their answers, and the
look-ups behind an issue's quotes and the bundle. Writes run in the caller's transaction.

A reaction's state is its latest request's (the ``quote_states`` view, 0019_quotes.sql): a new
request replaces what an earlier answer allowed, so a passage is only ever quoted as approved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlite_utils

__all__ = ["APPROVED", "ANSWERS", "BundleRow", "Consent", "QuoteRequest", "STATES", "add_request", "approved_quotes",
           "bundle_rows", "consents_of", "erase_for_subscriber", "get_request", "latest_requests", "mark_failed",
           "mark_sent", "record_answer", "requests_of", "unapproved_count"]

ANSWERS = ("named", "anonymous", "refused")
APPROVED = ("named", "anonymous")
# none: never asked; asked: waiting for an answer; no_answer: the links expired unanswered.
STATES = ("none", "asked", "named", "anonymous", "refused", "no_answer")


@dataclass(frozen=True)
class QuoteRequest:
    id: int
    reaction_id: int
    passage: str
    to_address: str
    language: str
    asked_by: str
    message_id: str
    created_at: str
    expires_at: str
    sent_at: str | None
    error: str
    answer: str            # '' | named | anonymous | refused
    name: str
    answered_at: str | None
    state: str = "asked"   # see STATES; "superseded" for a request a newer one replaced

    @property
    def approved(self) -> bool:
        return self.answer in APPROVED


@dataclass(frozen=True)
class Consent:
    """One answer in the consent log."""

    id: int
    request_id: int
    answer: str
    name: str
    passage: str
    client_ip: str
    created_at: str


@dataclass(frozen=True)
class BundleRow:
    """An approved quote with where it came from (the bundle)."""

    reaction_id: int
    passage: str
    answer: str                 # named | anonymous
    name: str
    answered_at: str
    written_at: str
    newsletter_slug: str | None
    newsletter_title: str | None
    section_heading: str | None
    theme_slug: str | None
    theme_name: str | None


_REQUEST = ("SELECT q.*, s.state FROM quote_requests q"
            " LEFT JOIN quote_states s ON s.request_id = q.id")


def _request(r: dict[str, Any]) -> QuoteRequest:
    state = r.get("state") or r["answer"] or "superseded"   # an older request: a newer one replaced it
    return QuoteRequest(r["id"], r["reaction_id"], r["passage"], r["to_address"], r["language"], r["asked_by"],
                        r["message_id"], r["created_at"], r["expires_at"], r["sent_at"], r["error"], r["answer"],
                        r["name"], r["answered_at"], state)


def add_request(db: sqlite_utils.Database, reaction_id: int, passage: str, to_address: str, language: str,
                asked_by: str, message_id: str, now: str, expires_at: str) -> int:
    cur = db.execute(
        "INSERT INTO quote_requests (reaction_id, passage, to_address, language, asked_by, message_id, created_at,"
        " expires_at) VALUES (?,?,?,?,?,?,?,?)",
        [reaction_id, passage, to_address, language, asked_by, message_id, now, expires_at])
    return int(cur.lastrowid or 0)


def mark_sent(db: sqlite_utils.Database, request_id: int, now: str) -> None:
    db.execute("UPDATE quote_requests SET sent_at = ?, error = '' WHERE id = ?", [now, request_id])


def mark_failed(db: sqlite_utils.Database, request_id: int, error: str) -> None:
    db.execute("UPDATE quote_requests SET error = ? WHERE id = ?", [error[:500], request_id])


def get_request(db: sqlite_utils.Database, request_id: int) -> QuoteRequest | None:
    rows = list(db.query(f"{_REQUEST} WHERE q.id = ?", [request_id]))
    return _request(rows[0]) if rows else None


def requests_of(db: sqlite_utils.Database, reaction_id: int) -> list[QuoteRequest]:
    """Every request for one reaction, newest first."""
    return [_request(r) for r in db.query(f"{_REQUEST} WHERE q.reaction_id = ? ORDER BY q.id DESC", [reaction_id])]


def latest_requests(db: sqlite_utils.Database, reaction_ids: list[int]) -> dict[int, QuoteRequest]:
    """The latest request of each of these reactions (reactions never asked are absent)."""
    return {int(r["reaction_id"]): _request(r) for r in db.query(
        f"{_REQUEST} WHERE s.reaction_id IN (SELECT value FROM json_each(?))", [json.dumps(reaction_ids)])}


def record_answer(db: sqlite_utils.Database, request_id: int, answer: str, name: str, client_ip: str,
                  now: str) -> None:
    """The reader's answer: kept on the request and added to the consent log with the exact passage."""
    db.execute("UPDATE quote_requests SET answer = ?, name = ?, answered_at = ? WHERE id = ?",
               [answer, name, now, request_id])
    db.execute("INSERT INTO quote_consents (request_id, answer, name, passage, client_ip, created_at)"
               " SELECT id, ?, ?, passage, ?, ? FROM quote_requests WHERE id = ?",
               [answer, name, client_ip, now, request_id])


def consents_of(db: sqlite_utils.Database, request_id: int) -> list[Consent]:
    """The consent log of one request, oldest first."""
    return [Consent(r["id"], r["request_id"], r["answer"], r["name"], r["passage"], r["client_ip"], r["created_at"])
            for r in db.query("SELECT * FROM quote_consents WHERE request_id = ? ORDER BY id", [request_id])]


_BUNDLE = """
SELECT q.reaction_id, q.passage, q.answer, q.name, q.answered_at,
       coalesce(r.sent_date, r.received_at) AS written_at, n.slug AS newsletter_slug,
       n.title AS newsletter_title, r.theme_slug, t.name AS theme_name,
       (SELECT heading FROM sections WHERE newsletter_id = r.newsletter_id AND theme_slug IS r.theme_slug
        ORDER BY position LIMIT 1) AS section_heading
FROM quote_states st
JOIN quote_requests q ON q.id = st.request_id
JOIN reactions r ON r.id = q.reaction_id
LEFT JOIN newsletters n ON n.id = r.newsletter_id
LEFT JOIN themes t ON t.slug = r.theme_slug
"""


def _bundle_row(r: dict[str, Any]) -> BundleRow:
    return BundleRow(r["reaction_id"], r["passage"], r["answer"], r["name"], r["answered_at"] or "",
                     r["written_at"], r["newsletter_slug"], r["newsletter_title"], r["section_heading"],
                     r["theme_slug"], r["theme_name"])


def approved_quotes(db: sqlite_utils.Database, themes: list[str] | None = None,
                    newsletter: str | None = None) -> list[BundleRow]:
    """Reactions whose latest answer allows quoting, oldest letter first; only those filed under
    ``themes`` and ``newsletter`` (a slug) when given."""
    conds, params = ["st.state IN ('named', 'anonymous')"], list[object]()
    if themes is not None:
        conds.append("r.theme_slug IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(themes))
    if newsletter is not None:
        conds.append("n.slug = ?")
        params.append(newsletter)
    sql = f"{_BUNDLE} WHERE {' AND '.join(conds)} ORDER BY n.send_at IS NULL, n.send_at, written_at, q.reaction_id"
    return [_bundle_row(r) for r in db.query(sql, params)]


def bundle_rows(db: sqlite_utils.Database, theme: str, newsletter: str | None = None) -> list[BundleRow]:
    """The approved quotes of a theme (optionally of one newsletter): what goes into the bundle."""
    return approved_quotes(db, [theme], newsletter)


def unapproved_count(db: sqlite_utils.Database, theme: str, newsletter: str | None = None) -> int:
    """Reactions of a theme (kind 'reaction') that may not be quoted: never asked, waiting,
    refused or unanswered."""
    sql = ("SELECT count(*) FROM reactions r LEFT JOIN newsletters n ON n.id = r.newsletter_id"
           " LEFT JOIN quote_states st ON st.reaction_id = r.id"
           " WHERE r.kind = 'reaction' AND r.theme_slug = ?"
           " AND (st.state IS NULL OR st.state NOT IN ('named', 'anonymous'))")
    params: list[object] = [theme]
    if newsletter is not None:
        sql += " AND n.slug = ?"
        params.append(newsletter)
    return int(db.execute(sql, params).fetchone()[0])


def erase_for_subscriber(db: sqlite_utils.Database, subscriber_id: int, email: str, placeholder: str) -> int:
    """A forgotten reader's requests to quote (their reactions by subscriber or address): passage,
    address and name replaced by ``placeholder`` in the requests and the consent log, and any
    permission turned into a refusal, so nothing of theirs is quoted again. The answers' times stay.
    Run it before the reactions are anonymised (it finds them by their sender). Returns the requests changed."""
    ids = json.dumps([r[0] for r in db.execute(
        "SELECT id FROM reactions WHERE subscriber_id = ? OR lower(from_address) = lower(?)", [subscriber_id, email])])
    db.execute("UPDATE quote_consents SET passage = ?, name = '', client_ip = '' WHERE request_id IN"
               " (SELECT id FROM quote_requests WHERE reaction_id IN (SELECT value FROM json_each(?)))",
               [placeholder, ids])
    cur = db.execute("UPDATE quote_requests SET passage = ?, to_address = '', name = '',"
                     " answer = CASE WHEN answer = '' THEN '' ELSE 'refused' END"
                     " WHERE reaction_id IN (SELECT value FROM json_each(?))", [placeholder, ids])
    return int(cur.rowcount)
