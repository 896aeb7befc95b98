"""The reader's answer to "may we quote you?", from the signed link in the mail: read the token,
record the answer (with time, the name to print and the exact passage) in the consent log. The
same link changes the answer later, as long as it has not expired."""

from __future__ import annotations

import sqlite_utils

from .. import links, tokens
from ..db import transaction, utcnow
from ..errors import InvalidInput, TokenError
from ..stores import quotes
from ..stores.quotes import ANSWERS, QuoteRequest

MAX_NAME = 80


def request_for_token(db: sqlite_utils.Database, key: bytes, token: str, now: float | None = None) -> QuoteRequest:
    """The request a link names. Raises ``TokenError``: reason invalid | forged | expired, "gone"
    when the request no longer exists, "superseded" when a newer request replaced it."""
    (request_id,) = tokens.read_expiring(key, tokens.QUOTE, token, 1, now=now)
    req = quotes.get_request(db, request_id)
    if req is None:
        raise TokenError("this request to quote no longer exists", reason="gone")
    if req.state == "superseded":
        raise TokenError("a newer request to quote replaced this one: use the links in the latest mail",
                         reason="superseded")
    return req


def answer(db: sqlite_utils.Database, key: bytes, token: str, choice: str, name: str, client_ip: str,
           now: float | None = None) -> QuoteRequest:
    """Record the reader's answer (``choice``: naam, anoniem or nee, as in the link) and return the
    request as it is now. ``name``: how they want to be named (answer "naam" only)."""
    answer_code = links.QUOTE_CHOICES.get(choice, choice)
    if answer_code not in ANSWERS:
        raise InvalidInput("unknown answer '%(choice)s': use one of %(choices)s", choice=choice,
                           choices=", ".join(links.QUOTE_CHOICES))
    req = request_for_token(db, key, token, now=now)
    shown = " ".join(name.split())[:MAX_NAME] if answer_code == "named" else ""
    if answer_code == "named" and not shown:
        raise InvalidInput("a quote with your name needs a name: type how you want to be named")
    with transaction(db):
        quotes.record_answer(db, req.id, answer_code, shown, client_ip, utcnow())
    found = quotes.get_request(db, req.id)
    assert found is not None
    return found
