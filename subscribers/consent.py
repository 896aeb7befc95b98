"""The consent log: what each subscriber agreed to, when and how. Rows are never deleted silently.

The log is kept by ``store`` (``log_consent``, ``consent_history``); this module names the
actions and methods in one place and reads a sign-up request back for the confirmation step,
which applies the details a person gave when they signed up.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlite_utils

from . import store
from .store import ConsentEntry

# Actions
SIGNUP = "signup"
CONFIRM = "confirm"
RESUBSCRIBE = "resubscribe"
IMPORT = "import"
ADD = "add"
UNSUBSCRIBE = "unsubscribe"
PREFERENCES = "preferences"
FORGET = "forget"

# Methods
FORM = "form"
LINK = "link"
ONE_CLICK = "one-click"
MAILTO = "mailto"
CLI = "cli"


def history(db: sqlite_utils.Database, subscriber_id: int) -> list[ConsentEntry]:
    """The subscriber's consent log, oldest first."""
    return store.consent_history(db, subscriber_id)


@dataclass(frozen=True)
class SignupRequest:
    """What someone asked for on the form, applied when they confirm."""

    entry_id: int
    created_at: str
    name: str
    themes: tuple[str, ...]
    language: str


def open_signup_request(db: sqlite_utils.Database, subscriber_id: int) -> SignupRequest | None:
    """The latest sign-up that has not been followed by a confirm, unsubscribe or forget, if any.

    A confirmation link is honoured only while such a request is open, so an old link cannot
    re-subscribe someone who unsubscribed after it was sent.
    """
    # set_status() logs the new status as the action (unsubscribed, bounced, complained).
    latest = store.latest_consent(db, subscriber_id, (SIGNUP, CONFIRM, RESUBSCRIBE, UNSUBSCRIBE, FORGET,
                                                      "unsubscribed", "bounced", "complained"))
    if latest is None or latest.action != SIGNUP:
        return None
    try:
        detail = json.loads(latest.detail or "{}")
    except ValueError:
        detail = {}
    return SignupRequest(
        entry_id=latest.id, created_at=latest.created_at, name=str(detail.get("name", "")),
        themes=tuple(str(t) for t in detail.get("themes", [])), language=str(detail.get("language", "nl")),
    )


def signup_detail(name: str, themes: tuple[str, ...], language: str) -> str:
    """The JSON kept in a sign-up entry: exactly what the person agreed to."""
    return json.dumps({"name": name, "themes": list(themes), "language": language,
                       "agreed": "newsletter by email"}, ensure_ascii=False)
