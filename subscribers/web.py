"""Public pages: sign-up, confirmation, unsubscribe, preferences (owned by the subscribers work)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("public", __name__)
