"""Unsubscribing outside the web pages: the mailto address the inbox poller honours, and by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailer import links
from mailer.config import Config
from mailer.db import connect
from mailer.errors import InvalidInput, TokenError
from subscribers import consent, store
from subscribers.unsubscribe import unsubscribe, unsubscribe_by_address

KEY = b"test-secret-key"


@pytest.fixture
def db(tmp_path: Path):
    d = connect(tmp_path / "subs.db")
    yield d
    d.conn.close()


def test_mailto_address_unsubscribes_that_subscriber_only(db) -> None:
    hanneke = store.add(db, "hanneke@example.org", "Hanneke Smit")
    joost = store.add(db, "joost@example.nl", "Joost")
    address = links.unsubscribe_mailto_address(Config(), KEY, hanneke.id)
    assert unsubscribe_by_address(db, KEY, address.upper(), detail="mail from hanneke@example.org") is True
    assert store.get(db, hanneke.id).status == "unsubscribed"
    assert store.get(db, joost.id).status == "active"
    entry = consent.history(db, hanneke.id)[-1]
    assert (entry.action, entry.method, entry.detail) == ("unsubscribe", "mailto", "mail from hanneke@example.org")
    assert unsubscribe_by_address(db, KEY, address) is False  # a second mail changes nothing
    assert len(consent.history(db, hanneke.id)) == 2


def test_forged_or_missing_token_unsubscribes_nobody(db) -> None:
    sub = store.add(db, "kees@example.nl")
    forged = links.unsubscribe_mailto_address(Config(), b"other key", sub.id)
    with pytest.raises(TokenError) as err:
        unsubscribe_by_address(db, KEY, forged)
    assert err.value.reason == "forged"
    with pytest.raises(TokenError):
        unsubscribe_by_address(db, KEY, "reacties@example.org")
    assert store.get(db, sub.id).status == "active"


def test_unsubscribe_suppresses_even_pending_and_is_idempotent(db) -> None:
    sid = store.create_pending(db, "lotte@example.org", "Lotte", (), "nl")
    assert unsubscribe(db, sid, "cli") is True
    assert store.is_suppressed(db, "lotte@example.org")
    assert unsubscribe(db, sid, "cli") is False
    with pytest.raises(InvalidInput, match="already known and unsubscribed"):
        store.add(db, "LOTTE@example.org")
