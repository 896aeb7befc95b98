"""The team's answers to readers, and the look-ups that tie a conversation together: which
answer a reader's reply points at (its In-Reply-To / References) and which reactions a reader
sent after an answer. Writes run in the caller's transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlite_utils

__all__ = ["Answer", "AnsweredFiling", "add", "answer_by_message_id", "filing_of_answer", "get", "answers_of",
           "later_from", "mark_failed", "mark_sent", "thread_ids"]


@dataclass(frozen=True)
class Answer:
    id: int
    reaction_id: int
    author: str
    to_address: str
    subject: str
    body: str
    message_id: str
    created_at: str
    sent_at: str | None
    error: str


@dataclass(frozen=True)
class AnsweredFiling:
    """How the reaction one of our answers replied to is filed: a reader's reply to that answer
    belongs to the same conversation, so it is filed the same way."""

    answer_id: int
    reaction_id: int
    newsletter_id: int | None
    theme_slug: str | None
    subscriber_id: int | None
    delivery_id: int | None
    confidence: float
    theme_confidence: float


def _answer(r: dict[str, Any]) -> Answer:
    return Answer(r["id"], r["reaction_id"], r["author"], r["to_address"], r["subject"], r["body"],
                  r["message_id"], r["created_at"], r["sent_at"], r["error"])


def add(db: sqlite_utils.Database, reaction_id: int, author: str, to_address: str, subject: str, body: str,
        message_id: str, now: str) -> int:
    cur = db.execute(
        "INSERT INTO reaction_answers (reaction_id, author, to_address, subject, body, message_id, created_at)"
        " VALUES (?,?,?,?,?,?,?)", [reaction_id, author, to_address, subject, body, message_id, now])
    return int(cur.lastrowid or 0)


def mark_sent(db: sqlite_utils.Database, answer_id: int, now: str) -> None:
    db.execute("UPDATE reaction_answers SET sent_at = ?, error = '' WHERE id = ?", [now, answer_id])


def mark_failed(db: sqlite_utils.Database, answer_id: int, error: str) -> None:
    db.execute("UPDATE reaction_answers SET error = ? WHERE id = ?", [error[:500], answer_id])


def get(db: sqlite_utils.Database, answer_id: int) -> Answer | None:
    rows = list(db.query("SELECT * FROM reaction_answers WHERE id = ?", [answer_id]))
    return _answer(rows[0]) if rows else None


def answers_of(db: sqlite_utils.Database, reaction_ids: list[int]) -> list[Answer]:
    """The answers to these reactions, oldest first."""
    return [_answer(r) for r in db.query(
        "SELECT * FROM reaction_answers WHERE reaction_id IN (SELECT value FROM json_each(?)) ORDER BY id",
        [json.dumps(reaction_ids)])]


def answer_by_message_id(db: sqlite_utils.Database, message_ids: list[str]) -> Answer | None:
    """The first of our answers with one of these Message-IDs (the ids a reply points at)."""
    rows = list(db.query(
        "SELECT * FROM reaction_answers WHERE message_id IN (SELECT value FROM json_each(?)) ORDER BY id LIMIT 1",
        [json.dumps(message_ids)]))
    return _answer(rows[0]) if rows else None


def filing_of_answer(db: sqlite_utils.Database, message_id: str) -> AnsweredFiling | None:
    """The filing of the reaction our answer with this Message-ID (with or without <>) replied to."""
    bare = message_id.strip().strip("<>")
    row = db.execute(
        "SELECT a.id, a.reaction_id, r.newsletter_id, r.theme_slug, r.subscriber_id, r.delivery_id, r.confidence,"
        " r.theme_confidence FROM reaction_answers a JOIN reactions r ON r.id = a.reaction_id WHERE a.message_id = ?",
        [bare]).fetchone() if bare else None
    return AnsweredFiling(*row) if row else None


def later_from(db: sqlite_utils.Database, address: str, after: str, limit: int = 50) -> list[int]:
    """Reactions from ``address`` that arrived after ``after``: the candidates for a reader's
    reply to an answer. Filing stores addresses in lower case, so the index on them serves."""
    return [int(r[0]) for r in db.execute(
        "SELECT id FROM reactions WHERE from_address = ? AND received_at >= ?"
        " ORDER BY received_at, id LIMIT ?", [address.strip().lower(), after, limit])]


def thread_ids(db: sqlite_utils.Database, reaction_id: int) -> str | None:
    """The reaction's own Message-ID (bare), if it had one."""
    row = db.execute("SELECT message_id FROM reactions WHERE id = ?", [reaction_id]).fetchone()
    return str(row[0]) if row and row[0] else None
