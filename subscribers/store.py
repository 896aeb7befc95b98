"""The subscriber store: subscribers, their consent log and the suppression list - the only
SQL of this package.

This package never imports mailer's sending code; it only shares the database and errors.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlite_utils
from email_validator import EmailNotValidError, validate_email

from mailer.db import transaction as transaction  # re-exported: the subscribers package writes through it
from mailer.db import utcnow
from mailer.errors import InvalidInput, NotFound, state

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


def _row(r: dict[str, Any]) -> Subscriber:
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
        raise InvalidInput("'%(address)s' is not a valid email address (%(exc)s)", address=address.strip(), exc=exc) from None
    return info.normalized.lower()


def try_normalise(address: str) -> tuple[str | None, str]:
    """(normalised address, "") or (None, why it is not valid) - for bulk checks without exceptions."""
    try:
        return validate_email(address.strip(), check_deliverability=False).normalized.lower(), ""
    except EmailNotValidError as exc:
        return None, str(exc)


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
        raise NotFound("no subscriber with id %(subscriber_id)s", subscriber_id=subscriber_id)
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
    existing = find_by_email(db, email)
    if existing is not None:
        if existing.status in ("unsubscribed", "bounced", "complained"):
            raise InvalidInput("%(email)s is already known and %(status)s: they must sign "
                               "up again themselves through the form", email=email, status=state(existing.status))
        raise InvalidInput("%(email)s is already a subscriber: use 'mailer subscribers "
                           "list' to see them", email=email)
    if status == "active" and is_suppressed(db, email):
        raise InvalidInput("%(email)s is on the suppression list (unsubscribed or bounced): "
                           "they must sign up again themselves", email=email)
    now = utcnow()
    with transaction(db):
        cur = db.execute(
            "INSERT INTO subscribers (email, name, status, language, themes, source, created_at, confirmed_at, updated_at)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            [email, name.strip(), status, language, json.dumps(list(themes)), source, now,
             now if status == "active" else None, now],
        )
        log_consent(db, cur.lastrowid, "add" if method == "cli" else method, method=method, source=source)
    assert cur.lastrowid is not None
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
    with transaction(db):
        db.execute(
            "UPDATE subscribers SET status=?, updated_at=?, unsubscribed_at=CASE WHEN ? IN"
            " ('unsubscribed','bounced','complained') THEN ? ELSE unsubscribed_at END WHERE id=?",
            [status, now, status, now, subscriber_id],
        )
        if status in ("unsubscribed", "bounced", "complained") and sub.email:
            suppress(db, sub.email, status)
        log_consent(db, subscriber_id, status, method=method, detail=detail)


def apply_bounce(db: sqlite_utils.Database, subscriber_id: int, *, bounce_type: str, detail: str,
                 soft_limit: int | None = None) -> str:
    """What one bounce does to a subscriber - the single place that decides it, for bounces the
    SMTP server gives at send time and for those the inbox reads later. Only an active or pending
    subscriber changes: a hard bounce sets 'bounced' at once (which suppresses the address); a
    soft one is counted, and the ``soft_limit``-th sets 'bounced' (no limit: only counted).
    Returns a note for the team, or "" when nothing changed."""
    row = db.execute("SELECT status FROM subscribers WHERE id = ?", [subscriber_id]).fetchone()
    if row is None or row[0] not in ("active", "pending"):
        return ""
    if bounce_type == "hard":
        set_status(db, subscriber_id, "bounced", method="bounce", detail=detail[:500])
        return f"abonnee {subscriber_id} uitgeschreven na harde bounce"
    if bounce_type != "soft":
        return ""
    db.execute("UPDATE subscribers SET soft_bounces = soft_bounces + 1, updated_at = ? WHERE id = ?",
               [utcnow(), subscriber_id])
    count = int(db.execute("SELECT soft_bounces FROM subscribers WHERE id = ?", [subscriber_id]).fetchone()[0])
    if soft_limit is not None and count >= soft_limit:
        set_status(db, subscriber_id, "bounced", method="bounce", detail=f"{count} soft bounces")
        return f"abonnee {subscriber_id} uitgeschreven na {count} zachte bounces"
    return ""


def count_by_status(db: sqlite_utils.Database) -> dict[str, int]:
    return {r["status"]: r["n"] for r in db.query("SELECT status, COUNT(*) AS n FROM subscribers GROUP BY status")}


def unsuppress(db: sqlite_utils.Database, address: str) -> bool:
    """Lift the suppression of ``address`` (only after a fresh, confirmed opt-in). True if one was lifted."""
    cur = db.execute("DELETE FROM suppressions WHERE email_sha256 = ?", [email_hash(address)])
    return cur.rowcount > 0


def suppression_reason(db: sqlite_utils.Database, address: str) -> str | None:
    row = db.execute("SELECT reason FROM suppressions WHERE email_sha256 = ?", [email_hash(address)]).fetchone()
    return row[0] if row else None


def suppressed_hashes(db: sqlite_utils.Database) -> set[str]:
    """Every suppressed address hash, for bulk checks (imports)."""
    return {r[0] for r in db.execute("SELECT email_sha256 FROM suppressions")}


def existing_emails(db: sqlite_utils.Database) -> set[str]:
    return {r[0] for r in db.execute("SELECT email FROM subscribers WHERE email IS NOT NULL")}


def create_pending(db: sqlite_utils.Database, email: str, name: str, themes: tuple[str, ...], language: str,
                   source: str = "form") -> int:
    """Insert a not-yet-confirmed subscriber (double opt-in); ``email`` must be normalised."""
    now = utcnow()
    cur = db.execute(
        "INSERT INTO subscribers (email, name, status, language, themes, source, created_at, updated_at)"
        " VALUES (?,?,'pending',?,?,?,?,?)",
        [email, name.strip(), language, json.dumps(list(themes)), source, now, now],
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


def activate(db: sqlite_utils.Database, subscriber_id: int, *, name: str | None = None,
             themes: tuple[str, ...] | None = None, language: str | None = None) -> None:
    """pending/unsubscribed -> active, stamping the confirmation time; optionally the signed-up details."""
    now = utcnow()
    db.execute(
        "UPDATE subscribers SET status='active', confirmed_at=?, unsubscribed_at=NULL, soft_bounces=0,"
        " name=COALESCE(?, name), themes=COALESCE(?, themes), language=COALESCE(?, language), updated_at=?"
        " WHERE id=?",
        [now, name, json.dumps(list(themes)) if themes is not None else None, language, now, subscriber_id],
    )


def update_profile(db: sqlite_utils.Database, subscriber_id: int, *, name: str, themes: tuple[str, ...],
                   language: str | None = None) -> None:
    db.execute(
        "UPDATE subscribers SET name=?, themes=?, language=COALESCE(?, language), updated_at=? WHERE id=?",
        [name.strip(), json.dumps(list(themes)), language, utcnow(), subscriber_id],
    )


def query(db: sqlite_utils.Database, *, status: str | None = None, theme: str | None = None,
          limit: int | None = None) -> list[Subscriber]:
    """Subscribers filtered by status and/or theme interest, in id order."""
    where, params = _filters(status, theme)
    sql = f"SELECT * FROM subscribers{where} ORDER BY id"
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    return [_row(r) for r in db.query(sql, params)]


def iter_filtered(db: sqlite_utils.Database, *, status: str | None = None, theme: str | None = None,
                  batch: int = 2000) -> Iterator[Subscriber]:
    """Like ``query`` but streamed, for exports of any size."""
    where, params = _filters(status, theme)
    last = 0
    joiner = " AND " if where else " WHERE "
    while True:
        rows = list(db.query(f"SELECT * FROM subscribers{where}{joiner}id > ? ORDER BY id LIMIT ?",
                             [*params, last, batch]))
        if not rows:
            return
        for r in rows:
            yield _row(r)
        last = rows[-1]["id"]


def count(db: sqlite_utils.Database, *, status: str | None = None, theme: str | None = None) -> int:
    where, params = _filters(status, theme)
    return int(db.execute(f"SELECT COUNT(*) FROM subscribers{where}", params).fetchone()[0])


def _filters(status: str | None, theme: str | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if status:
        if status not in STATUSES:
            raise InvalidInput("unknown status '%(status)s': use one of %(statuses)s", status=status, statuses=', '.join(STATUSES))
        clauses.append("status = ?")
        params.append(status)
    if theme:
        clauses.append("EXISTS (SELECT 1 FROM json_each(subscribers.themes) WHERE json_each.value = ?)")
        params.append(theme)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def mark_status(db: sqlite_utils.Database, subscriber_id: int, status: str) -> None:
    """Set the status only (no suppression, no log): callers do those in the same transaction."""
    if status not in STATUSES:
        raise ValueError(status)
    now = utcnow()
    db.execute(
        "UPDATE subscribers SET status=?, updated_at=?, unsubscribed_at=CASE WHEN ? IN"
        " ('unsubscribed','bounced','complained') THEN ? ELSE unsubscribed_at END WHERE id=?",
        [status, now, status, now, subscriber_id],
    )


@dataclass(frozen=True)
class ImportedSubscriber:
    email: str                  # normalised
    name: str
    themes: tuple[str, ...]
    consent_detail: str         # where in the file they came from


def add_imported(db: sqlite_utils.Database, rows: Sequence[ImportedSubscriber], *, source: str, action: str,
                 method: str, batch: int = 5000) -> None:
    """Insert active subscribers with one consent entry each, ``batch`` rows a statement. Run it
    in a ``transaction``: the ids are handed out here, so consent rows need no round trip each."""
    now = utcnow()
    conn = db.conn
    first_id = int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM subscribers").fetchone()[0]) + 1
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        conn.executemany(
            "INSERT INTO subscribers (id, email, name, status, language, themes, source, created_at, updated_at)"
            " VALUES (?,?,?,'active','nl',?,?,?,?)",
            [(first_id + start + k, r.email, r.name, json.dumps(list(r.themes)), source, now, now)
             for k, r in enumerate(chunk)],
        )
        conn.executemany(
            "INSERT INTO consent_log (subscriber_id, action, method, source, detail, created_at)"
            " VALUES (?,?,?,?,?,?)",
            [(first_id + start + k, action, method, source, r.consent_detail, now) for k, r in enumerate(chunk)],
        )


@dataclass(frozen=True)
class ConsentEntry:
    id: int
    subscriber_id: int | None
    action: str
    method: str
    source: str
    detail: str
    client_ip: str
    created_at: str


def consent_history(db: sqlite_utils.Database, subscriber_id: int) -> list[ConsentEntry]:
    """A subscriber's consent log, oldest first."""
    return [ConsentEntry(*r) for r in db.execute(
        "SELECT id, subscriber_id, action, method, source, detail, client_ip, created_at FROM consent_log"
        " WHERE subscriber_id = ? ORDER BY id", [subscriber_id])]


