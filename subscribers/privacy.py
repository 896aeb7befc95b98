"""Privacy requests (AVG/GDPR): everything held about one person, and forgetting them.

Forgetting keeps only what is needed to honour it: a SHA-256 of the address on the suppression
list (so a later import or sign-up cannot mail them silently), the skeleton of the consent log
(actions and times, without details) and delivery counts without the address. Their reactions
stay countable but lose sender, text and raw message.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

import sqlite_utils

from mailer.db import utcnow
from mailer.errors import NotFound

from . import consent, store
from .store import Subscriber

PLACEHOLDER = "[verwijderd op verzoek van de afzender / removed at the sender's request]"


@dataclass(frozen=True)
class ForgetReport:
    subscriber_id: int
    reactions_anonymised: int
    raw_messages_erased: int
    attachments_deleted: int
    deliveries_blanked: int
    consent_entries_blanked: int


def _find(db: sqlite_utils.Database, address: str) -> Subscriber:
    sub = store.find_by_email(db, address)
    if sub is None:
        raise NotFound(f"no subscriber with address {address.strip()}: check the spelling with "
                       "'mailer subscribers list'")
    return sub


def _reaction_ids(db: sqlite_utils.Database, sub_id: int, email: str) -> list[int]:
    # Their own replies, and bounce reports that name their address.
    like = "%" + json.dumps(email)[1:-1] + "%"
    return [r[0] for r in db.execute(
        "SELECT id FROM reactions WHERE subscriber_id = ? OR lower(from_address) = ? OR bounced_addresses LIKE ?",
        [sub_id, email, like])]


def show(db: sqlite_utils.Database, address: str) -> dict[str, Any]:
    """Everything held about one person: subscriber row, consent log, suppression, deliveries, reactions."""
    sub = _find(db, address)
    assert sub.email is not None
    deliveries = [dict(r) for r in db.query(
        "SELECT d.id, n.slug AS newsletter, d.email, d.status, d.attempts, d.last_error, d.message_id, d.sent_at"
        " FROM deliveries d JOIN newsletters n ON n.id = d.newsletter_id WHERE d.subscriber_id = ? ORDER BY d.id",
        [sub.id])]
    ids = _reaction_ids(db, sub.id, sub.email)
    reactions = []
    if ids:
        marks = ",".join("?" * len(ids))
        reactions = [dict(r) for r in db.query(
            "SELECT r.id, n.slug AS newsletter, r.theme_slug AS theme, r.kind, r.status, r.from_address,"
            " r.from_name, r.subject, r.sent_date, r.received_at, r.reply_text,"
            " (SELECT COUNT(*) FROM attachments a WHERE a.reaction_id = r.id) AS attachments"
            f" FROM reactions r LEFT JOIN newsletters n ON n.id = r.newsletter_id WHERE r.id IN ({marks})"
            " ORDER BY r.id", ids)]
    return {
        "subscriber": {**asdict(sub), "themes": list(sub.themes)},
        "suppressed": store.suppression_reason(db, sub.email),
        "consent_log": [asdict(e) for e in consent.history(db, sub.id)],
        "deliveries": deliveries,
        "reactions": reactions,
    }


def forget(db: sqlite_utils.Database, address: str) -> ForgetReport:
    """Erase one person (see module docstring). Raises ``NotFound``."""
    sub = _find(db, address)
    email = sub.email
    assert email is not None
    now = utcnow()
    conn = db.conn
    with store.transaction(db):
        ids = _reaction_ids(db, sub.id, email)
        marks = ",".join("?" * len(ids)) or "NULL"
        raw_ids = [r[0] for r in conn.execute(
            f"SELECT raw_message_id FROM reactions WHERE id IN ({marks})", ids)]
        raw_marks = ",".join("?" * len(raw_ids)) or "NULL"
        attachments = conn.execute(f"DELETE FROM attachments WHERE reaction_id IN ({marks})", ids).rowcount
        conn.execute(
            f"UPDATE reactions SET from_address='', from_name='', reply_text=?, full_text=?, html_body=?,"
            f" updated_at=? WHERE id IN ({marks})", [PLACEHOLDER, PLACEHOLDER, PLACEHOLDER, now, *ids])
        for rid, listed in conn.execute(f"SELECT id, bounced_addresses FROM reactions WHERE id IN ({marks})", ids).fetchall():
            addresses = [a for a in json.loads(listed or "[]") if str(a).lower() != email]
            conn.execute("UPDATE reactions SET bounced_addresses=? WHERE id=?", [json.dumps(addresses), rid])
        raws = conn.execute(
            f"UPDATE raw_messages SET data=X'', size=0, parse_error='erased on request' WHERE id IN ({raw_marks})",
            raw_ids).rowcount
        deliveries = conn.execute("UPDATE deliveries SET email='', last_error='' WHERE subscriber_id = ?",
                                  [sub.id]).rowcount
        conn.execute("UPDATE test_sends SET email='' WHERE lower(email) = ?", [email])
        blanked = conn.execute(
            "UPDATE consent_log SET detail='', client_ip='', source='' WHERE subscriber_id = ?", [sub.id]).rowcount
        conn.execute(
            "UPDATE subscribers SET email=NULL, name='', status='forgotten', themes='[]', source='',"
            " unsubscribed_at=COALESCE(unsubscribed_at, ?), updated_at=? WHERE id=?", [now, now, sub.id])
        store.suppress(db, email, "forgotten")
        store.log_consent(db, sub.id, consent.FORGET, method=consent.CLI,
                          detail=f"erased on request; suppressed as sha256 {store.email_hash(email)[:12]}...")
    return ForgetReport(sub.id, len(ids), raws, attachments, deliveries, blanked)
