"""The subscriber store: subscribers, their consent log and the suppression list.

This package never imports mailer's sending code; it only shares the database and errors.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

import sqlite_utils
from email_validator import EmailNotValidError, validate_email

from mailer.db import utcnow
from mailer.errors import InvalidInput, NotFound

STATUSES = ("pending", "active", "unsubscribed", "bounced", "complained", "forgotten")


@dataclass(frozen=True)
class Subscriber:
    id: int
    email: str | None
    name: str
    status: str
    language: str
    themes: tuple[str, ...]
    source: str
    soft_bounces: int
    created_at: str
    confirmed_at: str | None
    unsubscribed_at: str | None


def _row(r: dict) -> Subscriber:
    return Subscriber(
        id=r["id"], email=r["email"], name=r["name"], status=r["status"], language=r["language"],
        themes=tuple(json.loads(r["themes"] or "[]")), source=r["source"], soft_bounces=r["soft_bounces"],
        created_at=r["created_at"], confirmed_at=r["confirmed_at"], unsubscribed_at=r["unsubscribed_at"],
    )


def normalise_email(address: str) -> str:
    """Validate syntax (no DNS look-ups) and normalise: IDN domain to Unicode NFC, domain lower case.

    The local part is lower-cased too: every provider our audience uses treats it case-insensitively,
    and duplicates that differ only in case are the commonest CSV mistake.
    """
    try:
        info = validate_email(address.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(f"'{address.strip()}' is not a valid email address ({exc})") from None
    return info.normalized.lower()


def email_hash(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode("utf-8")).hexdigest()


def is_suppressed(db: sqlite_utils.Database, address: str) -> bool:
    return db.execute("SELECT 1 FROM suppressions WHERE email_sha256 = ?", [email_hash(address)]).fetchone() is not None


def suppress(db: sqlite_utils.Database, address: str, reason: str) -> None:
    db.execute(
        "INSERT INTO suppressions (email_sha256, reason, created_at) VALUES (?,?,?)"
        " ON CONFLICT(email_sha256) DO NOTHING",
        [email_hash(address), reason, utcnow()],
    )


def log_consent(db: sqlite_utils.Database, subscriber_id: int | None, action: str, method: str = "",
                source: str = "", detail: str = "", client_ip: str = "") -> None:
    db.execute(
        "INSERT INTO consent_log (subscriber_id, action, method, source, detail, client_ip, created_at)"
        " VALUES (?,?,?,?,?,?,?)",
        [subscriber_id, action, method, source, detail, client_ip, utcnow()],
    )


def get(db: sqlite_utils.Database, subscriber_id: int) -> Subscriber:
    rows = list(db.query("SELECT * FROM subscribers WHERE id = ?", [subscriber_id]))
    if not rows:
        raise NotFound(f"no subscriber with id {subscriber_id}")
    return _row(rows[0])


def find_by_email(db: sqlite_utils.Database, address: str) -> Subscriber | None:
    try:
        address = normalise_email(address)
    except InvalidInput:
        address = address.strip().lower()
    rows = list(db.query("SELECT * FROM subscribers WHERE email = ?", [address]))
    return _row(rows[0]) if rows else None


def add(db: sqlite_utils.Database, address: str, name: str = "", *, status: str = "active",
        source: str = "cli", method: str = "cli", themes: tuple[str, ...] = (), language: str = "nl") -> Subscriber:
    """Add one subscriber and log how they came in. Refuses duplicates and suppressed addresses."""
    email = normalise_email(address)
    if status not in STATUSES:
        raise ValueError(status)
    if find_by_email(db, email) is not None:
        raise InvalidInput(f"{email} is already a subscriber: use 'mailer subscribers list' to see them")
    if status == "active" and is_suppressed(db, email):
        raise InvalidInput(f"{email} is on the suppression list (unsubscribed or bounced): they must sign up again themselves")
    now = utcnow()
    with db.conn:
        cur = db.execute(
            "INSERT INTO subscribers (email, name, status, language, themes, source, created_at, confirmed_at, updated_at)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            [email, name.strip(), status, language, json.dumps(list(themes)), source, now,
             now if status == "active" else None, now],
        )
        log_consent(db, cur.lastrowid, "add" if method == "cli" else method, method=method, source=source)
    return get(db, cur.lastrowid)


def iter_mailable(db: sqlite_utils.Database, batch: int = 1000) -> Iterator[Subscriber]:
    """Active subscribers in id order, streamed in batches so memory stays flat."""
    last = 0
    while True:
        rows = list(db.query(
            "SELECT * FROM subscribers WHERE status = 'active' AND id > ? ORDER BY id LIMIT ?", [last, batch]
        ))
        if not rows:
            return
        for r in rows:
            yield _row(r)
        last = rows[-1]["id"]


def set_status(db: sqlite_utils.Database, subscriber_id: int, status: str, *, method: str = "", detail: str = "") -> None:
    """Change a subscriber's status; leaving 'active' for a reason puts the address on the suppression list."""
    if status not in STATUSES:
        raise ValueError(status)
    sub = get(db, subscriber_id)
    now = utcnow()
    with db.conn:
        db.execute(
            "UPDATE subscribers SET status=?, updated_at=?, unsubscribed_at=CASE WHEN ? IN"
            " ('unsubscribed','bounced','complained') THEN ? ELSE unsubscribed_at END WHERE id=?",
            [status, now, status, now, subscriber_id],
        )
        if status in ("unsubscribed", "bounced", "complained") and sub.email:
            suppress(db, sub.email, status)
        log_consent(db, subscriber_id, status, method=method, detail=detail)


def count_by_status(db: sqlite_utils.Database) -> dict[str, int]:
    return {r["status"]: r["n"] for r in db.query("SELECT status, COUNT(*) AS n FROM subscribers GROUP BY status")}
