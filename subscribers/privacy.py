"""Privacy requests (AVG/GDPR): everything held about one person, and forgetting them.

Forgetting keeps only what is needed to honour it: a SHA-256 of the address on the suppression
list (so a later import or sign-up cannot mail them silently), the skeleton of the consent log
(actions and times, without details) and delivery counts without the address. Their reactions
stay countable but lose sender, text and raw message.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import sqlite_utils

from mailer.db import utcnow
from mailer.errors import NotFound
from mailer.stores import deliveries, quotes, reactions

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
        raise NotFound("no subscriber with address %(address)s: check the spelling with "
                       "'mailer subscribers list'", address=address.strip())
    return sub


def show(db: sqlite_utils.Database, address: str) -> dict[str, Any]:
    """Everything held about one person: subscriber row, consent log, suppression, deliveries, reactions."""
    sub = _find(db, address)
    assert sub.email is not None
    return {
        "subscriber": {**asdict(sub), "themes": list(sub.themes)},
        "suppressed": store.suppression_reason(db, sub.email),
        "consent_log": [asdict(e) for e in consent.history(db, sub.id)],
        "deliveries": [asdict(d) for d in deliveries.for_subscriber(db, sub.id)],
        "reactions": [asdict(r) for r in reactions.for_subscriber(db, sub.id, sub.email)],
    }


def forget(db: sqlite_utils.Database, address: str) -> ForgetReport:
    """Erase one person (see module docstring) through each store's own erasure. Raises ``NotFound``."""
    sub = _find(db, address)
    email = sub.email
    assert email is not None
    with store.transaction(db):
        quotes.erase_for_subscriber(db, sub.id, email, PLACEHOLDER)   # before the reactions lose their sender
        erased = reactions.erase_for_subscriber(db, sub.id, email, PLACEHOLDER, utcnow())
        blanked_deliveries = deliveries.erase_for_subscriber(db, sub.id, email)
        blanked_consent = store.erase(db, sub.id)
        store.suppress(db, email, "forgotten")
        store.log_consent(db, sub.id, consent.FORGET, method=consent.CLI,
                          detail=f"erased on request; suppressed as sha256 {store.email_hash(email)[:12]}...")
    return ForgetReport(sub.id, erased.reactions, erased.raw_messages, erased.attachments, blanked_deliveries,
                        blanked_consent)