def latest_consent(db: sqlite_utils.Database, subscriber_id: int, actions: Sequence[str]) -> ConsentEntry | None:
    """A subscriber's newest consent entry with one of ``actions``."""
    row = db.execute(
        "SELECT id, subscriber_id, action, method, source, detail, client_ip, created_at FROM consent_log"
        f" WHERE subscriber_id = ? AND action IN ({','.join('?' * len(actions))}) ORDER BY id DESC LIMIT 1",
        [subscriber_id, *actions]).fetchone()
    return ConsentEntry(*row) if row else None


def erase(db: sqlite_utils.Database, subscriber_id: int) -> int:
    """Forget a subscriber's address, name, interests and source, and the details, addresses and
    sources of their consent log (actions and times stay); returns how many entries were blanked.
    The caller suppresses the address and logs the erasure in the same transaction."""
    now = utcnow()
    blanked = db.execute("UPDATE consent_log SET detail='', client_ip='', source='' WHERE subscriber_id = ?",
                         [subscriber_id]).rowcount
    db.execute(
        "UPDATE subscribers SET email=NULL, name='', status='forgotten', themes='[]', source='',"
        " unsubscribed_at=COALESCE(unsubscribed_at, ?), updated_at=? WHERE id=?", [now, now, subscriber_id])
    return int(blanked)
