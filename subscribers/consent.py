"""The consent log: what each subscriber agreed to, when and how. Rows are never deleted silently.

Writing goes through ``store.log_consent``; this module reads the log back (for ``show``, for
the confirmation step, which applies the details a person gave when they signed up) and names
the actions and methods in one place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlite_utils

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


def _entry(r: dict[str, Any]) -> ConsentEntry:
    return ConsentEntry(r["id"], r["subscriber_id"], r["action"], r["method"], r["source"], r["detail"],
                        r["client_ip"], r["created_at"])


def history(db: sqlite_utils.Database, subscriber_id: int) -> list[ConsentEntry]:
    """The subscriber's consent log, oldest first."""
    return [_entry(r) for r in db.query(
        "SELECT * FROM consent_log WHERE subscriber_id = ? ORDER BY id", [subscriber_id])]


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
    rows = list(db.query(
        "SELECT * FROM consent_log WHERE subscriber_id = ? AND action IN (?,?,?,?,?,?,?,?)"
        " ORDER BY id DESC LIMIT 1",
        # set_status() logs the new status as the action (unsubscribed, bounced, complained).
        [subscriber_id, SIGNUP, CONFIRM, RESUBSCRIBE, UNSUBSCRIBE, FORGET, "unsubscribed", "bounced", "complained"],
    ))
    if not rows or rows[0]["action"] != SIGNUP:
        return None
    r = rows[0]
    try:
        detail = json.loads(r["detail"] or "{}")
    except ValueError:
        detail = {}
    return SignupRequest(
        entry_id=r["id"], created_at=r["created_at"], name=str(detail.get("name", "")),
        themes=tuple(str(t) for t in detail.get("themes", [])), language=str(detail.get("language", "nl")),
    )


def signup_detail(name: str, themes: tuple[str, ...], language: str) -> str:
    """The JSON kept in a sign-up entry: exactly what the person agreed to."""
    return json.dumps({"name": name, "themes": list(themes), "language": language,
                       "agreed": "newsletter by email"}, ensure_ascii=False)
