"""CSRF protection for the team's forms: one random token per session, checked on every POST.

Hand-written on purpose: it is a dozen lines on top of Flask's signed session, and flask-wtf
would bring WTForms, which nothing else here uses.
"""

from __future__ import annotations

import hmac
import secrets

from flask import session


def token() -> str:
    """The session's token (created on first use); put it in every form as ``csrf_token``."""
    value = session.get("csrf")
    if not value:
        value = session["csrf"] = secrets.token_urlsafe(32)
    return value


def valid(submitted: str) -> bool:
    expected = session.get("csrf")
    if not isinstance(expected, str):
        return False
    return hmac.compare_digest(expected.encode(), (submitted or "").encode())


def rotate() -> None:
    """A fresh token after log-in, so a token seen before log-in is worthless."""
    session["csrf"] = secrets.token_urlsafe(32)
