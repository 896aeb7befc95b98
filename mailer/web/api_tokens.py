"""API tokens for the read-only JSON API: made here, shown once, stored only as a SHA-256.

A token is ``mlr_`` and 43 random URL-safe characters; its first characters are kept in the clear
so its owner can tell tokens apart in a list. Created from the team's account page or with
``mailer users token NAME``; a revoked token is refused at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlite_utils

from ..db import utcnow
from ..errors import InvalidInput, NotFound
from ..stores import api_tokens as store
from ..stores import users
from ..stores.api_tokens import ApiToken
from ..stores.users import User

__all__ = ["ApiToken", "NewToken", "create", "for_user", "list_tokens", "revoke", "user_of"]

PREFIX = "mlr_"
SHOWN = 8                              # characters after the prefix kept to recognise a token
TOUCH_EVERY = timedelta(minutes=1)     # how stale last_used_at may get before it is written
MAX_LABEL = 80


@dataclass(frozen=True)
class NewToken:
    token: str          # the secret itself: shown once, never stored
    info: ApiToken


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _label(label: str) -> str:
    label = " ".join(label.split())
    if len(label) > MAX_LABEL:
        raise InvalidInput("a token's label is at most %(max)s characters: shorten it", max=MAX_LABEL)
    return label


def for_user(db: sqlite_utils.Database, user: User, label: str = "") -> NewToken:
    """A new token for ``user``; the returned secret is never stored."""
    token = PREFIX + secrets.token_urlsafe(32)
    info = store.add(db, user.id, _label(label), _hash(token), token[:len(PREFIX) + SHOWN], utcnow())
    return NewToken(token, info)


def create(db: sqlite_utils.Database, name: str, label: str = "") -> NewToken:
    """A new token for the team member called ``name``."""
    found = users.credentials(db, name.strip())
    if found is None:
        raise NotFound("no user '%(name)s': see 'mailer users list'", name=name)
    return for_user(db, found.user, label)


def user_of(db: sqlite_utils.Database, token: str, now: datetime | None = None) -> User | None:
    """The owner of an active token, noting that it was used; None when unknown or revoked."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    found = store.find_user(db, _hash(token))
    if found is None:
        return None
    token_id, last_used, user = found
    now = now or datetime.now(timezone.utc)
    last = datetime.fromisoformat(last_used) if last_used else None
    if last is None or now - last >= TOUCH_EVERY:
        store.touch(db, token_id, now.isoformat(timespec="seconds"))
    return user


def list_tokens(db: sqlite_utils.Database, name: str | None = None) -> list[ApiToken]:
    """Tokens of one team member (or of all), newest first, revoked ones included."""
    if name is None:
        return store.list_tokens(db)
    found = users.credentials(db, name.strip())
    if found is None:
        raise NotFound("no user '%(name)s': see 'mailer users list'", name=name)
    return store.list_tokens(db, found.user.id)


def revoke(db: sqlite_utils.Database, token_id: int, user: User | None = None) -> None:
    """Revoke a token (only one of ``user``'s when given)."""
    if not store.revoke(db, token_id, utcnow(), user.id if user else None):
        raise NotFound("no active API token %(id)s: see 'mailer users tokens'", id=token_id)
