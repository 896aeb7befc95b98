"""Unsubscribing: by the link's page, by RFC 8058 one-click POST, by mail (the inbox poller), by hand.

Every way ends in ``unsubscribe()``: status 'unsubscribed', the address on the suppression list,
and a consent-log entry naming the method.
"""

from __future__ import annotations

import sqlite_utils

from mailer import tokens
from mailer.errors import NotFound, TokenError

from . import consent, store
from .store import Subscriber

METHODS = (consent.LINK, consent.ONE_CLICK, consent.MAILTO, consent.CLI, "preferences", "team")


def unsubscribe(db: sqlite_utils.Database, subscriber_id: int, method: str, detail: str = "",
                client_ip: str = "") -> bool:
    """Unsubscribe and suppress one subscriber. True if their status changed, False if they were
    already off the list (the address is suppressed either way). Raises ``NotFound``."""
    sub = store.get(db, subscriber_id)
    if sub.status == "forgotten" or sub.email is None:
        return False
    changed = sub.status in ("active", "pending")
    with store.transaction(db):
        if changed:
            store.mark_status(db, subscriber_id, "unsubscribed")
        store.suppress(db, sub.email, "unsubscribed")
        if changed:
            store.log_consent(db, subscriber_id, consent.UNSUBSCRIBE, method=method, detail=detail,
                              client_ip=client_ip)
    return changed


def subscriber_for_token(db: sqlite_utils.Database, key: bytes, purpose: str, token: str) -> Subscriber:
    """The subscriber a signed unsubscribe/preferences token names. Raises ``TokenError``
    (reason invalid | forged | gone)."""
    (subscriber_id,) = tokens.read(key, purpose, token, 1)
    try:
        sub = store.get(db, subscriber_id)
    except NotFound:
        raise TokenError("this link belongs to a subscription that no longer exists", reason="gone") from None
    if sub.status == "forgotten" or sub.email is None:
        raise TokenError("this link belongs to a subscription that no longer exists", reason="gone")
    return sub


def unsubscribe_by_address(db: sqlite_utils.Database, key: bytes, address: str, detail: str = "") -> bool:
    """For the inbox poller: honour a mail to ``reacties+u-<id>-<mac>@...``. Raises ``TokenError``."""
    tag = tokens.tag_of(address)
    if tag is None:
        raise TokenError("no unsubscribe token in this address", reason="absent")
    sub = subscriber_for_token(db, key, tokens.UNSUBSCRIBE, tag)
    return unsubscribe(db, sub.id, consent.MAILTO, detail=detail)
